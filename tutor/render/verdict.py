"""One verdict, one layout: headline, summary, what to do next, the checks, the first mismatch, the
error, and what the code printed. The front ends differ only by the parameters they pass."""

from __future__ import annotations

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.text import Text

from tutor.checking.verdict import CheckResult, Verdict
from tutor.render.checks import CheckRows
from tutor.render.curves import CurvePlot
from tutor.render.heatmap import NUMBERS_UP_TO, Heatmap
from tutor.render.mismatch import MismatchView
from tutor.render.panels import error_panel, output_panels
from tutor.render.pictures import PictureComparison, is_image_like
from tutor.render.safe import safe_verdict

# Marks differ in shape, not only colour, so a verdict still reads with NO_COLOR.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "passed": ("✔", "bold green"),
    "failed": ("✘", "bold red"),
    "not_attempted": ("…", "bold yellow"),
    "error": ("✘", "bold red"),
    "timeout": ("⏱", "bold magenta"),
    "stopped": ("■", "bold yellow"),
    "crashed": ("✘", "bold magenta"),
}

# The statuses whose error (the learner's exception, the timeout, the crash) is worth a panel.
SHOWS_ERROR = frozenset({"error", "crashed", "not_attempted", "timeout"})


def headline(verdict: Verdict, name_exercise: bool = False, show_timing: bool = True) -> Text:
    """`✘ Failed  basics/make-range  (3.5 ms on cpu)`: the status, then what the caller asked for.

    Without timings the device is still named when it is not the cpu (a GPU run should say so)."""
    mark, style = STATUS_STYLE[verdict.status]
    text = Text(f"{mark} {verdict.title}", style=style)
    if name_exercise:
        text.append(f"  {verdict.exercise}", style="bold")
    if show_timing:
        text.append(f"  ({verdict.duration_ms:.1f} ms on {verdict.device})", style="dim")
    elif verdict.device != "cpu":
        text.append(f"  (on {verdict.device})", style="dim")
    return text


def is_matrix(shape: tuple[int, ...]) -> bool:
    """A matrix read by its values (a confusion matrix, attention weights, a mask): 2-D, at least
    4x4 (smaller ones read as numbers alone), at most 12x12 (larger ones read as pictures)."""
    return len(shape) == 2 and 4 <= min(shape) and max(shape) <= NUMBERS_UP_TO


def mismatch_view(check: CheckResult, picture_height: int = 20) -> RenderableType:
    """A matrix drawn as two heatmaps (expected, yours) and an image as pictures (expected, yours,
    the difference), above the window of numbers; anything else as the numbers alone."""
    numbers = MismatchView(check.mismatch, check.name)
    pictures = check.pictures
    if pictures is None:
        return numbers
    shape = tuple(pictures.expected.shape)
    if is_matrix(shape) and tuple(pictures.got.shape) == shape:
        heatmaps = [Heatmap(pictures.expected, f"{check.name}: expected", max_height=picture_height),
                    Heatmap(pictures.got, f"{check.name}: yours", max_height=picture_height)]
        return Group(Columns(heatmaps, padding=(0, 3)), numbers)
    if not is_image_like(shape):
        return numbers
    return Group(PictureComparison(pictures.expected, pictures.got, check.name, max_height=picture_height), numbers)


def render_verdict(verdict: Verdict, *, name_exercise: bool = False, show_timing: bool = True,
                   follow_up: str | None = None, marked_line: bool = False, picture_height: int = 20,
                   curve_height: int = 10) -> RenderableType:
    """The whole report.

    name_exercise: the headline names the exercise (the CLI: its output may be read out of context).
    show_timing: milliseconds and device in the headline (off in screenshots).
    follow_up: one bold line saying what to do next (the app: "Next: ...  (ctrl+n)").
    marked_line: the front end marks the error's line in the learner's code, so the panel says so.
    picture_height, curve_height: rows a picture of an image mismatch, or a curve's plot, may take.
    """
    verdict = safe_verdict(verdict)  # learner text is shown, never obeyed by the terminal
    parts: list[RenderableType] = [headline(verdict, name_exercise, show_timing)]
    if not (verdict.status in ("passed", "failed") and len(verdict.checks) == 1):
        parts.append(Text(verdict.summary))  # with one check, its own row says it all
    if follow_up:
        parts.append(Text(follow_up, style="bold"))
    if verdict.checks:
        parts.append(CheckRows(verdict.checks))
        first = next((check for check in verdict.checks if check.mismatch is not None and not check.passed), None)
        if first is not None and first.mismatch is not None:
            parts.append(mismatch_view(first, picture_height))
        curve = next((check for check in verdict.checks if check.curve is not None), None)
        if curve is not None and curve.curve is not None:
            parts.append(CurvePlot(curve.curve.yours, curve.curve.reference, height=curve_height,
                                   title=f"{curve.curve.name}: yours (solid) and the reference's (dotted)"))
    if verdict.error is not None and verdict.status in SHOWS_ERROR:
        line = verdict.error.line
        parts.append(error_panel(verdict.error, f"error (line {line} is marked)" if marked_line and line else "error"))
    parts += output_panels(verdict)
    return Group(*parts)
