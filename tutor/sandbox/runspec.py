"""A run as data: what the tutor asks a worker to do and what the worker answers.

`RunRequest` is built by the session (for learner code, the reference solution and prose blocks)
and read by the worker; `RunReply` is built by the worker and read by the tutor. `to_wire` and
`from_wire` are the only places the wire shape is written down. The checks that need the learner's
namespace travel as one ordered list of probes, each keyed by its check's index in the exercise,
so a reply's results line up with the exercise's checks without any other ordering rule.

A worker runs learner code in its own process, so a reply is read as hostile: `from_wire` checks
every field's type and raises ProtocolError for anything malformed. Standard library only: the
worker imports this module too, inside interpreters that may lack the tutor's dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from tutor.sandbox.protocol import ProtocolError
from tutor.sandbox.wire_fields import MAX_ITEMS
from tutor.sandbox.wire_fields import flag as _flag, integer as _integer, mapping as _mapping
from tutor.sandbox.wire_fields import optional_real as _optional_real, optional_text as _optional_text
from tutor.sandbox.wire_fields import real as _real, text as _text, texts as _texts

ProbeKind = Literal["value", "assert", "function"]
PROBE_KINDS: tuple[ProbeKind, ...] = ("value", "assert", "function")
PHASES = ("setup", "code", "checks")
MAX_FACTS = 8


class Outcome(str, Enum):
    """How a run ended, one name from the worker's reply through RunRecord to Verdict.status."""

    OK = "ok"  # it ran to the end; the checks decide
    ERROR = "error"  # the code (or setup) raised
    TIMEOUT = "timeout"  # the watchdog stopped it at the exercise's timeout
    STOPPED = "stopped"  # the learner stopped it
    CRASHED = "crashed"  # the worker died, or answered something unreadable


@dataclass(frozen=True)
class Probe:
    """What the worker gathers for one check: a variable's value, an assertion, or calls of a
    function on seeded inputs."""

    index: int  # the check's position in the exercise
    kind: ProbeKind
    target: str  # a dotted name (value, function) or a Python expression (assert)
    args: tuple[str, ...] = ()  # function: argument expressions, each called `repeat` times
    repeat: int = 1

    def to_wire(self) -> dict:
        wire: dict = {"index": self.index, "kind": self.kind, "target": self.target}
        if self.kind == "function":
            wire.update(args=list(self.args), repeat=self.repeat)
        return wire

    @classmethod
    def from_wire(cls, data: object) -> "Probe":
        data = _mapping(data, "probe")
        kind = _text(data, "kind")
        if kind not in PROBE_KINDS:
            raise ProtocolError(f"unknown probe kind {kind!r}")
        return cls(index=_integer(data, "index"), kind=kind, target=_text(data, "target"),  # type: ignore[arg-type]
                   args=tuple(_texts(data, "args", default=[])), repeat=_integer(data, "repeat", default=1))


MAX_VARIANTS = 64  # a sanity bound on the wire; lesson files allow fewer (tutor/lessons/loader.py)


@dataclass(frozen=True)
class RunRequest:
    """Run `setup`, then `code`, in a fresh namespace seeded with `seed`, then gather the probes;
    with `variants` > 1, all of that again for each variant v, seeded with `seed + v`, its setup
    seeing `variant = v` (so an exercise checks the code on inputs the prompt never showed)."""

    code: str
    setup: str = ""
    seed: int = 0
    lesson_dir: str | None = None  # the pack's folder, seen by the code as `lesson_dir`
    probes: tuple[Probe, ...] = ()
    variants: int = 1
    watch: tuple[str, ...] = ()  # lists whose new points are sent while the code runs (curves)

    OP = "run"

    def to_wire(self) -> dict:
        return {"op": self.OP, "code": self.code, "setup": self.setup, "seed": self.seed,
                "lesson_dir": self.lesson_dir, "probes": [probe.to_wire() for probe in self.probes],
                "variants": self.variants, "watch": list(self.watch)}

    @classmethod
    def from_wire(cls, data: object) -> "RunRequest":
        data = _mapping(data, "run request")
        probes = data.get("probes", [])
        if not isinstance(probes, list):
            raise ProtocolError("a run request's probes must be a list")
        variants = _integer(data, "variants", default=1)
        if not 1 <= variants <= MAX_VARIANTS:
            raise ProtocolError(f"a run has 1 to {MAX_VARIANTS} variants, not {variants}")
        return cls(code=_text(data, "code", default=""), setup=_text(data, "setup", default=""),
                   seed=_integer(data, "seed", default=0), lesson_dir=_optional_text(data, "lesson_dir"),
                   probes=tuple(Probe.from_wire(probe) for probe in probes), variants=variants,
                   watch=tuple(_texts(data, "watch", default=[])))


