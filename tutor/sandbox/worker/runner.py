"""One run: setup, then the learner's (or the solution's) code, then the checks that need its namespace."""

from __future__ import annotations

import builtins
import io
import linecache
import shutil
import signal
import time
import traceback
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import torch

from tutor.sandbox.protocol import SCRATCH_PREFIX
from tutor.sandbox.worker import oslimits
from tutor.sandbox.worker.encode import Encoder, short_repr
from tutor.sandbox.worker.refusals import Refusals
from tutor.sandbox.worker.state import GlobalState, seed_everything

LEARNER_FILE = "<your code>"
SETUP_FILE = "<setup>"
_GPU_MEMORY_MARKERS = ("CUDA out of memory", "HIP out of memory", "MPS backend out of memory")
_MEMORY_MARKERS = ("can't allocate memory", "not enough memory", "out of memory", "Cannot allocate memory")


class Interrupts:
    """SIGINT from the tutor's watchdog becomes KeyboardInterrupt only while learner code runs."""

    def __init__(self) -> None:
        self.active = False
        self.fired = False

    def _handler(self, signum: int, frame: object) -> None:
        if self.active:
            self.fired = True
            raise KeyboardInterrupt
        self.fired = True

    @contextmanager
    def learner_code(self):
        signal.signal(signal.SIGINT, self._handler)  # the learner may have replaced it last run
        self.active = True
        try:
            yield
        finally:
            self.active = False

    def start_run(self) -> None:
        self.fired = False


def case_seed(seed: int, args_index: int, repeat_index: int) -> int:
    return (seed * 1_000_003 + args_index * 10_007 + repeat_index) % 2**31


