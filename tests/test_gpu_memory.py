"""GPU memory: a CUDA worker's caching allocator stops at --gpu-memory-fraction of the device, and
running out gives a friendly "out of GPU memory" verdict and a fresh worker.

The real thing needs a CUDA device and skips without one; the verdict and the recycling are also
checked on the CPU, with the exception torch raises (torch.OutOfMemoryError) imitated.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from tutor.cli import GLOBAL_DEFAULTS
from tutor.cli.common import session_config
from tutor.lessons import Catalog
from tutor.options import DEFAULT_GPU_MEMORY_FRACTION
from tutor.session import Session, SessionConfig, probe_devices

from conftest import FAULTS

CORRECT = "y = x * 2\n"
FAKE_CUDA_OOM = ("class OutOfMemoryError(RuntimeError):\n    pass\n"
                 "raise OutOfMemoryError('CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total "
                 "capacity of 79.10 GiB of which 9.00 GiB is free.')\n")


def _cuda_devices() -> list[str]:
    if not (Path("/dev/nvidiactl").exists() or os.environ.get("CUDA_VISIBLE_DEVICES")):
        return []  # no driver: do not pay for a probe
    return [d["name"] for d in probe_devices().get("devices", []) if d["name"].startswith("cuda")]


needs_cuda = pytest.mark.skipif(not _cuda_devices(), reason="needs a CUDA device")


def test_the_fraction_is_a_global_option_with_a_default():
    args = argparse.Namespace(**{**GLOBAL_DEFAULTS, "gpu_memory_fraction": 0.5})
    assert session_config(args, spare=False).gpu_memory_fraction == 0.5
    assert GLOBAL_DEFAULTS["gpu_memory_fraction"] == DEFAULT_GPU_MEMORY_FRACTION == SessionConfig().gpu_memory_fraction


def test_out_of_gpu_memory_is_a_friendly_verdict_and_a_fresh_worker():
    with Session(Catalog.load([FAULTS]), SessionConfig(spare=True)) as session:
        session.reference(session.catalog.exercise("faults/double"))
        session.pool().wait_spare()
        before = session.pool().active_pid
        verdict = session.check(session.catalog.exercise("faults/double"), FAKE_CUDA_OOM, record=False)
        assert verdict.status == "error" and verdict.error.type == "MemoryError"
        assert verdict.error.message.startswith("out of GPU memory")
        assert "--gpu-memory-fraction" in verdict.error.message
        assert session.pool().active_pid != before  # recycled: a CUDA context after OOM is suspect
        assert session.check(session.catalog.exercise("faults/double"), CORRECT, record=False).passed


@pytest.mark.cuda
@needs_cuda
def test_allocating_past_the_fraction_on_a_real_gpu():
    config = SessionConfig(device="cuda", spare=False, gpu_memory_fraction=0.25)
    with Session(Catalog.load([FAULTS]), config) as session:
        hello = session.ready()
        allowed = int(hello["limits"]["gpu_memory"])
        session.reference(session.catalog.exercise("faults/double"))
        before = session.pool().active_pid
        # Half the device: more than a quarter, and (nearly always) free on a shared GPU.
        code = f"import torch\nbig = torch.empty({allowed * 2}, dtype=torch.uint8, device=device)\n" + CORRECT
        verdict = session.check(session.catalog.exercise("faults/double"), code, record=False)
        assert verdict.status == "error" and verdict.error.message.startswith("out of GPU memory"), verdict
        assert session.pool().active_pid != before
        # Under the fraction it works, and learner code cannot lift the fraction for the next run.
        small = f"import torch\nok = torch.empty({allowed // 4}, dtype=torch.uint8, device=device)\n" + CORRECT
        assert session.check(session.catalog.exercise("faults/double"), small, record=False).passed
        lift = "import torch\ntorch.cuda.set_per_process_memory_fraction(1.0)\n" + CORRECT
        assert session.check(session.catalog.exercise("faults/double"), lift, record=False).passed
        assert session.check(session.catalog.exercise("faults/double"), code, record=False).status == "error"


@pytest.mark.cuda
@needs_cuda
def test_a_cuda_worker_is_sandboxed_too():
    with Session(Catalog.load([FAULTS]), SessionConfig(device="cuda", spare=False)) as session:
        protections = session.ready()["protections"]
        assert protections["network"].startswith("on:") and protections["processes"].startswith("on:")
        session.reference(session.catalog.exercise("faults/double"))
        verdict = session.check(session.catalog.exercise("faults/double"), "import torch\nz = torch.special.i0(torch.ones(3, device=device))\n"
                                "torch.cuda.synchronize()\n" + CORRECT, record=False)
        assert verdict.passed and "kernel cache" not in verdict.stderr, verdict
