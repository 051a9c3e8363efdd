"""A worker is read as hostile: no reply, file or text from it can crash, hang or fool the tutor.

Learner code shares the worker process, so it can write anything to the control pipe and the
shared-memory arena. A fake worker (a small script standing in for the real one) sends random
and adversarial frames; the tutor must always come back with an outcome within the run's time
and never allocate what a header merely promises.
"""

from __future__ import annotations

import json
import resource
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.lessons import Catalog
from tutor.sandbox.client import WorkerProcess, WorkerSpec
from tutor.sandbox.protocol import MAX_REPLY_BYTES
from tutor.sandbox.record import RunRecord
from tutor.sandbox.runspec import Outcome, RunRequest
from tutor.session import Session, SessionConfig

from conftest import FAULTS, TESTS

ROOT = TESTS.parent
RUN_TIMEOUT = 0.5
FRAME_GRACE = 0.3
# Run timeout, SIGINT grace, the frame grace, and room for a loaded machine.
ID = "@" * 7 + "ID" + "@" * 7  # as long as a request's id, so frame lengths stay right
WITHIN = RUN_TIMEOUT + WorkerProcess.GRACE_AFTER_INTERRUPT + FRAME_GRACE + 3.0

FAKE_WORKER = """\
#!{python}
# Stands in for `python -m tutor.sandbox.worker`: says hello, then answers every request with the
# bytes in $PTREF_FAKE_PAYLOAD (the placeholder becomes the request's id, of the same length), then
# does what $PTREF_FAKE_THEN says.
import json, os, sys, time
sys.path.insert(0, {root!r})
from tutor.sandbox.protocol import read_frame, write_frame

config = json.loads(sys.argv[sys.argv.index("--config") + 1])
write_frame(config["ctl_out"], {{"op": "hello", "ok": True, "pid": os.getpid(), "device": "cpu"}})
payload = open(os.environ["PTREF_FAKE_PAYLOAD"], "rb").read()
while True:
    request, _ = read_frame(config["ctl_in"])
    if os.environ.get("PTREF_FAKE_SHRINK_ARENA"):
        os.ftruncate(config["arena_fd"], 0)  # after pointing into it: the tutor's copy must not fault
    os.write(config["ctl_out"], payload.replace({placeholder!r}, request["id"].encode()))
    then = os.environ.get("PTREF_FAKE_THEN", "stall")
    if then == "exit":
        sys.exit(0)
    if then == "stall":
        time.sleep(3600)
"""


