"""The results pane: what to do next, the run in progress with its elapsed time, the verdict, or why
there is none. What it shows is one reactive attribute, `shown`; the pane renders it and sets its own
border colour from it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from tutor.app.actions import first_key
from tutor.checking.verdict import Verdict
from tutor.render import render_verdict


@dataclass(frozen=True)
class Idle:
    message: str


@dataclass(frozen=True)
class Running:
    device: str
    elapsed_s: float | None  # None: not shown (screenshots)
    stopping: bool = False


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    next_title: str | None  # the exercise after this one; None: this was the last


@dataclass(frozen=True)
class Broken:
    """No verdict: the lesson is broken, no worker could start, the tutor failed."""

    title: str
    reason: str


Shown = Idle | Running | Judged | Broken

FAILING_STATUSES = frozenset({"failed", "error", "crashed"})


def follow_up(verdict: Verdict, next_title: str | None) -> str | None:
    """What to do after this verdict: the next exercise after a pass, run again after a stop."""
    if verdict.status == "passed":
        return (f"Next: {next_title}  ({first_key('next')})" if next_title
                else "That was the last exercise. Well done!")
    if verdict.status == "stopped":
        return f"{first_key('run')} runs it again."
    return None


class Results(VerticalScroll, can_focus=True):
    BORDER_TITLE = "Results"

    shown: reactive[Shown] = reactive(Idle(""), init=False)

    def __init__(self, *, show_timing: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_timing = show_timing  # off in snapshot tests: no milliseconds in the picture

    def compose(self) -> ComposeResult:
        yield Static(id="results-body")

    @property
    def verdict(self) -> Verdict | None:
        return self.shown.verdict if isinstance(self.shown, Judged) else None

    def watch_shown(self, shown: Shown) -> None:
        self.query_one("#results-body", Static).update(self._render_shown(shown))
        status = shown.verdict.status if isinstance(shown, Judged) else None
        self.set_class(status == "passed", "-passed")
        self.set_class(status in FAILING_STATUSES or isinstance(shown, Broken), "-failed")
        self.set_class(isinstance(shown, Running), "-running")
        if not isinstance(shown, Running):  # a new verdict is read from its headline
            self.scroll_home(animate=False)

    def _render_shown(self, shown: Shown) -> RenderableType:
        if isinstance(shown, Idle):
            return Text(shown.message, style="dim")
        if isinstance(shown, Running):
            text = Text("◌ Running on ", style="bold")
            text.append(shown.device, style="bold")
            if shown.elapsed_s is not None:
                text.append(f"  {shown.elapsed_s:.1f} s", style="bold")
            text.append("\nStopping…" if shown.stopping else f"\n{first_key('stop')} stops it. You can keep typing.",
                        style="dim")
            return text
        if isinstance(shown, Judged):
            return render_verdict(shown.verdict, show_timing=self.show_timing,
                                  follow_up=follow_up(shown.verdict, shown.next_title), marked_line=True)
        text = Text(f"✘ {shown.title}\n", style="bold red")
        text.append(shown.reason)
        return text
