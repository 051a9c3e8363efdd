"""A fault injector kills the worker, or its spare, at random moments; the tutor must not notice more
than it has to: every run ends with a verdict (possibly `crashed`), never a hang, the next correct
run passes, and no attempt reported as recorded is lost. Bounded counts, seeded randomness.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tutor.lessons import Catalog
from tutor.progress.store import ProgressStore
from tutor.session import Session, SessionConfig

from conftest import FAULTS

CORRECT = "y = x * 2\n"
SLOW_CORRECT = "import time\ntime.sleep({delay:.3f})\ny = x * 2\n"
# A verdict may wait for a replacement worker to import torch (seconds on a loaded 2-core machine),
# but never for ever: "no hang" means well inside this.
NO_HANG = 90.0


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    store = ProgressStore(tmp_path_factory.mktemp("store") / "progress.db")
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=True, memory_limit=1024**3), store=store) as session:
        session.ready()
        session.reference(session.catalog.exercise("faults/double"))
        session.pool().wait_spare()
        yield session
    store.close()


def kill_and_wait(pid: int | None) -> None:
    """SIGKILL, then wait until the kernel has really ended it (a zombie counts as ended)."""
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.005)


def check(session: Session, code: str, record: bool = False):
    started = time.monotonic()
    verdict = session.check(session.catalog.exercise("faults/double"), code, record=record)
    elapsed = time.monotonic() - started
    assert elapsed < NO_HANG, f"a run took {elapsed:.1f} s"
    return verdict


class Injector:
    """Kills the process `target()` names after a random delay, on its own thread."""

    def __init__(self, target, rng: random.Random, longest: float) -> None:
        self.delay = rng.uniform(0.0, longest)
        self.thread = threading.Thread(target=self._run, args=(target,), daemon=True)
        self.thread.start()

    def _run(self, target) -> None:
        time.sleep(self.delay)
        kill_and_wait(target())

    def join(self) -> None:
        self.thread.join(timeout=30)


def test_killing_the_worker_at_random_moments(session):
    rng = random.Random(6)
    statuses = []
    for _ in range(8):
        pid = session.pool().active_pid
        injector = Injector(lambda: pid, rng, longest=0.4)
        verdict = check(session, SLOW_CORRECT.format(delay=rng.uniform(0.0, 0.3)))
        injector.join()  # the kill may land after the run: the next run must cope with that too
        assert verdict.status in ("passed", "crashed"), verdict
        statuses.append(verdict.status)
        assert check(session, CORRECT).passed  # the next correct run passes
    print(f"\nworker kills: {statuses.count('crashed')} runs crashed, {statuses.count('passed')} finished first")
    assert "crashed" in statuses  # the injector did hit runs in progress


def test_killing_the_spare_at_random_moments(session):
    rng = random.Random(7)
    pool = session.pool()
    recycled, started = pool.recycled, time.monotonic()
    for _ in range(4):
        # Kill the spare at a random moment: while it imports torch, or once it is waiting.
        injector = Injector(lambda: pool.spare_pid, rng, longest=3.0)
        for _ in range(5):
            assert check(session, SLOW_CORRECT.format(delay=0.05)).passed
        injector.join()
        # Now make the pool promote its spare, which may be dead or only half started.
        crash = check(session, "import os\nos._exit(3)\n")
        assert crash.status == "crashed"
        assert check(session, CORRECT).passed
    print(f"\nspare kills: 20 runs passed, 4 promotions, {pool.recycled - recycled} workers replaced, "
          f"{time.monotonic() - started:.1f} s")


def test_recorded_attempts_survive_the_injector(session):
    rng = random.Random(8)
    store = session.store
    before = len(store.attempts("faults/double"))
    reported = []
    for index in range(10):
        pid = session.pool().active_pid
        injector = Injector(lambda: pid, rng, longest=0.3) if index % 2 == 0 else None
        verdict = check(session, SLOW_CORRECT.format(delay=rng.uniform(0.0, 0.2)), record=True)
        if injector is not None:
            injector.join()
        reported.append(verdict.status)
    rows = store.attempts("faults/double")[before:]
    assert sorted(row["status"] for row in rows) == sorted(reported)
    assert len(rows) == len(reported)
    print(f"\nrecorded under the injector: {len(rows)} of {len(reported)} ({reported.count('crashed')} crashed)")


_WRITER = """
import sys, time
from pathlib import Path
from tutor.progress.store import ProgressStore
store = ProgressStore(Path(sys.argv[1]))
n = 0
while True:
    row = store.record_attempt("faults/double", "passed", 1.0, "cpu", "y = x * 2  # " + str(n))
    print(row, flush=True)  # reported as recorded only after the commit returned
    n += 1
"""


def test_a_tutor_killed_mid_write_loses_no_reported_attempt(tmp_path):
    """The tutor process itself dies by SIGKILL while writing attempts (two at once, like two SSH
    sessions): every attempt it reported as recorded is in the file, and the file is sound."""
    rng = random.Random(9)
    path = tmp_path / "progress.db"
    ProgressStore(path).close()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    reported: set[int] = set()
    for _ in range(5):
        writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE,
                                    text=True, env=env) for _ in range(2)]
        time.sleep(rng.uniform(0.5, 1.5))
        for writer in writers:
            writer.kill()
        for writer in writers:
            out, _ = writer.communicate(timeout=30)
            reported.update(int(line) for line in out.split() if line.isdigit())
    assert len(reported) > 10  # the writers did get going before the kills
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT id FROM attempts")}
    finally:
        conn.close()
    assert reported <= stored
    print(f"\nkilled writers: {len(reported)} attempts reported, all {len(reported & stored)} in the file "
          f"({len(stored)} stored)")
