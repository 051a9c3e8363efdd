"""An exception as the learner should see it: their own traceback lines, a friendly type and
message, and the facts of the failing line; and which errors mean the worker must be replaced."""

from __future__ import annotations

import traceback

from tutor.sandbox.runspec import ErrorReport
from tutor.sandbox.worker.frame_facts import frame_facts
from tutor.sandbox.worker.refusals import Refusals

LEARNER_FILE = "<your code>"
SETUP_FILE = "<setup>"
_GPU_MEMORY_MARKERS = ("CUDA out of memory", "HIP out of memory", "MPS backend out of memory")
_MEMORY_MARKERS = ("can't allocate memory", "not enough memory", "out of memory", "Cannot allocate memory")


def one_line(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def describe_error(exc: BaseException, code: str | None, refusals: Refusals | None = None) -> ErrorReport:
    """The exception as the learner should see it: their own frames only, and a friendly type."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if frame.filename in (LEARNER_FILE, SETUP_FILE)]
    lines = traceback.format_list(frames) if frames else []
    learner_lines = [frame.lineno for frame in frames if frame.filename == LEARNER_FILE]
    line = learner_lines[-1] if learner_lines else None
    name = type(exc).__name__
    message = str(exc)
    if isinstance(exc, SyntaxError):
        message = exc.msg
        if exc.filename == LEARNER_FILE:
            line = exc.lineno
        lines = traceback.format_exception_only(type(exc), exc)[:-1]
    elif isinstance(exc, SystemExit):
        message = f"your code called sys.exit({exc.code!r}); the tutor stopped it there"
    elif is_gpu_memory_error(exc):
        name = "MemoryError"
        message = ("out of GPU memory: your code asked for more GPU memory than this worker may use "
                   "(the tutor's share of the GPU is set with --gpu-memory-fraction; other programs "
                   f"may hold the rest). Original error: {_first_line(message)}")
    elif is_memory_error(exc):
        name = "MemoryError"
        message = ("out of memory: your code asked for more memory than this worker may use "
                   f"(raise it with --memory-limit). Original error: {_first_line(message)}")
    elif refusals is not None and (explained := refusals.explain(exc)):
        message = f"{explained} (the system said: {_first_line(message)})"
    facts = () if isinstance(exc, (SyntaxError, SystemExit, KeyboardInterrupt)) else tuple(frame_facts(exc, code))
    return ErrorReport(type=name, message=message, line=line,
                       traceback=tuple(text for part in lines for text in part.rstrip("\n").split("\n")),
                       facts=facts)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def is_memory_error(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and any(marker in str(exc) for marker in _MEMORY_MARKERS)


def is_gpu_memory_error(exc: BaseException) -> bool:
    # torch.OutOfMemoryError (torch.cuda.OutOfMemoryError) is what the caching allocator raises,
    # also when an allocation would pass the per-process memory fraction.
    text = str(exc)
    return is_memory_error(exc) and any(marker in text for marker in _GPU_MEMORY_MARKERS)


def is_cuda_error(exc: BaseException) -> bool:
    return isinstance(exc, RuntimeError) and ("CUDA error" in str(exc) or "device-side assert" in str(exc))