@pytest.fixture(scope="module")
def fake_python(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("fake") / "fake-python"
    path.write_text(FAKE_WORKER.format(python=sys.executable, root=str(ROOT), placeholder=ID.encode()))
    path.chmod(0o755)
    return str(path)


def frame(header: dict | bytes, tail: bytes = b"") -> bytes:
    body = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<4sI", b"PTRF", len(body)) + body + tail


def exchange_with(fake_python: str, tmp_path: Path, payload: bytes, then: str = "stall", **env: str):
    payload_file = tmp_path / f"payload-{time.monotonic_ns()}"
    payload_file.write_bytes(payload)
    extra = {"PTREF_FAKE_PAYLOAD": str(payload_file), "PTREF_FAKE_THEN": then, **env}
    worker = WorkerProcess(WorkerSpec(python=fake_python, extra_env=tuple(extra.items())))
    worker.FRAME_GRACE = FRAME_GRACE
    try:
        worker.wait_ready(timeout=30)
        started = time.monotonic()
        exchange = worker.request(RunRequest(code="x = 1\n").to_wire(), timeout=RUN_TIMEOUT)
        return RunRecord.from_exchange(exchange), time.monotonic() - started
    finally:
        worker.close()


def ok_reply(**fields) -> dict:
    return {"op": "result", "outcome": "ok", "id": ID, **fields}


ADVERSARIAL = {
    # The header promises a 100-byte inline buffer, then silence (it hung the tutor forever).
    "stall mid-frame": frame(ok_reply(buffers=[100]), b"x" * 10),
    "stall after the prefix": frame(ok_reply())[:8],
    "stall in the prefix": b"PTR",
    "a 2 GiB inline buffer promised": frame(ok_reply(buffers=[2 * 2**30])),
    "three 1 GiB arena entries promised": frame(ok_reply(buffers=[{"arena": 0, "size": 2**30}] * 3)),
    "an arena entry out of bounds": frame(ok_reply(buffers=[{"arena": 2**40, "size": 10}])),
    "a negative size": frame(ok_reply(buffers=[-1])),
    "a size that is true": frame(ok_reply(buffers=[True])),
    "JSON nested 100,000 deep": frame(b"[" * 100_000 + b"]" * 100_000),
    "a header that is a list": frame(b"[1, 2, 3]"),
    "error is a string": frame(ok_reply(outcome="error", error="str")),
    "a bad magic": b"EVIL" + b"\0" * 64,
    "a header length over the limit": struct.pack("<4sI", b"PTRF", 2**31),
    "not UTF-8": frame(b"\xff\xfe{"),
    "an answer to another request, then silence": frame({"op": "result", "outcome": "ok", "id": "0123"}),
    "a value pointing at a missing buffer": frame(ok_reply(variants=[{"variant": 0, "results": [{"index": 0, "value": {
        "t": "tensor", "dtype": "float32", "shape": [4], "wire": "<f4", "buf": 5}}]}])),
    "a tensor whose buffer is the wrong size": frame(ok_reply(buffers=[3], variants=[{"variant": 0, "results": [{
        "index": 0, "value": {"t": "tensor", "dtype": "float32", "shape": [4], "wire": "<f4", "buf": 0}}]}]),
        b"abc"),
    "a value nested 5,000 deep": frame(b'{"op": "result", "outcome": "ok", "id": ID, "results": '
                                       b'[{"index": 0, "value": ' + b'{"t": "list", "items": [' * 5000
                                       + b'{"t": "none"}' + b']}' * 5000 + b'}]}'),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_an_adversarial_reply_ends_in_an_outcome_in_time(fake_python, tmp_path, name):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    record, elapsed = exchange_with(fake_python, tmp_path, ADVERSARIAL[name])
    print(f"{name}: {record.outcome.value} in {elapsed:.2f} s: {record.exit_description}")
    assert elapsed < WITHIN
    assert record.outcome in (Outcome.CRASHED, Outcome.TIMEOUT)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"the tutor grew by {grown_mb:.0f} MB for a reply that promised much and sent little"


def test_a_stall_mid_frame_says_the_reply_was_incomplete(fake_python, tmp_path):
    record, _ = exchange_with(fake_python, tmp_path, ADVERSARIAL["stall mid-frame"])
    assert record.outcome is Outcome.CRASHED
    assert "incomplete reply" in record.exit_description


def test_a_stall_mid_frame_is_stopped_by_the_learner_at_once(fake_python, tmp_path):
    import threading

    payload = tmp_path / "payload"
    payload.write_bytes(ADVERSARIAL["stall mid-frame"])
    extra = (("PTREF_FAKE_PAYLOAD", str(payload)),)
    worker = WorkerProcess(WorkerSpec(python=fake_python, extra_env=extra))
    worker.FRAME_GRACE = 60.0  # only the stop may end it
    cancel = threading.Event()
    try:
        worker.wait_ready(timeout=30)
        threading.Timer(0.3, cancel.set).start()
        started = time.monotonic()
        exchange = worker.request(RunRequest(code="").to_wire(), timeout=60, cancel=cancel)
        assert time.monotonic() - started < 5
        assert exchange.ended is Outcome.CRASHED
    finally:
        worker.close()


def test_a_worker_shrinking_the_arena_cannot_kill_the_tutor(fake_python, tmp_path):
    """A reply pointing into the shared arena after the worker truncated it made the tutor's copy
    fault (SIGBUS). Run in a child process, so a regression fails this test instead of pytest."""
    payload = tmp_path / "payload"
    payload.write_bytes(frame(ok_reply(buffers=[{"arena": 0, "size": 4 * 2**20}])))
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from tutor.sandbox.client import WorkerProcess, WorkerSpec
        from tutor.sandbox.record import RunRecord
        from tutor.sandbox.runspec import RunRequest
        env = (("PTREF_FAKE_PAYLOAD", {str(payload)!r}), ("PTREF_FAKE_SHRINK_ARENA", "1"))
        worker = WorkerProcess(WorkerSpec(python={fake_python!r}, extra_env=env))
        worker.wait_ready(timeout=30)
        record = RunRecord.from_exchange(worker.request(RunRequest(code="").to_wire(), timeout=5))
        print(record.outcome.value, "|", record.exit_description)
        worker.close()
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, f"the tutor died: {completed.returncode} {completed.stderr[-500:]}"
    assert completed.stdout.startswith("crashed |") and "ends early" in completed.stdout


def readable_bytes(payload: bytes) -> int:
    """What a random reply's buffers ask the tutor to copy, where that is within its budget."""
    try:
        header = json.loads(payload[8:8 + struct.unpack("<I", payload[4:8])[0]])
        sizes = [entry["size"] if isinstance(entry, dict) else entry for entry in header["buffers"]]
        total = sum(size for size in sizes if isinstance(size, int) and size > 0)
    except Exception:  # noqa: BLE001 - not a frame with buffers: nothing to copy
        return 0
    return total if total <= MAX_REPLY_BYTES else 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.binary(max_size=64),
    st.builds(lambda body, tail: frame(body, tail), st.binary(max_size=64), st.binary(max_size=16)),
    st.builds(lambda sizes, cut: frame(ok_reply(buffers=sizes), b"z" * cut),
              st.lists(st.one_of(st.integers(-5, 2**34), st.fixed_dictionaries(
                  {"arena": st.integers(-5, 2**31), "size": st.integers(-5, 2**31)})), max_size=4),
              st.integers(0, 64)),
    st.builds(lambda fields: frame(ok_reply(**fields)), st.dictionaries(
        st.sampled_from(["outcome", "phase", "error", "variants", "variant", "inputs", "check_stdout", "recycle",
                         "id"]),
        st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                   max_size=3),
                     max_leaves=10))),
))
def test_random_replies_always_end_in_an_outcome_in_time(fake_python, tmp_path, payload):
    record, elapsed = exchange_with(fake_python, tmp_path, payload, then="exit")
    # A reply within the byte budget is read, not refused: copying what it sends (up to 1 GiB out
    # of a sparse arena) takes its time on a loaded machine, at no less than ~200 MB/s.
    assert elapsed < WITHIN + readable_bytes(payload) / 200e6
    assert isinstance(record.outcome, Outcome)


