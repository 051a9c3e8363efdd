"""Comparing results with expectations and building readable reports (numpy, never torch)."""

from tutor.checking.verdict import STATUS_WORDS, STATUSES, CheckResult, ErrorInfo, Mismatch, Verdict

__all__ = ["STATUS_WORDS", "STATUSES", "CheckResult", "ErrorInfo", "Mismatch", "Verdict"]
