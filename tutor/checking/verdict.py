"""What a check run produces: the verdict, one result per check, and the learner's error if any."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["passed", "failed", "not_attempted", "error", "timeout", "stopped", "crashed"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "not_attempted", "error", "timeout", "stopped", "crashed")

STATUS_WORDS: dict[str, str] = {
    "passed": "Passed",
    "failed": "Failed",
    "not_attempted": "Not attempted",
    "error": "Error",
    "timeout": "Timed out",
    "stopped": "Stopped",
    "crashed": "Crashed",
}


class LessonBug(Exception):
    """The lesson itself is broken (its setup or solution fails): not the learner's fault."""


@dataclass(frozen=True)
class Mismatch:
    """Where two tensors differ, with a small window around the first difference for display."""

    count: int
    total: int
    max_abs_diff: float
    max_index: tuple[int, ...]
    first_index: tuple[int, ...]
    expected: list[list[str]]
    got: list[list[str]]
    differs: list[list[bool]]
    row_labels: list[str]
    col_labels: list[str]
    caption: str = ""

    def to_json(self) -> dict:
        return {
            "count": self.count, "total": self.total, "max_abs_diff": self.max_abs_diff,
            "max_index": list(self.max_index), "first_index": list(self.first_index),
            "expected": self.expected, "got": self.got, "differs": self.differs,
        }


@dataclass(frozen=True)
class CurveData:
    """A curve check's two series, for a plot: the learner's list and the reference's."""

    name: str
    yours: tuple[float, ...]
    reference: tuple[float, ...]

    def to_json(self) -> dict:
        return {"name": self.name, "yours": [_json_number(v) for v in self.yours],
                "reference": [_json_number(v) for v in self.reference]}


def _json_number(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


@dataclass(frozen=True)
class Pictures:
    """A failed value check's expected and actual arrays, whole, for a picture of both (images,
    matrices). Never written to JSON: the mismatch's window of numbers is."""

    expected: Any
    got: Any


@dataclass(frozen=True)
class CheckResult:
    kind: str
    name: str
    passed: bool
    message: str = ""
    mismatch: Mismatch | None = None
    curve: CurveData | None = None
    pictures: Pictures | None = None

    def to_json(self) -> dict:
        data = {"kind": self.kind, "name": self.name, "passed": self.passed, "message": self.message}
        if self.mismatch is not None:
            data["mismatch"] = self.mismatch.to_json()
        if self.curve is not None:
            data["curve"] = self.curve.to_json()
        return data


@dataclass(frozen=True)
class ErrorInfo:
    """An exception from the learner's code, with only the learner's own traceback lines."""

    type: str
    message: str
    traceback: tuple[str, ...] = ()
    line: int | None = None  # 1-based line in the learner's code, for marking it in the editor
    facts: tuple[str, ...] = ()  # "`x` is float32 (64, 28, 28) on cpu": what the failing line used
    explanation: str = ""  # the error in a learner's words, and what to try (tutor/checking/explain.py)

    def headline(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type

    def to_json(self) -> dict:
        return {"type": self.type, "message": self.message, "line": self.line,
                "traceback": list(self.traceback), "facts": list(self.facts), "explanation": self.explanation}


@dataclass(frozen=True)
class Verdict:
    exercise: str
    status: Status
    summary: str
    checks: tuple[CheckResult, ...] = ()
    stdout: str = ""
    stderr: str = ""
    stdout_dropped: int = 0
    stderr_dropped: int = 0
    error: ErrorInfo | None = None
    duration_ms: float = 0.0
    device: str = "cpu"
    check_stdout: str = ""  # what the learner's functions printed while the checks called them

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def title(self) -> str:
        return STATUS_WORDS[self.status]

    def to_json(self) -> dict:
        return {
            "exercise": self.exercise,
            "status": self.status,
            "passed": self.passed,
            "summary": self.summary,
            "checks": [check.to_json() for check in self.checks],
            "stdout": self.stdout,
            "stderr": self.stderr,
            "stdout_dropped": self.stdout_dropped,
            "stderr_dropped": self.stderr_dropped,
            "check_stdout": self.check_stdout,
            "error": self.error.to_json() if self.error else None,
            "duration_ms": round(self.duration_ms, 3),
            "device": self.device,
        }