@pytest.fixture(scope="module")
def session():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=False)) as session:
        session.reference(session.catalog.exercise("faults/double"))
        yield session


FIND_MARKER = """
import sys
frame, token = sys._getframe(), None
while frame is not None and token is None:
    token = frame.f_locals.get("request", {}).get("end") if isinstance(frame.f_locals.get("request"), dict) else None
    frame = frame.f_back
marker = "\\x1e\\x1fPTREF-END:" + token + "\\x1f\\x1e"
print("before")
print(marker, end="")
print("after the forged marker")
"""


def test_the_end_marker_is_per_run_and_not_on_the_command_line(session):
    cmdline = Path(f"/proc/{session.pool().active_pid}/cmdline").read_bytes()
    assert b"PTREF-END" not in cmdline and b"marker" not in cmdline
    exercise = session.catalog.exercise("faults/double")
    forged = session.check(exercise, FIND_MARKER + "y = x * 2\n", record=False)
    assert forged.stdout == "before\nafter the forged marker\n"  # cut at the real end, not the forged one
    following = session.check(exercise, "y = x * 2\nprint('next run')\n", record=False)
    assert following.stdout == "next run\n"  # nothing of the previous run leaks into this one
    assert following.passed


def test_a_forged_reply_never_answers_the_next_request(session):
    """Code that writes a whole reply frame to the control pipe at most fools its own run; the
    real reply that follows must not be taken as the answer to the next request."""
    exercise = session.catalog.exercise("faults/double")
    forge = """
import json, os, struct, sys
frame = sys._getframe()
while not hasattr(frame.f_locals.get("self"), "ctl_out"):  # up to the worker's serve loop
    frame = frame.f_back
worker, request = frame.f_locals["self"], frame.f_locals["request"]
body = json.dumps({"op": "result", "outcome": "ok", "id": request["id"], "results": [], "buffers": []}).encode()
os.write(worker.ctl_out, struct.pack("<4sI", b"PTRF", len(body)) + body)
z = 1
"""
    session.check(exercise, forge, record=False)
    for _ in range(3):
        verdict = session.check(exercise, "y = x * 2\n", record=False)
        assert verdict.passed, verdict.summary
