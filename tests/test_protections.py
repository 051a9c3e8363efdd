"""The sandbox refuses what it should (network, processes, writes outside the scratch folder, raising
limits, signalling the tutor), says so in words a learner can act on, allows processes only to the
exercises that ask, and reports honestly, protection by protection, what is on and what is not.

Tests that need a kernel feature skip, saying which, where it is missing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tutor.cli.doctor import describe_protections
from tutor.lessons import Catalog
from tutor.sandbox.client import WorkerProcess, WorkerSpec
from tutor.sandbox.record import RunRecord
from tutor.sandbox.runspec import Outcome, Probe, RunRequest
from tutor.sandbox.worker import landlock, seccomp
from tutor.session import Session, SessionConfig

from conftest import FAULTS

CORRECT = "y = x * 2\n"
NETWORK = "network access is disabled in the tutor's sandbox"
PROCESSES = "starting processes is disabled in this exercise's sandbox"
FILES = "write files only in the current directory"


def _seccomp_missing() -> str | None:
    try:
        seccomp._library()
    except seccomp.SeccompUnavailable as exc:
        return str(exc)
    status = Path("/proc/self/status").read_text() if Path("/proc/self/status").exists() else ""
    return None if "Seccomp:" in status else "this kernel has no seccomp"


def _landlock_missing() -> str | None:
    try:
        landlock.abi_version()
    except landlock.LandlockUnavailable as exc:
        return str(exc)
    return None


needs_seccomp = pytest.mark.skipif(_seccomp_missing() is not None, reason=f"seccomp: {_seccomp_missing()}")
needs_landlock = pytest.mark.skipif(_landlock_missing() is not None, reason=f"Landlock: {_landlock_missing()}")


@pytest.fixture(scope="module")
def session():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=False)) as session:
        session.reference(session.catalog.exercise("faults/double"))
        session.reference(session.catalog.exercise("faults/double-with-processes"))
        yield session


def run(session, code, exercise="faults/double"):
    return session.check(session.catalog.exercise(exercise), code, record=False)


def refused(verdict, words):
    assert verdict.status == "error", verdict
    assert words in verdict.error.message, verdict.error.message
    return verdict


# -- what the worker reports ---------------------------------------------------------------------
@needs_seccomp
@needs_landlock
def test_every_protection_is_on_here(session):
    hello = session.pool().ready()
    assert set(hello["protections"]) == {"network", "processes", "files", "metadata", "memory", "privileges"}
    for name, state in hello["protections"].items():
        assert state.startswith("on:"), (name, state)
    assert hello["policy"] == {"processes": False}
    assert hello["protect_ms"] < 1000  # paid once per worker, never per run


@needs_seccomp
def test_the_processes_worker_says_processes_are_allowed(session):
    hello = session.pool("cpu", processes=True).ready()
    assert hello["policy"] == {"processes": True}
    assert hello["protections"]["processes"].startswith("off for this worker")
    assert "cannot leave the run's process group" in hello["protections"]["processes"]
    assert hello["protections"]["metadata"].startswith("on:") and hello["protections"]["memory"].startswith("on:")
    assert hello["protections"]["network"].startswith("on:")


def test_doctor_never_claims_a_protection_it_was_not_told_about():
    rows = dict(describe_protections({"limits": {}, "protections": {
        "network": "off: libseccomp is not installed", "files": "on: writes only in scratch"}}))
    assert rows["network"].startswith("[yellow]off[/]") and "libseccomp" in rows["network"]
    assert rows["file writes"].startswith("[green]on[/]")
    assert "off" in rows["process creation"] and "off" in rows["privileges"]  # absent: not enforced
    assert "off" in rows["file metadata"] and "off" in rows["shared memory"]
    old_worker = dict(describe_protections({"limits": {}}))  # a worker from before this version
    for name in ("network", "process creation", "file writes", "file metadata", "shared memory", "privileges"):
        assert old_worker[name] == "[yellow]off[/]: not enforced by this version"


# -- network -------------------------------------------------------------------------------------
@needs_seccomp
@pytest.mark.parametrize("code", [
    "import socket\nsocket.socket()\n",
    "import socket\nsocket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n",
    "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n",
    "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=1)\n",
    "import socket\nsocket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n",
])
def test_no_network(session, code):
    refused(run(session, code), NETWORK)


@needs_seccomp
def test_no_network_even_where_processes_are_allowed(session):
    refused(run(session, "import socket\nsocket.create_connection(('127.0.0.1', 9))\n",
                "faults/double-with-processes"), NETWORK)


@needs_seccomp
def test_a_socketpair_still_works(session):
    verdict = run(session, "import socket\na, b = socket.socketpair()\na.send(b'hi')\nprint(b.recv(2))\n" + CORRECT)
    assert verdict.passed and verdict.stdout == "b'hi'\n"


# -- processes -----------------------------------------------------------------------------------
@needs_seccomp
@pytest.mark.parametrize("code", [
    "import os\nos.fork()\n",
    "import subprocess\nsubprocess.run(['true'])\n",
    "import os\nos.execv('/bin/true', ['true'])\n",
    "import multiprocessing\nmultiprocessing.Pool(2)\n",
    "import torch\nfrom torch.utils.data import DataLoader\nlist(DataLoader(torch.arange(4.), num_workers=2))\n",
])
def test_no_processes_by_default(session, code):
    verdict = refused(run(session, code), PROCESSES)
    assert "processes = true" in verdict.error.message  # and how a lesson asks for more


@needs_seccomp
def test_threads_still_work(session):
    verdict = run(session, "import threading, torch\ntorch.set_num_threads(2)\n"
                           "z = torch.randn(256, 256) @ torch.randn(256, 256)\n"
                           "t = threading.Thread(target=print, args=('thread',))\nt.start(); t.join()\n" + CORRECT)
    assert verdict.passed and verdict.stdout == "thread\n"


DATALOADER = """
import torch
from torch.utils.data import DataLoader, TensorDataset
loader = DataLoader(TensorDataset(torch.arange(12.)), batch_size=3, num_workers=2)
total = sum(batch.sum() for (batch,) in loader)
assert total.item() == 66
""" + CORRECT


def test_an_exercise_that_allows_processes_gets_dataloader_workers(session):
    for _ in range(2):  # twice: nothing the first run left behind may break the second
        verdict = run(session, DATALOADER, "faults/double-with-processes")
        assert verdict.passed, verdict
    assert run(session, "import subprocess\nprint(subprocess.run(['echo', 'hi'], capture_output=True).stdout)\n"
               + CORRECT, "faults/double-with-processes").stdout == "b'hi\\n'\n"


HANGING_WORKERS = """
import time
from torch.utils.data import DataLoader, Dataset
class Slow(Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, index):
        time.sleep(1e6)