@dataclass(frozen=True)
class LoadRequest:
    """Load a lesson pack's `.pt` tensor file in the worker (torch.load with weights_only)."""

    path: str
    key: str | None = None

    OP = "load"

    def to_wire(self) -> dict:
        return {"op": self.OP, "path": self.path, "key": self.key}

    @classmethod
    def from_wire(cls, data: object) -> "LoadRequest":
        data = _mapping(data, "load request")
        return cls(path=_text(data, "path"), key=_optional_text(data, "key"))


@dataclass(frozen=True)
class ErrorReport:
    """An exception as the learner should see it: only the learner's own traceback lines."""

    type: str
    message: str
    line: int | None = None  # 1-based line in the learner's code
    traceback: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # the tensors and modules named on the failing line, described

    def headline(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type

    def to_wire(self) -> dict:
        return {"type": self.type, "message": self.message, "line": self.line, "traceback": list(self.traceback),
                "facts": list(self.facts)}

    @classmethod
    def from_wire(cls, data: object) -> "ErrorReport":
        data = _mapping(data, "error")
        line = data.get("line")
        if line is not None and (not isinstance(line, int) or isinstance(line, bool)):
            raise ProtocolError("an error's line must be a number")
        return cls(type=_text(data, "type"), message=_text(data, "message", default=""), line=line,
                   traceback=tuple(_texts(data, "traceback", default=[])),
                   facts=tuple(_texts(data, "facts", default=[]))[:MAX_FACTS])


@dataclass(frozen=True)
class CallCase:
    """One call of a learner's (or the solution's) function in a function probe."""

    args: str  # the arguments, described for a message
    args_index: int
    repeat: int
    size: int  # elements in the arguments: the smallest failing case is shown
    value: Any = None  # an encoded value node (decoded by the tutor)
    error: ErrorReport | None = None

    def to_wire(self) -> dict:
        wire: dict = {"args": self.args, "args_index": self.args_index, "repeat": self.repeat, "size": self.size}
        if self.error is not None:
            wire["error"] = self.error.to_wire()
        else:
            wire["value"] = self.value
        return wire

    @classmethod
    def from_wire(cls, data: object) -> "CallCase":
        data = _mapping(data, "call case")
        error = data.get("error")
        return cls(args=_text(data, "args", default=""), args_index=_integer(data, "args_index", default=0),
                   repeat=_integer(data, "repeat", default=0), size=_integer(data, "size", default=0),
                   value=data.get("value"), error=ErrorReport.from_wire(error) if error is not None else None)


@dataclass(frozen=True)
class ProbeResult:
    """What a probe found. value: `value` (or `missing`); assert: `passed` (or `error`);
    function: `cases` (or `missing`, or `error` when it is not callable)."""

    index: int
    missing: bool = False
    value: Any = None  # an encoded value node
    passed: bool = False
    error: str | None = None
    cases: tuple[CallCase, ...] = ()

    def to_wire(self) -> dict:
        wire: dict = {"index": self.index}
        if self.missing:
            wire["missing"] = True
        if self.value is not None:
            wire["value"] = self.value
        if self.passed:
            wire["passed"] = True
        if self.error is not None:
            wire["error"] = self.error
        if self.cases:
            wire["cases"] = [case.to_wire() for case in self.cases]
        return wire

    @classmethod
    def from_wire(cls, data: object) -> "ProbeResult":
        data = _mapping(data, "probe result")
        cases = data.get("cases", [])
        if not isinstance(cases, list) or len(cases) > MAX_ITEMS:
            raise ProtocolError("a probe's cases must be a list")
        return cls(index=_integer(data, "index"), missing=_flag(data, "missing"), value=data.get("value"),
                   passed=_flag(data, "passed"), error=_optional_text(data, "error"),
                   cases=tuple(CallCase.from_wire(case) for case in cases))


@dataclass(frozen=True)
class VariantRun:
    """One variant's probe results, and its inputs described for a message ("x = tensor([...])")."""

    variant: int
    results: tuple[ProbeResult, ...] = ()
    inputs: tuple[str, ...] = ()

    def to_wire(self) -> dict:
        return {"variant": self.variant, "results": [result.to_wire() for result in self.results],
                "inputs": list(self.inputs)}

    @classmethod
    def from_wire(cls, data: object) -> "VariantRun":
        data = _mapping(data, "variant")
        results = data.get("results", [])
        if not isinstance(results, list) or len(results) > MAX_ITEMS:
            raise ProtocolError("a variant's results must be a list")
        return cls(variant=_integer(data, "variant"), inputs=tuple(_texts(data, "inputs", default=[])),
                   results=tuple(ProbeResult.from_wire(result) for result in results))


@dataclass(frozen=True)
class RunReply:
    """The worker's answer to a RunRequest: the variants that ran to the end, and how the run
    ended. A worker only knows OK, ERROR and STOPPED (it was interrupted); whether a stop was the
    timeout or the learner is the tutor's to say. An error stops the run in the variant it
    happened in (`variant`)."""

    outcome: Outcome
    phase: str | None = None  # where an error happened: "setup", "code" or "checks"
    error: ErrorReport | None = None
    variant: int = 0  # the variant the run ended in
    inputs: tuple[str, ...] = ()  # that variant's inputs (when it is not variant 0)
    variants: tuple[VariantRun, ...] = ()  # the variants that ran to the end
    check_stdout: str = ""  # printed by the learner's functions while the checks called them
    recycle: tuple[str, ...] = ()  # why this worker should be replaced (it may be tainted)

    OP = "result"

    def to_wire(self) -> dict:
        return {"op": self.OP, "outcome": self.outcome.value, "phase": self.phase,
                "error": self.error.to_wire() if self.error else None, "variant": self.variant,
                "inputs": list(self.inputs),
                "variants": [run.to_wire() for run in self.variants],
                "check_stdout": self.check_stdout, "recycle": list(self.recycle)}

    @classmethod
    def from_wire(cls, data: object) -> "RunReply":
        data = _mapping(data, "reply")
        if data.get("op") != cls.OP:
            raise ProtocolError(f"expected a run result, got op {data.get('op')!r}")
        try:
            outcome = Outcome(_text(data, "outcome"))
        except ValueError:
            raise ProtocolError(f"unknown outcome {data.get('outcome')!r}") from None
        if outcome not in (Outcome.OK, Outcome.ERROR, Outcome.STOPPED):
            raise ProtocolError(f"a worker cannot report the outcome {outcome.value!r}")
        phase = _optional_text(data, "phase")
        if phase is not None and phase not in PHASES:
            raise ProtocolError(f"unknown phase {phase!r}")
        error = data.get("error")
        variants = data.get("variants", [])
        if not isinstance(variants, list) or len(variants) > MAX_VARIANTS:
            raise ProtocolError("a reply's variants must be a list")
        return cls(outcome=outcome, phase=phase, error=ErrorReport.from_wire(error) if error is not None else None,
                   variant=_integer(data, "variant", default=0), inputs=tuple(_texts(data, "inputs", default=[])),
                   variants=tuple(VariantRun.from_wire(run) for run in variants),
                   check_stdout=_text(data, "check_stdout", default=""),
                   recycle=tuple(_texts(data, "recycle", default=[])))


# -- events: what a run says while it runs ----------------------------------------------------------

EVENT_OP = "event"
MAX_EVENT_POINTS = 100_000


@dataclass(frozen=True)
class ProgressEvent:
    """A loop's progress (tqdm, or the `progress` helper): `n` of `total` after `elapsed_s`."""

    label: str
    n: float
    total: float | None
    elapsed_s: float
    rate: float | None  # per second
    done: bool = False

    def to_wire(self) -> dict:
        return {"op": EVENT_OP, "kind": "progress", "label": self.label, "n": self.n, "total": self.total,
                "elapsed_s": self.elapsed_s, "rate": self.rate, "done": self.done}


@dataclass(frozen=True)
class CurveEvent:
    """New points of a watched list: `values` are its items from index `start` on."""

    name: str
    start: int
    values: tuple[float, ...]

    def to_wire(self) -> dict:
        return {"op": EVENT_OP, "kind": "curve", "name": self.name, "start": self.start,
                "values": [value if value == value else None for value in self.values]}  # NaN: JSON null


@dataclass(frozen=True)
class OutputEvent:
    """Text the run printed, as it arrives (the tutor reads it from the output pipes itself)."""

    stream: str  # "stdout" | "stderr"
    text: str


RunEvent = ProgressEvent | CurveEvent | OutputEvent


def event_from_wire(data: object) -> ProgressEvent | CurveEvent:
    data = _mapping(data, "event")
    kind = data.get("kind")
    if kind == "progress":
        return ProgressEvent(label=_text(data, "label", default="")[:200], n=_real(data, "n"),
                             total=_optional_real(data, "total"), elapsed_s=_real(data, "elapsed_s"),
                             rate=_optional_real(data, "rate"), done=_flag(data, "done"))
    if kind == "curve":
        values = data.get("values")
        if not isinstance(values, list) or len(values) > MAX_EVENT_POINTS:
            raise ProtocolError("a curve event's values must be a list")
        points = []
        for value in values:
            if value is None:
                points.append(float("nan"))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                points.append(float(value))
            else:
                raise ProtocolError("a curve's points must be numbers")
        start = _integer(data, "start")
        if start < 0:
            raise ProtocolError("a curve event starts at a negative index")
        return CurveEvent(name=_text(data, "name")[:200], start=start, values=tuple(points))
    raise ProtocolError(f"unknown event kind {str(kind)[:40]!r}")


__all__ = ["CallCase", "CurveEvent", "ErrorReport", "LoadRequest", "Outcome", "OutputEvent", "Probe",
           "ProbeResult", "ProgressEvent", "RunEvent", "RunReply", "RunRequest", "VariantRun", "event_from_wire"]
