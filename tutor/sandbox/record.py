"""One finished run, decoded: what the checks need from the worker's reply."""

from __future__ import annotations

from dataclasses import dataclass, field

from tutor.sandbox.capture import Captured
from tutor.sandbox.client import Exchange
from tutor.sandbox.protocol import ProtocolError
from tutor.sandbox.values import decode


@dataclass
class RunRecord:
    outcome: str  # "ok" | "error" | "timeout" | "crashed" | "cancelled"
    phase: str | None = None  # where an error happened: "setup", "code" or "checks"
    error: dict | None = None
    values: dict[str, object] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    asserts: list[dict] = field(default_factory=list)
    functions: list[dict] = field(default_factory=list)
    stdout: Captured = field(default_factory=Captured)
    stderr: Captured = field(default_factory=Captured)
    exit_description: str = ""
    elapsed_ms: float = 0.0
    check_stdout: str = ""  # printed by the learner's code while the checks called it

    @classmethod
    def from_exchange(cls, exchange: Exchange) -> "RunRecord":
        reply = exchange.reply
        record = cls(
            outcome="ok", stdout=exchange.stdout, stderr=exchange.stderr,
            exit_description=exchange.exit_description, elapsed_ms=exchange.elapsed_ms,
            check_stdout=reply.get("check_stdout", ""),
        )
        if exchange.outcome != "reply":
            record.outcome = exchange.outcome
            record.error = reply.get("error")
            return record
        if reply.get("status") == "error":
            record.outcome = "error"
            record.phase = reply.get("phase")
            record.error = reply.get("error")
            return record
        try:
            record.values = {name: decode(node, exchange.buffers) for name, node in reply.get("values", {}).items()}
            record.missing = set(reply.get("missing", []))
            record.asserts = list(reply.get("asserts", []))
            record.functions = [_decode_function(item, exchange.buffers) for item in reply.get("functions", [])]
        except (ProtocolError, KeyError, TypeError, ValueError) as exc:
            record.outcome = "crashed"
            record.exit_description = f"the worker sent a malformed reply ({exc})"
        return record


def _decode_function(item: dict, buffers: list) -> dict:
    decoded = dict(item)
    cases = []
    for case in item.get("cases", []):
        case = dict(case)
        if "value" in case:
            case["value"] = decode(case["value"], buffers)
        cases.append(case)
    decoded["cases"] = cases
    return decoded