for batch in DataLoader(Slow(), num_workers=2):
    pass
"""


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
                found += [int(child) for child in children]
                queue += [int(child) for child in children]
        except OSError:
            pass
    return found


def test_the_watchdog_still_stops_every_process_an_exercise_started(session):
    pool = session.pool("cpu", processes=True)
    verdict = run(session, HANGING_WORKERS, "faults/double-with-processes")
    assert verdict.status == "timeout"
    worker = pool.active_pid
    deadline = time.monotonic() + 5
    while _descendants(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _descendants(worker) == []
    assert run(session, CORRECT, "faults/double-with-processes").passed


# -- files ---------------------------------------------------------------------------------------
@needs_landlock
def test_writes_outside_the_scratch_folder_are_refused(session, tmp_path):
    target = tmp_path / "written.txt"
    refused(run(session, f"open({str(target)!r}, 'w').write('x')\n"), FILES)
    refused(run(session, f"import os\nos.mkdir({str(tmp_path / 'folder')!r})\n"), FILES)
    assert not target.exists() and not (tmp_path / "folder").exists()


@needs_landlock
def test_a_lesson_cannot_write_into_its_own_pack(session):
    refused(run(session, "(lesson_dir / 'evil.toml').write_text('x')\n"), FILES)
    assert not (FAULTS / "evil.toml").exists()


@needs_landlock
def test_writes_inside_the_scratch_folder_work(session):
    verdict = run(session, "import tempfile, torch\nopen('notes.txt', 'w').write('x')\n"
                           "torch.save(torch.ones(2), 'model.pt')\nprint(torch.load('model.pt').sum().item())\n"
                           "with tempfile.NamedTemporaryFile() as handle:\n    handle.write(b'x')\n"
                           "open('/dev/null', 'w').write('gone')\n" + CORRECT)
    assert verdict.passed and verdict.stdout == "2.0\n"


@needs_landlock
def test_the_packs_own_files_can_be_read(session):
    verdict = run(session, "print(len((lesson_dir / '10-faults.toml').read_text()) > 0)\n" + CORRECT)
    assert verdict.passed and verdict.stdout == "True\n"


@needs_landlock
def test_devices_cannot_be_opened(session):
    disks = [f"/dev/{name}" for name in os.listdir("/sys/block") if Path(f"/dev/{name}").exists()] \
        if Path("/sys/block").is_dir() else []
    if not disks:
        pytest.skip("no block device node to try")
    refused(run(session, f"open({disks[0]!r}, 'rb').read(512)\n"), "does not let code open devices")


# -- privileges ----------------------------------------------------------------------------------
@needs_seccomp
def test_hard_limits_cannot_be_raised(session):
    refused(run(session, "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n"),
            "does not let code change its resource limits")
    verdict = run(session, "import resource\nprint(resource.getrlimit(resource.RLIMIT_CORE))\n" + CORRECT)
    assert verdict.passed and verdict.stdout == "(0, 0)\n"  # reading a limit is fine


def test_no_capabilities_are_left(session):
    verdict = run(session, "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0])\n"
                  + CORRECT)
    assert verdict.passed and int(verdict.stdout, 16) == 0


@needs_landlock
def test_the_tutor_cannot_be_signalled(session):
    if landlock.abi_version() < 6:
        pytest.skip("Landlock signal scoping needs ABI 6 (Linux 6.12)")
    refused(run(session, "import os\nos.kill(os.getppid(), 0)\n"), "does not let code signal")


# -- each protection degrades on its own ---------------------------------------------------------
SITE_PATCHES = {
    "no-libseccomp": "from tutor.sandbox.worker import seccomp\n"
                     "def _library():\n    raise seccomp.SeccompUnavailable('libseccomp (libseccomp.so.2) is not installed')\n"
                     "seccomp._library = _library\n",
    "no-landlock": "from tutor.sandbox.worker import landlock\n"
                   "def abi_version():\n    raise landlock.LandlockUnavailable('this kernel has no Landlock')\n"
                   "landlock.abi_version = abi_version\n",
}


def _start(tmp_path, patch: str | None = None, **env) -> WorkerProcess:
    extra = dict(env)
    if patch:
        (tmp_path / "sitecustomize.py").write_text(SITE_PATCHES[patch])
        root = str(Path(__file__).parent.parent)
        extra["PYTHONPATH"] = os.pathsep.join([root, str(tmp_path)])
    worker = WorkerProcess(WorkerSpec(extra_env=tuple(extra.items())))
    worker.wait_ready()
    return worker


def _works(worker: WorkerProcess) -> bool:
    request = RunRequest(code="import torch\nz = torch.ones(2) * 2\n", probes=(Probe(0, "value", "z"),))
    record = RunRecord.from_exchange(worker.request(request.to_wire(), timeout=30))
    return record.outcome is Outcome.OK and record.result(0).value.array.tolist() == [2.0, 2.0]


@needs_landlock
def test_without_libseccomp_the_rest_still_holds(tmp_path):
    worker = _start(tmp_path, "no-libseccomp")
    try:
        report = worker.hello["protections"]
        assert report["network"].startswith("partial:") and "libseccomp" in report["network"]
        assert report["processes"].startswith("off:") and "libseccomp" in report["processes"]
        assert report["files"].startswith("on:")
        assert report["metadata"].startswith("off:") and "libseccomp" in report["metadata"]
        assert report["memory"].startswith("off:") and "libseccomp" in report["memory"]
        assert report["privileges"].startswith("partial:")
        assert _works(worker)
    finally:
        worker.close()


@needs_seccomp
def test_without_landlock_the_rest_still_holds(tmp_path):
    worker = _start(tmp_path, "no-landlock")
    try:
        report = worker.hello["protections"]
        assert report["files"] == "off: this kernel has no Landlock"
        assert report["network"].startswith("on:") and "Landlock" not in report["network"]
        assert report["processes"].startswith("on:")
        assert _works(worker)
    finally:
        worker.close()


def test_protections_turned_off_by_the_user_say_so(tmp_path):
    worker = _start(tmp_path, PTREF_SANDBOX_OFF="files,network,metadata,memory")
    try:
        report = worker.hello["protections"]
        for name in ("files", "network", "metadata", "memory"):
            assert report[name] == "off: turned off by PTREF_SANDBOX_OFF"
        target = tmp_path / "allowed.txt"
        request = RunRequest(code=f"open({str(target)!r}, 'w').write('x')\n")
        record = RunRecord.from_exchange(worker.request(request.to_wire(), timeout=30))
        assert record.outcome is Outcome.OK and target.exists()
    finally:
        worker.close()