class Runner:
    def __init__(self, state: GlobalState, device: torch.device, scratch: Path) -> None:
        self.state = state
        self.device = device
        self.scratch = scratch
        self.interrupts = Interrupts()
        self.refusals: Refusals | None = None  # set once the sandbox is on (after the warm-up)
        signal.signal(signal.SIGINT, self.interrupts._handler)

    def run(self, request: dict) -> tuple[dict, list]:
        self.interrupts.start_run()
        self._clean_scratch()
        seed = int(request.get("seed", 0))
        self.state.reset(seed)
        code = request.get("code", "")
        setup = request.get("setup", "")
        _register_source(LEARNER_FILE, code)
        _register_source(SETUP_FILE, setup)
        namespace = {"__name__": "__main__", "__builtins__": builtins, "device": self.device}
        if request.get("lesson_dir"):
            namespace["lesson_dir"] = Path(request["lesson_dir"])  # the pack's own data files
        encoder = Encoder()
        reply: dict = {"op": "result", "status": "ok", "recycle": []}
        phase = "setup"
        started = time.perf_counter()
        try:
            with self.interrupts.learner_code():
                if setup:
                    exec(compile(setup, SETUP_FILE, "exec", dont_inherit=True), namespace)
                args_namespace = {**_args_builtins(), **namespace}
                phase = "code"
                exec(compile(code, LEARNER_FILE, "exec", dont_inherit=True), namespace)
                self._synchronize()
                reply["exec_ms"] = (time.perf_counter() - started) * 1000
                phase = "checks"
                # What the learner's functions print while the checks call them is not what their
                # code printed: keep it apart, so `output` checks and the stdout pane see only the latter.
                with redirect_stdout(io.StringIO()) as check_output:
                    reply["values"], reply["missing"] = self._collect(request.get("collect", []), namespace,
                                                                      encoder)
                    reply["asserts"] = [self._assert(expr, namespace) for expr in request.get("asserts", [])]
                    reply["functions"] = [self._function(spec, namespace, args_namespace, seed, encoder)
                                          for spec in request.get("functions", [])]
                    self._synchronize()
                reply["check_stdout"] = check_output.getvalue()[:_CHECK_OUTPUT_CAP]
        except KeyboardInterrupt as exc:
            if self.interrupts.fired:
                reply["status"] = "interrupted"
                reply["error"] = describe_error(exc, code, self.refusals)
            else:
                reply.update(status="error", phase=phase, error=describe_error(exc, code, self.refusals))
        except BaseException as exc:  # SystemExit included: the learner's sys.exit must not end us
            reply.update(status="error", phase=phase, error=describe_error(exc, code, self.refusals))
            if _is_memory_error(exc):
                reply["recycle"].append("out of GPU memory" if _is_gpu_memory_error(exc) else "out of memory")
            if _is_cuda_error(exc):
                reply["recycle"].append("a CUDA error")
        reply["run_ms"] = (time.perf_counter() - started) * 1000
        reply["recycle"] += self._aftermath()
        return reply, encoder.buffers

    def _collect(self, names: list[str], namespace: dict, encoder: Encoder) -> tuple[dict, list[str]]:
        values, missing = {}, []
        for name in names:
            found, value = _resolve(namespace, name)
            if not found:
                missing.append(name)
                continue
            try:
                values[name] = encoder.encode(value)
            except Exception as exc:
                values[name] = {"t": "object", "type": type(value).__name__, "repr": f"<could not read: {exc}>"}
        return values, missing

    def _assert(self, expr: str, namespace: dict) -> dict:
        try:
            outcome = eval(compile(expr, "<check>", "eval", dont_inherit=True), namespace)
            return {"ok": bool(outcome)}
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            return {"ok": False, "error": _one_line(exc)}

    def _function(self, spec: dict, namespace: dict, args_namespace: dict, seed: int, encoder: Encoder) -> dict:
        found, function = _resolve(namespace, spec["name"])
        if not found:
            return {"error": f"`{spec['name']}` is not defined", "missing": True}
        if not callable(function):
            return {"error": f"`{spec['name']}` should be a function, but it is {short_repr(function, 80)}"}
        cases = []
        for args_index, expression in enumerate(spec.get("args", [])):
            for repeat_index in range(int(spec.get("repeat", 1))):
                seed_everything(case_seed(seed, args_index, repeat_index))
                try:
                    args = eval(compile(expression, "<args>", "eval", dont_inherit=True), dict(args_namespace))
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:
                    return {"error": f"args[{args_index + 1}] could not be built: {_one_line(exc)}",
                            "lesson_error": True}
                args = args if isinstance(args, tuple) else (args,)
                case = {"args": describe_args(args), "args_index": args_index, "repeat": repeat_index,
                        "size": _total_size(args)}
                try:
                    case["value"] = encoder.encode(function(*args))
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:
                    case["error"] = describe_error(exc, None, self.refusals)
                cases.append(case)
        return {"cases": cases}

    def _synchronize(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def _aftermath(self) -> list[str]:
        reasons = []
        changed = self.state.repair()
        if changed:
            reasons.append("changed " + ", ".join(changed[:5]))
        if self.state.stray_threads():
            reasons.append("a thread left running")
        killed = oslimits.kill_descendants()
        if killed:
            reasons.append(f"{killed} child process(es) left running")
        return reasons

    def _clean_scratch(self) -> None:
        # Only ever empty a directory the tutor made for this purpose: a misconfigured scratch
        # path must never turn into deleting someone's files.
        if not self.scratch.name.startswith(SCRATCH_PREFIX) or not self.scratch.is_dir():
            return
        for entry in self.scratch.iterdir():
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()
            except OSError:
                pass


def _args_builtins() -> dict:
    """What a function check's argument expressions may use without importing anything."""
    import math
    import random

    import numpy

    return {"torch": torch, "np": numpy, "numpy": numpy, "math": math, "random": random}


def _resolve(namespace: dict, dotted: str) -> tuple[bool, object]:
    head, *rest = dotted.split(".")
    if head not in namespace:
        return False, None
    value = namespace[head]
    for part in rest:
        try:
            value = getattr(value, part)
        except Exception:
            return False, None
    return True, value


_CHECK_OUTPUT_CAP = 16 * 1024
_SMALL_TENSOR = 24  # elements: a tensor this small is shown whole in a failing call


def describe_args(args: tuple) -> str:
    """A failing call's arguments, readable: small tensors in full, large ones and objects summarised."""
    return "(" + ", ".join(_describe_arg(arg) for arg in args) + ("," if len(args) == 1 else "") + ")"


def _describe_arg(arg: object) -> str:
    if isinstance(arg, torch.Tensor):
        notes = [] if arg.is_contiguous() else ["non-contiguous"]
        if arg.requires_grad:
            notes.append("requires_grad")
        if arg.numel() <= _SMALL_TENSOR:
            text = short_repr(arg, 300)
            return text + (f" ({', '.join(notes)})" if notes else "")
        details = [f"shape={tuple(arg.shape)}", str(arg.dtype).removeprefix("torch."), *notes]
        if arg.device.type != "cpu":
            details.append(str(arg.device))
        return f"<tensor {', '.join(details)}>"
    if isinstance(arg, torch.nn.Module):
        parameters = sum(p.numel() for p in arg.parameters())
        return f"<{type(arg).__name__} with {parameters:,} parameters>"
    if isinstance(arg, (int, float, bool, str, type(None))):
        return short_repr(arg, 80)
    if isinstance(arg, (list, tuple)) and len(arg) <= 8:
        inner = ", ".join(_describe_arg(item) for item in arg)
        return f"[{inner}]" if isinstance(arg, list) else f"({inner}{',' if len(arg) == 1 else ''})"
    text = short_repr(arg, 80)
    return text if " object at 0x" not in text else f"<{type(arg).__name__}>"


def _total_size(args: tuple) -> int:
    total = 0
    for arg in args:
        if isinstance(arg, torch.Tensor):
            total += arg.numel()
        elif isinstance(arg, (list, tuple)):
            total += len(arg)
        else:
            total += 1
    return total


def _register_source(filename: str, source: str) -> None:
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def _one_line(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def describe_error(exc: BaseException, code: str | None, refusals: Refusals | None = None) -> dict:
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
    elif _is_gpu_memory_error(exc):
        name = "MemoryError"
        message = ("out of GPU memory: your code asked for more GPU memory than this worker may use "
                   "(the tutor's share of the GPU is set with --gpu-memory-fraction; other programs "
                   f"may hold the rest). Original error: {_first_line(message)}")
    elif _is_memory_error(exc):
        name = "MemoryError"
        message = ("out of memory: your code asked for more memory than this worker may use "
                   f"(raise it with --memory-limit). Original error: {_first_line(message)}")
    elif refusals is not None and (explained := refusals.explain(exc)):
        message = f"{explained} (the system said: {_first_line(message)})"
    return {"type": name, "message": message, "line": line,
            "traceback": [text for part in lines for text in part.rstrip("\n").split("\n")]}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _is_memory_error(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and any(marker in str(exc) for marker in _MEMORY_MARKERS)


def _is_gpu_memory_error(exc: BaseException) -> bool:
    # torch.OutOfMemoryError (torch.cuda.OutOfMemoryError) is what the caching allocator raises,
    # also when an allocation would pass the per-process memory fraction.
    text = str(exc)
    return _is_memory_error(exc) and any(marker in text for marker in _GPU_MEMORY_MARKERS)


def _is_cuda_error(exc: BaseException) -> bool:
    return isinstance(exc, RuntimeError) and ("CUDA error" in str(exc) or "device-side assert" in str(exc))
