"""What the worker undoes between runs, beyond global state (tests/test_worker_state.py): the
scratch folder's contents, the SIGINT handler, processes left behind."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tutor.lessons import Catalog
from tutor.paths import package_root
from tutor.session import Session, SessionConfig

from conftest import FAULTS

CORRECT = "y = x * 2"


@pytest.fixture(scope="module")
def session():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=True)) as session:
        session.ready()
        yield session


def run(session, code, **changes):
    import dataclasses

    exercise = dataclasses.replace(session.catalog.exercise("faults/double"), **changes)
    return session.check(exercise, code + "\n" + CORRECT, record=False)


def test_the_scratch_folder_is_empty_at_every_run_and_links_out_are_only_unlinked(session, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    made = run(session, "import os\nopen('file.txt', 'w').write('x')\nos.makedirs('a/b')\n"
                        "open('a/b/deep.txt', 'w').write('y')\nopen('.hidden', 'w').write('z')\n"
                        f"os.symlink({str(outside)!r}, 'link')\nprint(sorted(os.listdir('.')))")
    assert made.passed and made.stdout == "['.hidden', 'a', 'file.txt', 'link']\n", made
    verdict = run(session, "import os\nprint(os.listdir('.'))")
    assert verdict.passed and verdict.stdout == "[]\n"
    assert (outside / "keep.txt").read_text() == "mine"


def test_a_run_that_ignores_sigint_does_not_stop_the_next_being_interrupted(session):
    pool = session.pool("cpu")
    ignored = run(session, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)")
    assert ignored.passed
    pid = pool.active_pid
    hang = run(session, "while True:\n    pass", timeout=0.5)
    assert hang.status == "timeout"
    # Stopped by SIGINT (KeyboardInterrupt), not killed: the same worker answers the next run.
    assert pool.active_pid == pid
    assert run(session, "").passed


ORPHAN = """
import os, subprocess, sys
from tutor.sandbox.worker import oslimits
assert oslimits.adopt_orphans()
print(oslimits._has_no_children(), oslimits.kill_descendants())
# A child that leaves a grandchild behind and exits: the grandchild becomes ours (the subreaper's).
subprocess.run(["sh", "-c", "sleep 1000 & exit 0"], check=True)
print(oslimits._has_no_children(), oslimits.kill_descendants(), oslimits._has_no_children())
"""


def test_a_process_with_no_children_knows_it_and_an_orphan_left_behind_is_found():
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(ORPHAN)], capture_output=True, text=True,
                            timeout=60, cwd=package_root())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["True 0", "False 1 True"]
