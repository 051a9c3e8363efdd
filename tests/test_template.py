"""Workers forked from a template: they start in milliseconds and share its memory, a crash or a
timeout in one never taints the template, and a template that started threads is never forked."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tutor.lessons import Catalog
from tutor.sandbox.template import TEMPLATES, Template, TemplateError, TemplateKey, template_environment
from tutor.session import Session, SessionConfig

from conftest import FAULTS, TESTS

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="templates are Linux-only")

CORRECT = "y = x * 2\n"


@pytest.fixture(scope="module")
def session():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=True)) as session:
        session.reference(session.catalog.exercise("faults/double"))
        yield session


def check(session, code):
    return session.check(session.catalog.exercise("faults/double"), code, record=False)


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def test_workers_are_forked_from_the_template(session):
    hello = session.ready()
    template = TEMPLATES.get(sys.executable, 1)
    assert hello["forked"] and template is not None
    assert parent_of(session.pool().active_pid) == template.pid
    print(f"\nworker start-up after the fork: {hello['timeline_ms']} (template imported torch in "
          f"{template.hello['import_ms']:.0f} ms)")


@pytest.mark.parametrize("fault, status", [
    ("import ctypes\nctypes.string_at(0)\n", "crashed"),
    ("import os\nos._exit(3)\n", "crashed"),
    ("while True:\n    try:\n        pass\n    except KeyboardInterrupt:\n        pass\n", "timeout"),
])
def test_a_crash_or_a_timeout_leaves_the_template_usable(session, fault, status):
    template = TEMPLATES.get(sys.executable, 1)
    assert check(session, fault).status == status
    for _ in range(3):  # the spare takes over, and the next spare is forked from the same template
        assert check(session, CORRECT).passed
    assert TEMPLATES.get(sys.executable, 1) is template and not template.dead
    assert parent_of(session.pool().active_pid) == template.pid


def test_the_worker_shares_the_templates_memory(session):
    """Most of what `import torch` builds is shared with the template, not copied."""
    session.ready()
    rollup = Path(f"/proc/{session.pool().active_pid}/smaps_rollup").read_text()
    fields = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:] if line.split()[1].isdigit()}
    shared = fields.get("Shared_Clean", 0) + fields.get("Shared_Dirty", 0)
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    print(f"\nworker: {shared / 1024:.0f} MB shared, {private / 1024:.0f} MB private, PSS {fields['Pss'] / 1024:.0f} MB")
    assert shared > private


THREAD_STARTING_SITE = """
import threading, time
threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
"""

MULTITHREADED_OP_SITE = """
import torch
torch.set_num_threads(2)
torch.ones(4_000_000).exp().sum()  # a parallel op: OpenMP's thread pool now exists
"""


@pytest.mark.parametrize("site", [THREAD_STARTING_SITE, MULTITHREADED_OP_SITE], ids=["a thread", "a parallel op"])
def test_a_template_that_started_threads_is_never_forked_from(tmp_path, site):
    (tmp_path / "sitecustomize.py").write_text(site)
    env = template_environment(2)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(TESTS.parent)])
    with pytest.raises(TemplateError, match="thread"):
        Template(TemplateKey(sys.executable, 2), env)


def test_another_interpreter_gets_a_template_of_its_own(tmp_path):
    """--python keeps working: the template runs in the interpreter the workers run in."""
    python = tmp_path / "python3"  # another path to an interpreter, as --python gives one
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    with Session(Catalog.load([FAULTS]), SessionConfig(python=str(python), spare=False)) as other:
        hello = other.ready()
        assert hello["forked"]
        assert check(other, CORRECT).passed
    template = TEMPLATES.get(str(python), 1)
    assert template is not None and template is not TEMPLATES.get(sys.executable, 1)


def test_without_a_template_workers_start_as_fresh_interpreters(monkeypatch):
    monkeypatch.setenv("PTREF_NO_TEMPLATE", "1")
    started = time.monotonic()
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=False)) as plain:
        hello = plain.ready()
        assert not hello["forked"] and parent_of(plain.pool().active_pid) == os.getpid()
        assert check(plain, CORRECT).passed
    print(f"\na fresh interpreter: ready in {time.monotonic() - started:.1f} s")


def test_a_cuda_pool_keeps_no_warm_spare_and_a_cpu_pool_does():
    """A spare on CUDA would hold a second CUDA context per learner; on the CPU it costs a few MB
    (shared with the template) and turns a ~115 ms recovery into ~8 ms. Building a pool starts
    nothing, so this needs no GPU."""
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=True)) as session:
        assert session.pool("cpu").spare is True
        assert session.pool("cuda:0").spare is False
