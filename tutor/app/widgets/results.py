"""The results pane: what to do next, the running state with elapsed time, or the verdict."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tutor.app.verdict_view import verdict_renderable
from tutor.checking.verdict import Verdict


class Results(VerticalScroll, can_focus=True):
    def compose(self) -> ComposeResult:
        yield Static(id="results-body")

    def _set(self, renderable: RenderableType, state: str) -> None:
        self.query_one("#results-body", Static).update(renderable)
        self.set_class(state == "passed", "-passed")
        self.set_class(state in ("failed", "error", "crashed", "failure"), "-failed")
        self.set_class(state == "running", "-running")
        self.scroll_home(animate=False)

    def show_idle(self, message: str) -> None:
        self._set(Text(message, style="dim"), "idle")

    def show_running(self, device: str, elapsed: float | None, stopping: bool = False) -> None:
        text = Text("◌ Running on ", style="bold")
        text.append(device, style="bold")
        if elapsed is not None:
            text.append(f"  {elapsed:.1f} s", style="bold")
        text.append("\nStopping…" if stopping else "\nctrl+t stops it. You can keep typing.", style="dim")
        self.query_one("#results-body", Static).update(text)
        self.set_class(True, "-running")

    def show_verdict(self, verdict: Verdict, show_timing: bool, next_title: str | None) -> None:
        self._set(verdict_renderable(verdict, show_timing, next_title), verdict.status)

    def show_failure(self, title: str, reason: str) -> None:
        text = Text(f"✘ {title}\n", style="bold red")
        text.append(reason)
        self._set(text, "failure")
