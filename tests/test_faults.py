"""Learner code that hangs, crashes, floods output, eats memory or changes global state.

Each fault must end with a clear verdict within the exercise timeout (2 s here) plus 2 s, and the
very next correct answer must pass.
"""

import dataclasses
import os
import time
from pathlib import Path

import pytest

from tutor.lessons import Catalog
from tutor.session import Session, SessionConfig

from conftest import FAULTS

CORRECT = "y = x * 2"
BUDGET = 2.0 + 2.0


@pytest.fixture(scope="module")
def session():
    catalog = Catalog.load([FAULTS])
    with Session(catalog, SessionConfig(spare=True, memory_limit=1024**3)) as session:
        session.ready()
        session.reference(session.catalog.exercise("faults/double"))
        session.reference(session.catalog.exercise("faults/double-with-processes"))  # starts the processes-allowed worker
        yield session


def run(session, code, exercise="faults/double"):
    started = time.perf_counter()
    verdict = session.check(session.catalog.exercise(exercise), code, record=False)
    return verdict, time.perf_counter() - started


def assert_recovers(session):
    verdict, elapsed = run(session, CORRECT)
    assert verdict.status == "passed", verdict
    return elapsed


@pytest.mark.parametrize("code", ["while True:\n    pass\n", "import time\ntime.sleep(1e6)\n",
                                  "while True:\n    try:\n        pass\n    except KeyboardInterrupt:\n        pass\n"])
def test_hangs_time_out_and_the_next_run_passes(session, code):
    verdict, elapsed = run(session, code)
    assert verdict.status == "timeout"
    assert elapsed < BUDGET
    assert "did not finish within 2 s" in verdict.summary
    assert assert_recovers(session) < 1.0


@pytest.mark.parametrize("code, words", [
    ("import ctypes\nctypes.string_at(0)\n", "segmentation fault"),
    ("import os\nos._exit(0)\n", "exited with status 0"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "SIGKILL"),
])
def test_crashes_get_a_verdict_and_the_spare_takes_over(session, code, words):
    session.pool().wait_spare()  # a crash right after another finds the new spare still starting
    before = session.pool().active_pid
    verdict, elapsed = run(session, code)
    assert verdict.status == "crashed" and words in verdict.summary
    assert elapsed < BUDGET
    assert session.pool().active_pid != before
    assert assert_recovers(session) < 1.0  # the warm spare answers at once


def test_a_crash_names_the_learners_line(session):
    verdict, _ = run(session, "y = x * 2\nimport ctypes\nctypes.string_at(0)\n")
    assert verdict.error.line == 3
    assert "Fatal Python error" not in verdict.stderr


@pytest.mark.parametrize("code, words", [
    ("import sys\nsys.exit(0)\n", "sys.exit(0)"),
    ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    ("raise SystemExit('bye')\n", "sys.exit('bye')"),
])
def test_exits_and_interrupts_are_errors_not_deaths(session, code, words):
    before = session.pool().active_pid
    verdict, elapsed = run(session, code)
    assert verdict.status == "error" and words in verdict.summary
    assert session.pool().active_pid == before
    assert_recovers(session)


def test_printing_50_mb_is_capped_and_counted(session):
    verdict, elapsed = run(session, "print('x' * 50_000_000)\n" + CORRECT)
    assert verdict.status == "passed"
    assert len(verdict.stdout) == 64 * 1024
    assert verdict.stdout_dropped == 50_000_001 - 64 * 1024
    assert elapsed < BUDGET


def test_output_printed_before_a_hang_is_kept(session):
    verdict, _ = run(session, "print('started')\nwhile True:\n    pass\n")
    assert verdict.status == "timeout" and verdict.stdout == "started\n"


@pytest.mark.parametrize("code", [
    "import torch\nbig = torch.ones(2**30)\n",  # 4 GiB at once
    # Untouched memory (torch.empty) and plain Python: the limit, not page-filling time, stops them.
    "import torch\nchunks = [torch.empty(2**27) for _ in range(100)]\n",  # 512 MiB at a time
    "pointers = [0] * 2**28\n",  # a 2 GiB list
])
def test_allocating_past_the_memory_limit_is_a_clear_error(session, code):
    verdict, elapsed = run(session, code)
    assert verdict.status == "error"
    assert verdict.error.type == "MemoryError"
    assert "out of memory" in verdict.error.message and "--memory-limit" in verdict.error.message
    assert elapsed < BUDGET
    assert_recovers(session)


