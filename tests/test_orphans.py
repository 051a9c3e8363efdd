"""Every process a run starts dies with the run, however it detaches: a child that calls setsid()
and forks a grandchild, while the run ignores SIGINT, must not survive the watchdog, the session's
close (ctrl+q in the app) or the tutor's exit on SIGTERM. And a worker's scratch folder goes with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tutor.lessons import Catalog
from tutor.paths import package_root
from tutor.sandbox.runspec import Outcome, RunRequest
from tutor.session import Session, SessionConfig

from conftest import FAULTS
from test_protections import needs_seccomp

EXERCISE = "faults/double-with-processes"  # timeout = 2 s

# The child detaches (setsid, refused or not) and forks a grandchild; both ignore SIGINT and write
# their pids into the scratch folder, then sleep. With `child_exits` the child ends at once, so the
# grandchild is re-parented (the classic double fork).
ORPHANS = """
import os, signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
if os.fork() == 0:
    try:
        try:
            os.setsid()
        except PermissionError:
            pass
        if os.fork() == 0:
            with open('pids.txt', 'a') as handle:
                handle.write(f'{{os.getpid()}}\\n')
            time.sleep(1000)
        with open('pids.txt', 'a') as handle:
            handle.write(f'{{os.getpid()}}\\n')
        if not {child_exits}:
            time.sleep(1000)
    finally:
        os._exit(0)
time.sleep(1000)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_dead(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def read_pids(scratch: Path, seconds: float = 20.0) -> list[int]:
    """The child's and grandchild's pids, once both have written them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pids = [int(line) for line in (scratch / "pids.txt").read_text().split()]
        except (OSError, ValueError):
            pids = []
        if len(pids) == 2:
            return pids
        time.sleep(0.02)
    raise AssertionError("the run's processes never wrote their pids")


def gone(path: Path, seconds: float = 10.0) -> bool:
    """The scratch folder is removed once the worker is reaped, in the background."""
    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not path.exists()


def kill_leftovers(pids: list[int]) -> None:
    """So that a failing test leaves nothing running."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def session():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=False)) as session:
        session.reference(session.catalog.exercise(EXERCISE))
        yield session


def start_check(session: Session, code: str) -> tuple[threading.Thread, dict]:
    outcome: dict = {}
    thread = threading.Thread(target=lambda: outcome.update(verdict=session.check(session.catalog.exercise(EXERCISE), code, record=False)))
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("child_exits", [False, True], ids=["child-stays", "double-fork"])
def test_no_process_of_a_run_survives_its_timeout(session, child_exits):
    pool = session.pool("cpu", processes=True)
    pool.ready()
    worker = pool.active_pid
    scratch = Path(os.readlink(f"/proc/{worker}/cwd"))
    thread, outcome = start_check(session, ORPHANS.format(child_exits=child_exits))
    pids = read_pids(scratch)
    try:
        thread.join(timeout=30)
        assert outcome["verdict"].status == "timeout"
        assert wait_dead(pids) == []
        assert wait_dead([worker]) == []
        assert session.check(session.catalog.exercise(EXERCISE), "y = x * 2\n", record=False).passed  # and the next run is fine
    finally:
        kill_leftovers(pids)


def test_no_process_of_a_run_survives_the_session_closing():
    session = Session(Catalog.load([FAULTS]), SessionConfig(spare=True))
    try:
        pool = session.pool("cpu", processes=True)
        pool.ready()
        worker, spare = pool.active_pid, pool.spare_pid
        scratch = Path(os.readlink(f"/proc/{worker}/cwd"))
        thread, _ = start_check(session, ORPHANS.format(child_exits=True))
        pids = read_pids(scratch)
    finally:
        session.close()  # what the app does on ctrl+q, while the run is still going
    try:
        assert wait_dead(pids + [worker, spare]) == []
        thread.join(timeout=30)
        assert gone(scratch)
    finally:
        kill_leftovers(pids)


TUTOR = """
import os, sys, threading
from tutor.lessons import Catalog
from tutor.session import Session, SessionConfig
session = Session(Catalog.load([{faults!r}]), SessionConfig(spare=False))
pool = session.pool("cpu", processes=True)
pool.ready()
print(pool.active_pid, os.readlink(f"/proc/{{pool.active_pid}}/cwd"), flush=True)
threading.Thread(target=session.check, args=(session.catalog.exercise({exercise!r}), {code!r}), kwargs={{"record": False}},
                 daemon=True).start()
threading.Event().wait()
"""


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_no_process_of_a_run_survives_the_tutor_exiting(how):
    code = TUTOR.format(faults=str(FAULTS), exercise=EXERCISE, code=ORPHANS.format(child_exits=True))
    tutor = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                             cwd=package_root(), env=dict(os.environ, PYTHONPATH=str(package_root())))
    pids: list[int] = []
    try:
        worker_pid, scratch_name = tutor.stdout.readline().decode().split()
        worker, scratch = int(worker_pid), Path(scratch_name)
        pids = read_pids(scratch)
        tutor.send_signal(how)
        tutor.wait(timeout=30)
        assert wait_dead(pids + [worker]) == []
        assert not scratch.exists()
    finally:
        tutor.kill()
        tutor.wait()
        kill_leftovers(pids)


@needs_seccomp
def test_start_new_session_is_refused_with_a_reason(session):
    verdict = session.check(session.catalog.exercise(EXERCISE), "import subprocess\nsubprocess.run(['true'], start_new_session=True)\n",
                            record=False)
    assert verdict.status == "error"
    assert "keeps every process a run starts in the run's process group" in verdict.error.message


def test_without_seccomp_the_tutor_still_finds_detached_processes_through_proc(tmp_path):
    """No libseccomp: setsid works, so the process group is not enough; the tutor's /proc walk from
    the worker (their child subreaper) must find them."""
    from test_protections import SITE_PATCHES
    from tutor.sandbox.client import WorkerProcess, WorkerSpec

    (tmp_path / "sitecustomize.py").write_text(SITE_PATCHES["no-libseccomp"])
    env = (("PYTHONPATH", os.pathsep.join([str(package_root()), str(tmp_path)])),)
    for child_exits in (False, True):
        worker = WorkerProcess(WorkerSpec(allow_processes=True, extra_env=env))
        pids: list[int] = []
        try:
            assert "setsid" in worker.wait_ready()["protections"]["processes"]  # it says what is missing
            outcome: dict = {}
            request = RunRequest(code=ORPHANS.format(child_exits=child_exits))
            thread = threading.Thread(target=lambda: outcome.update(exchange=worker.request(request.to_wire(),
                                                                                            timeout=2.0)))
            thread.start()
            pids = read_pids(Path(worker.scratch))
            sessions = {int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[3]) for pid in pids}
            assert worker.process.pid not in sessions  # they did leave the worker's session
            thread.join(timeout=30)
            assert outcome["exchange"].ended is Outcome.TIMEOUT
            assert wait_dead(pids + [worker.process.pid]) == []
        finally:
            worker.close()
            kill_leftovers(pids)
