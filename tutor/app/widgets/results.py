"""The results pane: what to do next, the running state with elapsed time, or the verdict."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tutor.checking.verdict import Verdict
from tutor.render import render_verdict


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
        self._set(render_verdict(verdict, show_timing=show_timing, follow_up=follow_up(verdict, next_title),
                                 marked_line=True), verdict.status)

    def show_failure(self, title: str, reason: str) -> None:
        text = Text(f"✘ {title}\n", style="bold red")
        text.append(reason)
        self._set(text, "failure")


def follow_up(verdict: Verdict, next_title: str | None) -> str | None:
    """What to do after this verdict: the next exercise after a pass, run again after a stop."""
    if verdict.status == "passed":
        return f"Next: {next_title}  (ctrl+n)" if next_title else "That was the last exercise. Well done!"
    if verdict.status == "stopped":
        return "F5 runs it again."
    return None
