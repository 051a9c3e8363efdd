"""The run as data: requests and replies survive the wire, and a malformed reply is one clear error."""

from __future__ import annotations

import pytest

from tutor.lessons import Catalog
from tutor.sandbox.capture import Captured
from tutor.sandbox.client import Exchange
from tutor.sandbox.protocol import ProtocolError
from tutor.sandbox.record import RunRecord
from tutor.sandbox.runspec import (CallCase, ErrorReport, Outcome, Probe, ProbeResult, RunReply, RunRequest,
                                  VariantRun)
from tutor.session import request_for

from conftest import EVERY_CHECK


def test_a_request_survives_the_wire():
    request = RunRequest(code="y = x * 2\n", setup="x = 1\n", seed=7, lesson_dir="/packs/a",
                         probes=(Probe(0, "value", "y"), Probe(2, "assert", "y == 2"),
                                 Probe(3, "function", "f", args=("(1,)", "(2,)"), repeat=3)))
    assert RunRequest.from_wire(request.to_wire()) == request


def test_a_reply_survives_the_wire():
    error = ErrorReport("ValueError", "bad", line=3, traceback=('  File "<your code>", line 3',))
    results = (ProbeResult(0, value={"t": "int", "v": 2}), ProbeResult(1, missing=True), ProbeResult(2, passed=True),
               ProbeResult(3, cases=(CallCase("(1,)", 0, 0, 1, value={"t": "int", "v": 2}),
                                     CallCase("(2,)", 1, 0, 1, error=error))))
    reply = RunReply(Outcome.OK, variants=(VariantRun(0, results), VariantRun(1, results, ("x = tensor([1.])",))),
                     check_stdout="hi\n", recycle=("changed torch.add",))
    assert RunReply.from_wire(reply.to_wire()) == reply
    failed = RunReply(Outcome.ERROR, phase="code", error=error, variant=2, inputs=("x = 3",))
    assert RunReply.from_wire(failed.to_wire()) == failed


def test_each_check_gets_a_probe_keyed_by_its_index():
    catalog = Catalog.load([EVERY_CHECK])
    exercise = catalog.exercise("every-check/tensor-square")
    request = request_for(exercise, "square = row.view(3, 3)\n")
    probe_kind = {"tensor": "value", "expected": "value", "assert": "assert", "function": "function"}
    wanted = {index: probe_kind[check.kind] for index, check in enumerate(exercise.checks)
              if check.kind in probe_kind}
    assert {probe.index: probe.kind for probe in request.probes} == wanted
    assert len(wanted) < len(exercise.checks)  # forbid/require/output need no probe
    assert str(exercise.lesson_dir) == request.lesson_dir and exercise.lesson_dir.is_absolute()


MALFORMED = [
    ["not", "an", "object"],
    {"op": "result"},
    {"op": "result", "outcome": "timeout"},  # only the tutor decides a run timed out
    {"op": "result", "outcome": "ok", "variants": "x"},
    {"op": "result", "outcome": "ok", "variants": [{"variant": 0, "results": [{"index": "0"}]}]},
    {"op": "result", "outcome": "ok", "variants": [{"variant": 0, "results": [{"index": 0, "passed": "yes"}]}]},
    {"op": "result", "outcome": "ok", "variants": [{"results": []}]},
    {"op": "result", "outcome": "ok", "variants": [{"variant": 0}] * 100},
    {"op": "result", "outcome": "error", "error": "str"},
    {"op": "result", "outcome": "error", "error": {"type": 1, "message": "m"}},
    {"op": "result", "outcome": "ok", "phase": "elsewhere"},
    {"op": "result", "outcome": "ok", "recycle": [1, 2]},
    {"op": "result", "outcome": "ok", "check_stdout": "x" * (300 * 1024)},
    {"op": "pong"},
]


@pytest.mark.parametrize("wire", MALFORMED)
def test_a_malformed_reply_is_a_protocol_error(wire):
    with pytest.raises(ProtocolError):
        RunReply.from_wire(wire)


@pytest.mark.parametrize("wire", MALFORMED)
def test_a_malformed_reply_is_a_crash_verdict_not_a_traceback(wire):
    record = RunRecord.from_exchange(Exchange(None, wire, [], Captured(), Captured()))
    assert record.outcome is Outcome.CRASHED and "malformed reply" in record.exit_description


def test_a_value_pointing_at_a_missing_buffer_is_a_crash():
    value = {"t": "tensor", "dtype": "float32", "shape": [2], "wire": "<f4", "buf": 3}
    wire = RunReply(Outcome.OK, variants=(VariantRun(0, (ProbeResult(0, value=value),)),)).to_wire()
    record = RunRecord.from_exchange(Exchange(None, wire, [], Captured(), Captured()))
    assert record.outcome is Outcome.CRASHED and "missing buffer" in record.exit_description


def test_the_tutor_decides_timeout_and_stopped_whatever_the_worker_said():
    interrupted = RunReply(Outcome.STOPPED, error=ErrorReport("KeyboardInterrupt", "")).to_wire()
    for ended in (Outcome.TIMEOUT, Outcome.STOPPED):
        record = RunRecord.from_exchange(Exchange(ended, interrupted, [], Captured(), Captured()))
        assert record.outcome is ended and record.error.type == "KeyboardInterrupt"
    # Interrupted without the tutor asking (the code sent itself SIGINT): the code's own error.
    record = RunRecord.from_exchange(Exchange(None, interrupted, [], Captured(), Captured()))
    assert record.outcome is Outcome.ERROR
