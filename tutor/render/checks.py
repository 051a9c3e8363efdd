"""One row per check: a mark, what was checked, and the message (wrapped, never cut)."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from tutor.checking.verdict import CheckResult

MIN_NAME = 12  # characters of a name always shown, however narrow the width


def fitted_name(kind: str, name: str, width: int) -> str:
    """The check's name, cut so that "kind name" takes at most half the width: the message then
    starts on the label's own line. Names are code (an assert's expression, a call), so a long one is
    cut with "..." rather than wrapped; messages are never cut."""
    room = max(MIN_NAME, (width - 2) // 2 - len(kind) - 1)
    return name if len(name) <= room else name[:room - 3] + "..."


class CheckRows:
    """Decided at render time: the cut follows the width the rows are given (terminal or pane)."""

    def __init__(self, checks: tuple[CheckResult, ...] | list[CheckResult]) -> None:
        self.checks = tuple(checks)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = Table(box=None, show_header=False, padding=(0, 1, 0, 0), expand=True)
        rows.add_column(width=1, no_wrap=True)
        rows.add_column(ratio=1)
        for check in self.checks:
            mark = Text("✔", style="green") if check.passed else Text("✘", style="bold red")
            line = Text()
            line.append(f"{check.kind} {fitted_name(check.kind, check.name, options.max_width)}", style="cyan")
            if check.message:
                line.append("  ")
                line.append(check.message)
            rows.add_row(mark, line)
        yield rows
