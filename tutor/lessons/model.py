"""The validated shape of a lesson pack: plain frozen dataclasses, no torch."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, Union

DeviceNeed = Literal["any", "cpu"]


@dataclass(frozen=True)
class TensorCheck:
    """Compare the learner's variable with the reference solution's variable of the same name."""

    name: str
    rtol: float | None = None
    atol: float | None = None
    dtype: bool = True
    device: bool = True
    requires_grad: bool = True
    grad: bool = False
    message: str | None = None
    kind: Literal["tensor"] = "tensor"


@dataclass(frozen=True)
class ExpectedCheck:
    """Compare the learner's variable with a literal value or a tensor file inside the pack."""

    name: str
    value: object = None
    file: str | None = None
    key: str | None = None
    dtype: str | None = None
    rtol: float | None = None
    atol: float | None = None
    message: str | None = None
    kind: Literal["expected"] = "expected"


@dataclass(frozen=True)
class FunctionCheck:
    """Call the learner's function and the solution's on the same seeded inputs."""

    name: str
    args: tuple[str, ...]
    repeat: int = 1
    rtol: float | None = None
    atol: float | None = None
    message: str | None = None
    kind: Literal["function"] = "function"


@dataclass(frozen=True)
class AssertCheck:
    """A Python expression over the learner's namespace must be true."""

    expr: str
    message: str | None = None
    kind: Literal["assert"] = "assert"

    @property
    def name(self) -> str:
        return self.expr


@dataclass(frozen=True)
class StaticCheck:
    """Names that must not (forbid) or must (require) appear in the learner's code, found by AST."""

    kind: Literal["forbid", "require"]
    names: tuple[str, ...] = ()
    loops: bool = False
    message: str | None = None

    @property
    def name(self) -> str:
        parts = list(self.names) + (["loops"] if self.loops else [])
        return ", ".join(parts)


@dataclass(frozen=True)
class OutputCheck:
    """A regular expression searched in what the learner's code printed."""

    pattern: str
    message: str | None = None
    kind: Literal["output"] = "output"

    @property
    def name(self) -> str:
        return self.pattern


@dataclass(frozen=True)
class CurveCheck:
    """A list the learner's code fills as it trains (losses, accuracies): what must hold of it,
    judged against the reference's list, and plotted beside it."""

    name: str
    decreasing: int | None = None  # window: the mean of the last N points is below the first N's
    final_below: float | None = None  # the final value (mean of the last few points) is below this
    final_above: float | None = None
    within: float | None = None  # the final value is within this factor of the reference's
    message: str | None = None
    kind: Literal["curve"] = "curve"


Check = Union[TensorCheck, ExpectedCheck, FunctionCheck, AssertCheck, StaticCheck, OutputCheck, CurveCheck]


@dataclass(frozen=True)
class SandboxPolicy:
    """What an exercise may do beyond the default sandbox (see docs/security.md)."""

    processes: bool = False


@dataclass(frozen=True)
class Exercise:
    id: str
    lesson_id: str
    title: str
    prompt: str
    starter: str
    solution: str
    setup: str = ""
    hints: tuple[str, ...] = ()
    timeout: float = 10.0
    device: DeviceNeed = "any"
    seed: int = 0
    variants: int = 3  # the code is checked on this many inputs (variant 0 is the prompt's example)
    answer: Literal["computed", "prediction"] = "computed"  # "prediction": a constant is the answer
    answer_reason: str = ""  # why, for a prediction (lint then skips its hard-coded-answer attack)
    checks: tuple[Check, ...] = ()
    sandbox: SandboxPolicy = field(default_factory=SandboxPolicy)
    source: Path | None = None
    line: int = 0

    @property
    def full_id(self) -> str:
        return f"{self.lesson_id}/{self.id}"

    @cached_property
    def lesson_dir(self) -> Path | None:
        """The absolute folder of the lesson file (resolved once): where its data files are, and
        what exercise code sees as `lesson_dir` (the code runs in a scratch folder elsewhere)."""
        return self.source.parent.resolve() if self.source else None

    @cached_property
    def _fingerprint(self) -> str:
        payload = {
            "setup": self.setup,
            "solution": self.solution,
            "seed": self.seed,
            "variants": self.variants,
            "checks": [asdict(c) for c in self.checks],
        }
        blob = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def fingerprint(self) -> str:
        """A hash of everything that decides the reference results (for the reference cache).
        Computed once: it is looked up on every check."""
        return self._fingerprint


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    explanation: str
    exercises: tuple[Exercise, ...]
    order: float | None = None
    source: Path | None = None

    @cached_property
    def lesson_dir(self) -> Path | None:
        """The absolute folder of the lesson file (its prose blocks see it as `lesson_dir`)."""
        return self.source.parent.resolve() if self.source else None

    def sort_key(self) -> tuple:
        name = self.source.name if self.source else self.id
        # Lessons that give an order come first, by order; the rest follow by file name.
        return (0, self.order, name) if self.order is not None else (1, 0, name)
