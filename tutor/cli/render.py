"""A Verdict as rich renderables: headline, one row per check, mismatch side by side, error, output."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tutor.checking.verdict import Mismatch, Verdict

STATUS_STYLE = {
    "passed": ("✔", "bold green"),
    "failed": ("✘", "bold red"),
    "not_attempted": ("…", "bold yellow"),
    "error": ("✘", "bold red"),
    "timeout": ("⏱", "bold magenta"),
    "stopped": ("■", "bold yellow"),
    "crashed": ("✘", "bold magenta"),
}


def headline(verdict: Verdict) -> Text:
    mark, style = STATUS_STYLE[verdict.status]
    text = Text()
    text.append(f"{mark} {verdict.title}", style=style)
    text.append(f"  {verdict.exercise}", style="bold")
    text.append(f"  ({verdict.duration_ms:.1f} ms on {verdict.device})", style="dim")
    return text


def mismatch_table(mismatch: Mismatch) -> Table:
    """Expected and got side by side; differing elements highlighted in both."""
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
        cells += [Text(value, style="green" if mark else "") for value, mark in zip(want_row, marks)]
        cells.append(Text("│", style="dim"))
        cells += [Text(value, style="bold red" if mark else "") for value, mark in zip(got_row, marks)]
        table.add_row(*cells)
    return table


def render_verdict(verdict: Verdict) -> RenderableType:
    parts: list[RenderableType] = [headline(verdict), Text(verdict.summary)]
    if verdict.checks:
        rows = Table(box=None, show_header=False, padding=(0, 1))
        rows.add_column(width=1)
        rows.add_column(style="cyan", no_wrap=True)
        rows.add_column(ratio=1)
        for check in verdict.checks:
            mark = Text("✔", style="green") if check.passed else Text("✘", style="red")
            name = check.name if len(check.name) <= 28 else check.name[:25] + "..."
            rows.add_row(mark, f"{check.kind} {name}", Text(check.message))
        parts.append(rows)
        for check in verdict.checks:
            if check.mismatch is not None and not check.passed:
                caption = f"{check.name}{check.mismatch.caption}: expected (left) vs yours (right)"
                parts.append(Panel(mismatch_table(check.mismatch), title=caption, title_align="left",
                                   border_style="dim", expand=False))
                break
    if verdict.error is not None and verdict.status in ("error", "crashed", "not_attempted", "timeout"):
        parts.append(error_panel(verdict, "error"))
    parts += output_panels(verdict)
    return Group(*parts)


def error_panel(verdict: Verdict, title: str) -> Panel:
    """The learner's traceback lines and the exception, in red."""
    lines = [*verdict.error.traceback, verdict.error.headline()]
    return Panel(Text("\n".join(lines), style="red"), title=title, title_align="left", border_style="red",
                 expand=False)


def output_panels(verdict: Verdict) -> list[Panel]:
    """What the code printed (stdout, stderr, and what its functions printed while checked)."""
    panels = []
    for label, text, dropped in (("stdout", verdict.stdout, verdict.stdout_dropped),
                                 ("stderr", verdict.stderr, verdict.stderr_dropped),
                                 ("printed while the checks called your code", verdict.check_stdout, 0)):
        if text.strip() or dropped:
            body = text.rstrip("\n")
            if dropped:
                body += f"\n… {dropped:,} more bytes not shown"
            panels.append(Panel(Text(body), title=label, title_align="left", border_style="dim", expand=False))
    return panels
