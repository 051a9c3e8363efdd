"""One finished run as the tutor sees it: the outcome, the decoded results, what it printed."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.sandbox.capture import Captured
from tutor.sandbox.client import Exchange
from tutor.sandbox.protocol import ProtocolError
from tutor.sandbox.runspec import CallCase, ErrorReport, Outcome, ProbeResult, RunReply
from tutor.sandbox.values import decode


@dataclass
class RunRecord:
    outcome: Outcome
    phase: str | None = None  # where an error happened: "setup", "code" or "checks"
    error: ErrorReport | None = None
    # One entry per variant that ran to the end: the probe results by check index, values decoded.
    variants: list[dict[int, ProbeResult]] = field(default_factory=list)
    inputs: list[tuple[str, ...]] = field(default_factory=list)  # each variant's inputs, described
    variant: int = 0  # the variant the run ended in (where an error happened)
    variant_inputs: tuple[str, ...] = ()  # and its inputs
    stdout: Captured = field(default_factory=Captured)
    stderr: Captured = field(default_factory=Captured)
    exit_description: str = ""
    elapsed_ms: float = 0.0
    check_stdout: str = ""  # printed by the learner's code while the checks called it

    @classmethod
    def from_exchange(cls, exchange: Exchange) -> "RunRecord":
        record = cls(outcome=Outcome.CRASHED, stdout=exchange.stdout, stderr=exchange.stderr,
                     exit_description=exchange.exit_description, elapsed_ms=exchange.elapsed_ms)
        try:
            reply = RunReply.from_wire(exchange.reply) if exchange.reply is not None else None
            if reply is not None:
                record.variants = [{result.index: _decoded(result, exchange.buffers) for result in run.results}
                                   for run in reply.variants]
                record.inputs = [run.inputs for run in reply.variants]
        except (ProtocolError, KeyError, TypeError, ValueError, RecursionError) as exc:
            record.exit_description = f"the worker sent a malformed reply ({_short(exc)})"
            return record
        if reply is not None:
            record.outcome, record.phase, record.error = reply.outcome, reply.phase, reply.error
            record.variant, record.variant_inputs = reply.variant, reply.inputs
            record.check_stdout = reply.check_stdout
        if exchange.ended is not None:  # the tutor ended it: that is the outcome, whatever it said
            record.outcome = exchange.ended
            record.variants, record.inputs = [], []
        elif reply is not None and reply.outcome is Outcome.STOPPED:
            # Interrupted, but not by the tutor (the learner's code sent itself SIGINT): an error.
            record.outcome = Outcome.ERROR
            record.phase = record.phase or "code"
        return record

    def result(self, index: int, variant: int = 0) -> ProbeResult | None:
        return self.variants[variant].get(index) if variant < len(self.variants) else None


def _decoded(result: ProbeResult, buffers: list) -> ProbeResult:
    if result.value is not None:
        return ProbeResult(result.index, value=decode(result.value, buffers))
    if result.cases:
        cases = tuple(case if case.error is not None else
                      CallCase(case.args, case.args_index, case.repeat, case.size, value=decode(case.value, buffers))
                      for case in result.cases)
        return ProbeResult(result.index, error=result.error, cases=cases)
    return result


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
