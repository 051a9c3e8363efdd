"""What the tutor knows of a worker before and after it talks to it: how to start one (its spec),
why it could not start, how one request ended, and how to say what a dead worker died of."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass, field

from tutor.options import DEFAULT_MEMORY_LIMIT
from tutor.sandbox.capture import Captured
from tutor.sandbox.runspec import Outcome


@dataclass(frozen=True)
class WorkerSpec:
    """How to start a worker. Workers with equal specs are interchangeable (a spare can stand in)."""

    device: str = "cpu"
    python: str = sys.executable
    threads: int = 1
    memory_limit: int = DEFAULT_MEMORY_LIMIT  # bytes of address space beyond torch's own; CPU workers only
    file_size_limit: int = 256 * 1024**2
    open_files: int = 1024
    gpu_memory_fraction: float | None = None  # CUDA workers: share of the device's memory
    output_cap: int = 64 * 1024
    extra_env: tuple[tuple[str, str], ...] = ()
    # The sandbox policy. A worker's seccomp filter can never be loosened, so exercises that may
    # start processes (sandbox.processes = true) need workers started that way.
    allow_processes: bool = False


class WorkerStartError(RuntimeError):
    """The worker could not start (no torch in that interpreter, device unavailable...)."""

    def __init__(self, message: str, available: list[str] | None = None, interrupted: bool = False) -> None:
        super().__init__(message)
        self.available = available or []
        # Killed by a signal before it said hello (from outside, or the OOM killer): a fresh
        # worker may well start, unlike one that failed on its own (no torch, no such device).
        self.interrupted = interrupted


@dataclass
class Exchange:
    """How one request ended, as seen from the tutor: the worker's reply, and whether the tutor
    ended the request itself (timeout, stopped by the learner, or the worker died)."""

    ended: Outcome | None = None  # None: the worker replied on its own
    reply: dict | None = None  # the reply's header, when one arrived (also after an interrupt)
    buffers: list = field(default_factory=list)
    stdout: Captured = field(default_factory=Captured)
    stderr: Captured = field(default_factory=Captured)
    exit_description: str = ""
    elapsed_ms: float = 0.0



def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "the worker stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        meaning = {
            "SIGSEGV": "a segmentation fault (the code touched memory it must not)",
            "SIGBUS": "a bus error (bad memory access)",
            "SIGABRT": "an abort inside a library",
            "SIGKILL": "killed (out of memory, or stopped from outside)",
            "SIGFPE": "a floating-point exception",
            "SIGILL": "an illegal instruction",
        }.get(name, name)
        return f"the worker died from {meaning} ({name})"
    return f"the worker process exited with status {returncode} (os._exit or a fatal error)"
