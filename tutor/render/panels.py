"""The learner's error and what their code printed, each in a panel of its own."""

from __future__ import annotations

from rich.panel import Panel
from rich.text import Text

from tutor.checking.verdict import ErrorInfo, Verdict


def error_panel(error: ErrorInfo, title: str = "error") -> Panel:
    """The learner's traceback lines and the exception in red; then what the failing line used
    ("`x` is float32 (64, 28, 28) on cpu") and the error in a learner's words."""
    body = Text("\n".join([*error.traceback, error.headline()]), style="red")
    if error.facts:
        where = f"On line {error.line}" if error.line else "On the failing line"
        body.append(f"\n\n{where}: ", style="bold")
        body.append("; ".join(error.facts) + ".")
    if error.explanation:
        body.append("\n\nWhat it means: ", style="bold")
        body.append(error.explanation)
    return Panel(body, title=title, title_align="left", border_style="red", expand=False)


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
