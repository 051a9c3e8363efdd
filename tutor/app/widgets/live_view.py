"""A run in progress as the results pane draws it: the device and elapsed time, how to stop it, a
bar per loop (tqdm or `progress()`) with its rate and time left, the plot of each watched curve so
far against the reference's, and the newest lines of output, fitted to the pane so the latest line
is always in view. Rich renderables only; the pane renders them into lines.

The bars are drawn with rich's ProgressBar inside the pane's lines rather than as Textual
ProgressBar widgets: a widget per label would be mounted while the run runs (re-laying out the
work column whenever a loop starts) and would sit apart from the output it belongs to, while lines
show the bar, the output and the plot in the same frame, scroll with the pane and cost nothing to
lay out.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from tutor.app.actions import first_key
from tutor.app.live import Bar, LiveView

MIN_OUTPUT_LINES = 3


@dataclass(frozen=True)
class Running:
    device: str
    elapsed_s: float | None  # None: not shown (screenshots)
    stopping: bool = False
    live: LiveView | None = None  # what the run has shown so far


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def amount(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def bar_row(bar: Bar, width: int) -> RenderableType:
    """`epoch ━━━━━━━╸━━━━━  12/50  24.0/s  0:02 left`"""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(no_wrap=True, max_width=max(8, width // 4), overflow="ellipsis")
    grid.add_column(ratio=1, min_width=6)
    grid.add_column(no_wrap=True)
    count = f"{amount(bar.n)}/{amount(bar.total)}" if bar.total is not None else f"{amount(bar.n)}"
    facts = [count]
    if bar.rate:
        facts.append(f"{bar.rate:.1f}/s" if bar.rate < 100 else f"{bar.rate:.0f}/s")
    if bar.done:
        facts.append("done")
    elif bar.eta_s is not None:
        facts.append(f"{duration(bar.eta_s)} left")
    drawn: RenderableType = (ProgressBar(total=bar.total, completed=min(bar.n, bar.total))
                             if bar.total is not None else Text("…", style="dim"))  # no pulse: it would move by itself
    grid.add_row(Text(bar.label, style="bold"), drawn, Text("  ".join(facts), style="dim"))
    return grid


def header(running: Running) -> Text:
    text = Text("◌ Running on ", style="bold")
    text.append(running.device, style="bold")
    if running.elapsed_s is not None:
        text.append(f"  {running.elapsed_s:.1f} s", style="bold")
    text.append("\nStopping…" if running.stopping else f"\n{first_key('stop')} stops it. You can keep typing.",
                style="dim")
    return text


def running_renderable(running: Running, *, width: int, height: int, curve_height: int,
                       console: Console) -> RenderableType:
    """The run so far, in `height` rows when it fits: the output gets the rows the rest leaves."""
    top: list[RenderableType] = [header(running)]
    live = running.live
    if live is None or live.empty:
        return top[0]
    top += [bar_row(bar, width) for bar in live.bars]
    for curve in live.curves:
        from tutor.render.curves import CurvePlot  # with numpy: only once a curve is drawn

        top.append(CurvePlot(curve.yours, curve.reference, height=curve_height, width=width,
                             title=f"{curve.name} so far: yours (solid)" +
                                   (" and the reference's (dotted)" if curve.reference else "")))
    if not live.output:
        return Group(*top)
    used = len(console.render_lines(Group(*top), console.options.update_width(width), pad=False))
    room = max(MIN_OUTPUT_LINES, height - used - 2)  # the panel's two borders
    lines = live.output.split("\n")
    shown = lines[-room:]
    title = "output so far" if len(shown) == len(lines) else f"output so far (last {len(shown)} of {len(lines)} lines)"
    body = Text("\n".join(shown), no_wrap=True, overflow="ellipsis")
    return Group(*top, Panel(body, title=title, title_align="left", border_style="dim", padding=(0, 1)))
