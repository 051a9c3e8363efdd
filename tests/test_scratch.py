"""Scratch folders (/tmp/ptref-run-*) go with their worker however it ends (close, kill, crash, the
tutor exiting), and a tutor that starts removes those of dead workers, and nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tutor.paths import package_root
from tutor.sandbox.client import WorkerProcess, WorkerSpec
from tutor.sandbox.runspec import Outcome, RunRequest
from tutor.sandbox.scratch import ScratchFolder, clean_stale

from conftest import EVERY_CHECK
from test_orphans import alive, gone

OLD = time.time() - 3600


def folders(where: Path) -> list[Path]:
    return sorted(where.glob("ptref-run-*"))


def python(code: str, tmpdir: Path, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONPATH=str(package_root()))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=package_root(), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def stale(path: Path) -> Path:
    path.mkdir()
    (path / "left-over.bin").write_bytes(b"x" * 1000)
    os.utime(path, (OLD, OLD))
    return path


# -- removed with the worker -----------------------------------------------------------------------
def test_check_leaves_no_scratch_folder_behind(tmp_path):
    answer = tmp_path / "answer.py"
    answer.write_text("y = x ** 2\n")
    result = subprocess.run([sys.executable, "-m", "tutor", "check", "tensor-square", "--file", str(answer),
                             "--lessons", str(EVERY_CHECK)], capture_output=True, timeout=180, cwd=package_root(),
                            env=dict(os.environ, TMPDIR=str(tmp_path), PYTHONPATH=str(package_root())))
    assert result.returncode in (0, 1), result.stderr.decode()
    assert folders(tmp_path) == []


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Workers of this test make their folders in tmp_path, where nothing else does."""
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_a_killed_worker_takes_its_folder(private_tmp):
    worker = WorkerProcess(WorkerSpec())
    worker.wait_ready()
    scratch = Path(worker.scratch)
    assert scratch.parent == private_tmp and scratch.is_dir()
    worker.kill()
    assert gone(scratch)


def test_a_crashed_worker_takes_its_folder(private_tmp):
    worker = WorkerProcess(WorkerSpec())
    worker.wait_ready()
    scratch = Path(worker.scratch)
    request = RunRequest(code="import os, signal\nopen('f', 'w').write('x')\nos.kill(os.getpid(), signal.SIGKILL)\n")
    exchange = worker.request(request.to_wire(), timeout=30)
    assert exchange.ended is Outcome.CRASHED
    assert gone(scratch)


EXITS_WITHOUT_CLOSING = """
from tutor.sandbox.client import WorkerProcess, WorkerSpec
workers = [WorkerProcess(WorkerSpec()) for _ in range(2)]
for worker in workers:
    worker.wait_ready()
print(workers[0].process.pid, workers[1].process.pid, flush=True)
"""


def test_a_tutor_that_exits_without_closing_its_workers_takes_their_folders(tmp_path):
    tutor = python(EXITS_WITHOUT_CLOSING, tmp_path)
    out, err = tutor.communicate(timeout=180)
    assert tutor.returncode == 0, err.decode()
    assert folders(tmp_path) == []
    assert not any(alive(int(pid)) for pid in out.split())


WAITS = """
import threading
from tutor.sandbox.client import WorkerProcess, WorkerSpec
worker = WorkerProcess(WorkerSpec())
worker.wait_ready()
print(worker.process.pid, worker.scratch, flush=True)
threading.Event().wait()
"""


def test_the_folder_of_a_tutor_killed_outright_is_cleaned_by_the_next(tmp_path):
    tutor = python(WAITS, tmp_path)
    pid, scratch = tutor.stdout.readline().decode().split()
    tutor.kill()  # SIGKILL: no clean-up can run
    tutor.wait()
    scratch = Path(scratch)
    assert scratch.is_dir()
    deadline = time.monotonic() + 10
    while alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(int(pid))  # the worker died with its tutor (PR_SET_PDEATHSIG)
    os.utime(scratch, (OLD, OLD))
    tutor = python(WAITS, tmp_path)  # the next tutor cleans at its first worker
    try:
        tutor.stdout.readline()
        assert gone(scratch)
    finally:
        tutor.kill()
        tutor.wait()


# -- the cleaner removes nothing else --------------------------------------------------------------
def test_stale_folders_of_dead_workers_are_removed(tmp_path):
    first, second = stale(tmp_path / "ptref-run-dead1"), stale(tmp_path / "ptref-run-dead2")
    assert sorted(clean_stale(str(tmp_path))) == [str(first), str(second)]
    assert folders(tmp_path) == []


def test_a_live_workers_folder_is_kept_however_old(tmp_path, monkeypatch):
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live = ScratchFolder()
    try:
        os.utime(live.path, (OLD, OLD))
        assert clean_stale(str(tmp_path)) == []
        assert Path(live.path).is_dir()
    finally:
        live.remove()
    assert not Path(live.path).exists()


def test_a_folder_held_by_another_tutor_process_is_kept(tmp_path):
    holder = python("""
        import tempfile, threading
        from tutor.sandbox.scratch import ScratchFolder
        folder = ScratchFolder()
        print(folder.path, flush=True)
        threading.Event().wait()
    """, tmp_path)
    try:
        path = Path(holder.stdout.readline().decode().strip())
        os.utime(path, (OLD, OLD))
        assert clean_stale(str(tmp_path)) == [] and path.is_dir()
    finally:
        holder.kill()
        holder.wait()
    assert clean_stale(str(tmp_path)) == [str(path)]  # its tutor is gone: now it is stale


def test_a_folder_someone_works_in_is_kept(tmp_path):
    folder = stale(tmp_path / "ptref-run-old-version")
    sleeper = subprocess.Popen(["sleep", "60"], cwd=folder)
    try:
        os.utime(folder, (OLD, OLD))
        assert clean_stale(str(tmp_path)) == [] and folder.is_dir()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_young_folders_are_kept(tmp_path):
    young = tmp_path / "ptref-run-just-made"
    young.mkdir()
    assert clean_stale(str(tmp_path)) == [] and young.is_dir()


def test_symlinks_other_names_and_nested_folders_are_never_touched(tmp_path):
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "file.txt").write_text("keep")
    link = tmp_path / "ptref-run-link"
    link.symlink_to(outside, target_is_directory=True)
    other = stale(tmp_path / "not-ptref-run-x")
    nested = tmp_path / "inner"
    nested.mkdir()
    deep = stale(nested / "ptref-run-nested")
    holder = stale(tmp_path / "ptref-run-with-links")
    (holder / "escape").symlink_to(outside, target_is_directory=True)
    (holder / "escape-file").symlink_to(outside / "file.txt")
    os.utime(holder, (OLD, OLD))
    assert clean_stale(str(tmp_path)) == [str(holder)]
    assert link.is_symlink() and (outside / "file.txt").read_text() == "keep"
    assert other.is_dir() and deep.is_dir()


@pytest.mark.skipif(os.geteuid() != 0, reason="making a folder of another user needs root")
def test_other_users_folders_are_kept(tmp_path):
    theirs = stale(tmp_path / "ptref-run-theirs")
    os.chown(theirs, 65534, 65534)
    os.utime(theirs, (OLD, OLD))
    assert clean_stale(str(tmp_path)) == [] and theirs.is_dir()
