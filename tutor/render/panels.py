"""The learner's error and what their code printed, each in a panel of its own."""

from __future__ import annotations

from rich.panel import Panel
from rich.text import Text

from tutor.checking.verdict import ErrorInfo, Verdict


def error_panel(error: ErrorInfo, title: str = "error") -> Panel:
    """The learner's traceback lines and the exception, in red."""
    lines = [*error.traceback, error.headline()]
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