def _processes_named(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else ""
            if marker in cmdline and state != "Z":
                found.append(int(pid))
    return found


@pytest.mark.parametrize("code", [
    "import subprocess\nsubprocess.Popen(['sleep', '987654'])\n" + CORRECT,
    "import subprocess\nsubprocess.run(['sleep', '987654'])\n",
    "import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 987654 & sleep 987654'])\n" + CORRECT,
])
def test_child_processes_do_not_outlive_the_run(session, code):
    # Only an exercise that allows processes can start them (the default sandbox refuses fork).
    session.pool("cpu", processes=True).wait_spare()  # leftover children recycle the worker
    verdict, elapsed = run(session, code, "faults/double-with-processes")
    assert elapsed < BUDGET
    assert verdict.status in ("passed", "timeout")
    deadline = time.time() + 2
    while _processes_named("sleep 987654") and time.time() < deadline:
        time.sleep(0.05)
    assert _processes_named("sleep 987654") == []
    assert_recovers(session)


def test_changed_default_dtype_does_not_leak(session):
    run(session, "import torch\ntorch.set_default_dtype(torch.float64)\n" + CORRECT)
    verdict, _ = run(session, "import torch\nprint(torch.zeros(1).dtype, torch.get_default_dtype())\n" + CORRECT)
    assert verdict.passed and verdict.stdout == "torch.float32 torch.float32\n"


def test_monkeypatched_torch_does_not_leak(session):
    patched, _ = run(session, "import torch\ntorch.allclose = lambda *a, **k: True\n"
                              "torch.Tensor.sum = lambda self, *a, **k: 0\n" + CORRECT)
    assert patched.passed
    verdict, _ = run(session, "import torch\nprint(torch.allclose(torch.zeros(1), torch.ones(1)), "
                              "torch.ones(2).sum().item())\n" + CORRECT)
    assert verdict.stdout == "False 2.0\n"


TRAIN_STEP = ("import torch\nmodel = torch.nn.Linear(3, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
              "model(torch.ones(2, 3)).sum().backward()\nopt.step()\n")


def test_an_optimizer_step_keeps_its_worker_and_a_learners_wrapper_is_still_undone(session):
    """The first optimizer step imports torch._dynamo, which wraps torch.manual_seed: torch's own
    change, kept (recycling the worker for it made every training run import torch._dynamo
    again, about a second each). A learner's wrapper is still put back, even one dressed as
    torch's (its code "from" torch's folder), and one of the same function."""
    pool = session.pool("cpu")
    run(session, TRAIN_STEP + CORRECT)
    pid, recycled = pool.active_pid, pool.recycled
    verdict, _ = run(session, TRAIN_STEP + CORRECT)
    assert verdict.passed and (pool.active_pid, pool.recycled) == (pid, recycled)

    disguised, _ = run(session, "import functools, os, torch\noriginal = torch.allclose\n"
                                "where = os.path.join(os.path.dirname(torch.__file__), '_compile.py')\n"
                                "namespace = {}\nexec(compile('def fake(*a, **k):\\n    return True\\n', where, 'exec'), namespace)\n"
                                "torch.allclose = functools.wraps(original)(namespace['fake'])\n" + CORRECT)
    assert disguised.passed
    verdict, _ = run(session, "import torch\nprint(torch.allclose(torch.zeros(1), torch.ones(1)))\n" + CORRECT)
    assert verdict.stdout == "False\n"

    wrapped, _ = run(session, "import functools, torch\noriginal = torch.manual_seed\n"
                              "torch.manual_seed = functools.wraps(original)(lambda seed: print('patched'))\n"
                              + CORRECT)
    assert wrapped.passed
    verdict, _ = run(session, "import torch\ntorch.manual_seed(0)\n" + CORRECT)
    assert verdict.passed and "patched" not in verdict.stdout


def test_an_environment_changed_by_one_run_is_back_for_the_next(session):
    changed, _ = run(session, "import os\nos.environ['PTREF_LEFT_BEHIND'] = '1'\n"
                              "os.environ.pop('PATH', None)\n" + CORRECT)
    assert changed.passed
    verdict, _ = run(session, "import os\nprint('PTREF_LEFT_BEHIND' in os.environ, 'PATH' in os.environ)\n"
                              + CORRECT)
    assert verdict.stdout == "False True\n"


def test_what_c_code_prints_is_in_the_runs_output_not_the_next(session):
    """C's stdout is block-buffered on a pipe: the worker flushes it before each reply."""
    verdict, _ = run(session, "import ctypes\nctypes.CDLL(None).printf(b'from C\\n')\n" + CORRECT)
    assert verdict.passed and "from C" in verdict.stdout
    verdict, _ = run(session, CORRECT)
    assert "from C" not in verdict.stdout


def test_fifty_timeouts_in_a_row_then_a_pass_at_normal_speed(session):
    """Interrupting a pure-Python loop keeps the worker; the next answer is as fast as ever."""
    exercise = session.catalog.exercise("faults/double")
    short = dataclasses.replace(exercise, timeout=0.05)
    for _ in range(50):
        verdict = session.check(short, "while True:\n    pass\n", record=False)
        assert verdict.status == "timeout"
    started = time.perf_counter()
    assert session.check(short, CORRECT, record=False).passed
    assert time.perf_counter() - started < 0.5
