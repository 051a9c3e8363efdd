"""Where two tensors differ: expected and yours side by side when the width allows, else stacked."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutor.checking.verdict import Mismatch

EXPECTED_STYLE, YOURS_STYLE = "green", "bold red"


class MismatchView:
    """Side by side when it fits, one above the other when not.

    Decided at render time, so it follows the terminal (or the pane) when it is resized."""

    def __init__(self, mismatch: Mismatch, name: str) -> None:
        self.mismatch = mismatch
        self.name = name

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = side_by_side_table(self.mismatch)
        title = f"{self.name}{self.mismatch.caption}: expected (left) vs yours (right)"
        # Measured as if unbounded (Measurement clamps to the width it is given); a panel adds 2
        # columns of border and 2 of padding.
        needed = max(Measurement.get(console, options.update_width(10_000), table).maximum + 4, len(title) + 6)
        if needed <= options.max_width:
            yield Panel(table, title=title, title_align="left", border_style="dim", expand=False)
            return
        yield Panel(Group(*stacked_tables(self.mismatch)), title=f"{self.name}{self.mismatch.caption}: "
                    "expected, then yours", title_align="left", border_style="dim", expand=False)


def side_by_side_table(mismatch: Mismatch) -> Table:
    """Expected and yours side by side; differing elements highlighted in both."""
    table = Table(box=None, padding=(0, 1), show_header=True, header_style="dim")
    table.add_column("", style="dim", justify="right")
    for label in mismatch.col_labels:
        table.add_column(f"[{label}]", justify="right")
    table.add_column("  ", no_wrap=True)
    for label in mismatch.col_labels:
        table.add_column(f"[{label}]", justify="right")
    for row_label, want_row, got_row, marks in zip(mismatch.row_labels, mismatch.expected, mismatch.got,
                                                    mismatch.differs):
        cells = [Text(f"[{row_label}]" if row_label else "")]
        cells += _cells(want_row, marks, EXPECTED_STYLE)
        cells.append(Text("│", style="dim"))
        cells += _cells(got_row, marks, YOURS_STYLE)
        table.add_row(*cells)
    return table


def stacked_tables(mismatch: Mismatch) -> list[Table]:
    """One row per line of expected and yours, differing elements highlighted in both."""
    one_row = len(mismatch.row_labels) == 1 and not mismatch.row_labels[0]
    blocks = [("expected", mismatch.expected, EXPECTED_STYLE), ("yours", mismatch.got, YOURS_STYLE)]
    if one_row:  # a 1-D window: a header, then an "expected" line and a "yours" line
        table = _value_table(mismatch.col_labels)
        for label, values, style in blocks:
            table.add_row(Text(label, style="dim"), *_cells(values[0], mismatch.differs[0], style))
        return [table]
    tables = []
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
