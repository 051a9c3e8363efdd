"""A Verdict as rich renderables for the results pane (the CLI's report, fitted to a pane)."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutor.checking.verdict import Mismatch, Verdict
from tutor.cli.render import STATUS_STYLE, error_panel, mismatch_table, output_panels


class MismatchView:
    """Expected and got side by side when the pane is wide enough, else one above the other.

    Decided at render time, so it follows the pane when the terminal is resized."""

    def __init__(self, mismatch: Mismatch, title: str) -> None:
        self.mismatch = mismatch
        self.title = title

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = mismatch_table(self.mismatch)
        # Measured as if the pane were unbounded (Measurement clamps to the width it is given);
        # a panel adds 2 columns of border and 2 of padding.
        needed = max(Measurement.get(console, options.update_width(10_000), table).maximum + 4,
                     len(self.title) + 6)
        if needed <= options.max_width:
            yield Panel(table, title=self.title, title_align="left", border_style="dim", expand=False)
            return
        title = self.title.replace("expected (left) vs yours (right)", "expected, then yours")
        yield Panel(Group(*stacked_tables(self.mismatch)), title=title, title_align="left",
                    border_style="dim", expand=False)


def stacked_tables(mismatch: Mismatch) -> list[Table]:
    """One row per line of expected and yours, differing elements highlighted in both."""
    one_row = len(mismatch.row_labels) == 1 and not mismatch.row_labels[0]
    tables = []
    blocks = [("expected", mismatch.expected, "green"), ("yours", mismatch.got, "bold red")]
    if one_row:  # a 1-D window: a header, then an "expected" line and a "yours" line
        table = _value_table(mismatch.col_labels)
        for label, values, style in blocks:
            table.add_row(Text(label, style="dim"), *_cells(values[0], mismatch.differs[0], style))
        return [table]
    for label, values, style in blocks:
        table = _value_table(mismatch.col_labels, title=label)
        for row_label, row, marks in zip(mismatch.row_labels, values, mismatch.differs):
            table.add_row(Text(f"[{row_label}]"), *_cells(row, marks, style))
        tables.append(table)
    return tables


def _value_table(col_labels: list[str], title: str | None = None) -> Table:
    table = Table(box=None, padding=(0, 1), show_header=True, header_style="dim", title=title,
                  title_justify="left", title_style="dim")
    table.add_column("", style="dim", justify="right", no_wrap=True, min_width=8)
    for label in col_labels:
        table.add_column(f"[{label}]", justify="right")
    return table


def _cells(values: list[str], marks: list[bool], style: str) -> list[Text]:
    return [Text(value, style=style if mark else "") for value, mark in zip(values, marks)]


def was_stopped(verdict: Verdict) -> bool:
    return verdict.status == "stopped"


def headline(verdict: Verdict, show_timing: bool) -> Text:
    if was_stopped(verdict):
        return Text("■ Stopped", style="bold yellow")
    mark, style = STATUS_STYLE[verdict.status]
    text = Text(f"{mark} {verdict.title}", style=style)
    if show_timing:
        text.append(f"  ({verdict.duration_ms:.1f} ms on {verdict.device})", style="dim")
    elif verdict.device != "cpu":
        text.append(f"  (on {verdict.device})", style="dim")
    return text


def check_rows(verdict: Verdict) -> Table:
    """One row per check: mark, what was checked, and the message (wrapped, never cut off)."""
    rows = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
    rows.add_column(width=1, no_wrap=True)
    rows.add_column(ratio=1)
    for check in verdict.checks:
        mark = Text("✔", style="green") if check.passed else Text("✘", style="bold red")
        name = check.name if len(check.name) <= 40 else check.name[:37] + "..."
        line = Text()
        line.append(f"{check.kind} {name}", style="cyan")
        if check.message:
            line.append("  ")
            line.append(check.message)
        rows.add_row(mark, line)
    return rows


def verdict_renderable(verdict: Verdict, show_timing: bool = True,
                       next_title: str | None = None) -> RenderableType:
    parts: list[RenderableType] = [headline(verdict, show_timing)]
    if was_stopped(verdict):
        parts.append(Text("You stopped the run; nothing was recorded. F5 runs it again."))
    elif not (verdict.status in ("passed", "failed") and len(verdict.checks) == 1):
        parts.append(Text(verdict.summary))  # with one check, its own row says it all
    if verdict.passed:
        follow = f"Next: {next_title}  (ctrl+n)" if next_title else "That was the last exercise. Well done!"
        parts.append(Text(follow, style="bold"))
    if verdict.checks and not was_stopped(verdict):
        parts.append(check_rows(verdict))
        for check in verdict.checks:
            if check.mismatch is not None and not check.passed:
                caption = f"{check.name}{check.mismatch.caption}: expected (left) vs yours (right)"
                parts.append(MismatchView(check.mismatch, caption))
                break
    if verdict.error is not None and verdict.status in ("error", "crashed", "not_attempted", "timeout") \
            and not was_stopped(verdict):
        title = f"error (line {verdict.error.line} is marked)" if verdict.error.line else "error"
        parts.append(error_panel(verdict, title))
    parts += output_panels(verdict)
    return Group(*parts)
