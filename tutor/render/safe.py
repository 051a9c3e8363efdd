"""A verdict's text made safe to show: everything in it may come from learner code.

Learner output, exception messages, reprs of learner values and the messages built from them are
rewritten with tutor/safetext.py's `visible` (control characters and bidi overrides shown as
escapes, never obeyed by the terminal) once, before anything is drawn. Carriage returns in
printed output (progress lines rewriting themselves) are applied first, as a terminal would: each
line shows what was written after its last carriage return.
"""

from __future__ import annotations

from dataclasses import replace

from tutor.checking.verdict import CheckResult, ErrorInfo, Verdict
from tutor.safetext import visible


def printed(text: str) -> str:
    """Output as a terminal would leave it: `\\r` rewrites its line, then the rest shown safely."""
    if "\r" in text:
        text = "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))
    return visible(text)


def safe_verdict(verdict: Verdict) -> Verdict:
    error = verdict.error
    if error is not None:
        error = ErrorInfo(type=visible(error.type), message=visible(error.message),
                          traceback=tuple(visible(line) for line in error.traceback), line=error.line,
                          facts=tuple(visible(fact) for fact in error.facts), explanation=visible(error.explanation))
    return replace(verdict, exercise=visible(verdict.exercise), summary=visible(verdict.summary),
                   checks=tuple(_safe_check(check) for check in verdict.checks),
                   stdout=printed(verdict.stdout), stderr=printed(verdict.stderr),
                   check_stdout=printed(verdict.check_stdout), error=error)


def _safe_check(check: CheckResult) -> CheckResult:
    mismatch = check.mismatch
    if mismatch is not None:
        mismatch = replace(mismatch, expected=_cells(mismatch.expected), got=_cells(mismatch.got),
                           row_labels=[visible(label) for label in mismatch.row_labels],
                           col_labels=[visible(label) for label in mismatch.col_labels],
                           caption=visible(mismatch.caption))
    return replace(check, name=visible(check.name), message=visible(check.message), mismatch=mismatch)


def _cells(rows: list[list[str]]) -> list[list[str]]:
    return [[visible(cell) for cell in row] for row in rows]


__all__ = ["printed", "safe_verdict"]
