"""The results pane: what to do next, the run in progress with its elapsed time (or the worker it
waits for), the verdict, or why there is none; and the hint just asked for, on top, where the
learner is looking. What it shows is two reactive attributes, `shown` and `hint`; the pane renders
them and sets its own border colour from them."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text
from textual import events
from textual.reactive import reactive

from tutor.app.actions import first_key
from tutor.app.widgets.lines import LinePane
from tutor.app.widgets.live_view import Running, running_renderable
from tutor.app.widgets.prose import line_console, markdown, render_lines
from tutor.checking.verdict import Verdict


@dataclass(frozen=True)
class Idle:
    message: str


@dataclass(frozen=True)
class Waiting:
    """F5 came before the worker was ready: the run starts as soon as it is."""

    device: str
    what: str  # what the worker is doing: "importing torch…"
    elapsed_s: float | None  # since the worker started; None: not shown (screenshots)


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    next_title: str | None  # the exercise after this one; None: this was the last


@dataclass(frozen=True)
class Broken:
    """No verdict: the lesson is broken, no worker could start, the tutor failed."""

    title: str
    reason: str


@dataclass(frozen=True)
class HintShown:
    number: int  # 1-based
    total: int
    text: str


Shown = Idle | Running | Waiting | Judged | Broken

FAILING_STATUSES = frozenset({"failed", "error", "crashed"})


def follow_up(verdict: Verdict, next_title: str | None) -> str | None:
    """What to do after this verdict: the next exercise after a pass, run again after a stop."""
    if verdict.status == "passed":
        return (f"Next: {next_title}  ({first_key('next')})" if next_title
                else "That was the last exercise. Well done!")
    if verdict.status == "stopped":
        return f"{first_key('run')} runs it again."
    return None


def render_hint(hint: HintShown) -> tuple[Text, str]:
    """The hint as the results pane shows it: one line saying which hint and what F2 does next,
    then the hint's Markdown (it also stays under the exercise's prompt)."""
    heading = Text(f" Hint {hint.number} of {hint.total} ", style="bold reverse")
    heading.append(f"  {first_key('hint')}: hint {hint.number + 1}" if hint.number < hint.total
                   else f"  the last · {first_key('solution')}: solution", style="dim")
    return heading, hint.text.strip()


def render_waiting(waiting: Waiting) -> Text:
    text = Text(f"◌ Waiting for the PyTorch worker on {waiting.device}", style="bold")
    if waiting.elapsed_s is not None:
        text.append(f"  {waiting.elapsed_s:.0f} s", style="bold")
    text.append(f"\nStarting it: {waiting.what}\n")
    text.append(f"Your run starts as soon as it is ready. {first_key('stop')} cancels it; you can keep typing.",
                style="dim")
    return text


class Results(LinePane):
    BORDER_TITLE = "Results"
    MORE_KEYS = ("scroll_results_down", "scroll_results_up")

    shown: reactive[Shown] = reactive(Idle(""), init=False)
    hint: reactive[HintShown | None] = reactive(None, init=False)

    def __init__(self, *, show_timing: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_timing = show_timing  # off in snapshot tests: no milliseconds in the picture

    @property
    def verdict(self) -> Verdict | None:
        return self.shown.verdict if isinstance(self.shown, Judged) else None

    def watch_shown(self, shown: Shown) -> None:
        self._draw(home=not isinstance(shown, (Running, Waiting)))  # a new verdict is read from its headline
        status = shown.verdict.status if isinstance(shown, Judged) else None
        self.set_class(status == "passed", "-passed")
        self.set_class(status in FAILING_STATUSES or isinstance(shown, Broken), "-failed")
        self.set_class(isinstance(shown, (Running, Waiting)), "-running")

    def watch_hint(self, hint: HintShown | None) -> None:
        self._draw(home=True)  # the hint is read from its first line

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda theme: self._draw(home=False))

    def on_resize(self, event: events.Resize) -> None:
        self._draw(home=False)

    def renderable(self) -> RenderableType:
        """What the pane shows: the hint asked for, if any, then the state."""
        body = self._render_shown(self.shown)
        if self.hint is None:
            return body
        heading, hint = render_hint(self.hint)
        return Group(heading, markdown(hint, self.palette()), Text(""), body)

    @property
    def content_height(self) -> int:
        return self.scrollable_content_region.height

    @property
    def picture_height(self) -> int:
        """Rows an image may take: the pane's height (10 at 80x24), so expected, yours and the
        difference show whole once scrolled to; never less than 8, never more than 20."""
        return max(8, min(20, self.content_height))

    @property
    def curve_height(self) -> int:
        """Rows of a curve's plot: with its title, axis and legend it fits the pane (8 at 80x24)."""
        return max(6, min(14, self.content_height - 5))

    def _draw(self, home: bool) -> None:
        width = self.content_width
        if width <= 0:
            return
        self.set_lines(render_lines(self.renderable(), width, self.palette()))
        if home:
            self.scroll_home(animate=False, immediate=True)

    def _render_shown(self, shown: Shown) -> RenderableType:
        if isinstance(shown, Idle):
            return Text(shown.message, style="dim")
        if isinstance(shown, Running):
            width = self.content_width
            return running_renderable(shown, width=width, height=self.content_height, curve_height=self.curve_height,
                                      console=line_console(width, self.palette()))
        if isinstance(shown, Waiting):
            return render_waiting(shown)
        if isinstance(shown, Judged):
            from tutor.render import render_verdict  # with numpy: not needed for the first screen

            return render_verdict(shown.verdict, show_timing=self.show_timing,
                                  follow_up=follow_up(shown.verdict, shown.next_title), marked_line=True,
                                  picture_height=self.picture_height, curve_height=self.curve_height)
        text = Text(f"✘ {shown.title}\n", style="bold red")
        text.append(shown.reason)
        return text
