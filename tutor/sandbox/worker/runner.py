"""One run: setup, then the learner's (or the solution's) code, then the checks that need its namespace."""

from __future__ import annotations

import builtins
import io
import linecache
import os
import shutil
import signal
import sys
import traceback
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import torch

from tutor.sandbox.protocol import SCRATCH_PREFIX
from tutor.sandbox.runspec import (CallCase, ErrorReport, Outcome, Probe, ProbeResult, RunReply, RunRequest,
                                  VariantRun)
from tutor.sandbox.worker import oslimits
from tutor.sandbox.worker.encode import Encoder, short_repr
from tutor.sandbox.worker.frame_facts import frame_facts
from tutor.sandbox.worker.refusals import Refusals
from tutor.sandbox.worker.state import GlobalState, seed_everything

LEARNER_FILE = "<your code>"
SETUP_FILE = "<setup>"
_GPU_MEMORY_MARKERS = ("CUDA out of memory", "HIP out of memory", "MPS backend out of memory")
_MEMORY_MARKERS = ("can't allocate memory", "not enough memory", "out of memory", "Cannot allocate memory")


class _PhaseError(Exception):
    """An exception raised by setup, the learner's code or a check, with the phase it came from."""

    def __init__(self, exc: BaseException, phase: str) -> None:
        super().__init__(phase)
        self.exc = exc
        self.phase = phase


@contextmanager
def _phase(name: str):
    try:
        yield
    except _PhaseError:
        raise
    except KeyboardInterrupt as exc:
        raise _PhaseError(exc, name) from None
    except BaseException as exc:  # SystemExit included: the learner's sys.exit must not end us
        raise _PhaseError(exc, name) from exc


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
        self.devnull = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)  # opened before the sandbox
        signal.signal(signal.SIGINT, self.interrupts._handler)

    def run(self, request: RunRequest) -> tuple[RunReply, list]:
        self.interrupts.start_run()
        _register_source(LEARNER_FILE, request.code)
        _register_source(SETUP_FILE, request.setup)
        encoder = Encoder()
        self._inputs = ()
        outcome, phase, error, variant = Outcome.OK, None, None, 0
        runs: list[VariantRun] = []
        check_stdout = ""
        recycle: list[str] = []
        try:
            with self.interrupts.learner_code():
                for variant in range(request.variants):
                    if variant == 1:
                        # The learner reads what the example (variant 0) printed; the other
                        # variants' prints would only repeat it with other numbers.
                        self._silence_output()
                    run, printed = self._run_variant(request, variant, encoder)
                    runs.append(run)
                    if variant == 0:
                        check_stdout = printed
        except _PhaseError as wrapped:  # an exception in the learner's or setup code
            exc, phase = wrapped.exc, wrapped.phase
            outcome, error = Outcome.ERROR, describe_error(exc, request.code, self.refusals)
            if isinstance(exc, KeyboardInterrupt) and self.interrupts.fired:
                outcome = Outcome.STOPPED
            if _is_memory_error(exc):
                recycle.append("out of GPU memory" if _is_gpu_memory_error(exc) else "out of memory")
            if _is_cuda_error(exc):
                recycle.append("a CUDA error")
        except KeyboardInterrupt as exc:  # between phases
            outcome = Outcome.STOPPED if self.interrupts.fired else Outcome.ERROR
            error = describe_error(exc, request.code, self.refusals)
        recycle += self._aftermath()
        reply = RunReply(outcome=outcome, phase=phase if outcome is Outcome.ERROR else None, error=error,
                         variant=variant, inputs=self._inputs, variants=tuple(runs), check_stdout=check_stdout,
                         recycle=tuple(recycle))
        return reply, encoder.buffers

    def _run_variant(self, request: RunRequest, variant: int, encoder: Encoder) -> tuple[VariantRun, str]:
        """Setup, code and probes of one variant, in a fresh namespace and scratch folder."""
        self._clean_scratch()
        self._inputs: tuple[str, ...] = ()
        seed = request.seed + variant
        self.state.reset(seed)
        namespace = {"__name__": "__main__", "__builtins__": builtins, "device": self.device, "variant": variant}
        if request.lesson_dir:
            namespace["lesson_dir"] = Path(request.lesson_dir)  # the pack's own data files
        given = set(namespace)
        with _phase("setup"):
            if request.setup:
                exec(compile(request.setup, SETUP_FILE, "exec", dont_inherit=True), namespace)
        inputs = self._inputs = describe_inputs(namespace, given) if variant else ()
        del namespace["variant"]  # the setup's to choose inputs by; the learner's code never needs it
        args_namespace = {**_args_builtins(), **namespace}
        with _phase("code"):
            exec(compile(request.code, LEARNER_FILE, "exec", dont_inherit=True), namespace)
            self._synchronize()
        # What the learner's functions print while the checks call them is not what their code
        # printed: keep it apart, so `output` checks and the stdout pane see only the latter.
        with _phase("checks"), redirect_stdout(io.StringIO()) as printed:
            probing = _Probing(namespace, args_namespace, seed, encoder, self.refusals)
            results = tuple(probing.run(probe) for probe in request.probes)
            self._synchronize()
        return VariantRun(variant, results, inputs), printed.getvalue()[:_CHECK_OUTPUT_CAP]

    def _silence_output(self) -> None:
        """Send fd 1 and 2 to /dev/null (the worker restores them before it replies)."""
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        for fd in (1, 2):
            os.dup2(self.devnull, fd)

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



class _Probing:
    """Gathers what each check needs from the namespace the learner's code left behind."""

    def __init__(self, namespace: dict, args_namespace: dict, seed: int, encoder: Encoder,
                 refusals: Refusals | None) -> None:
        self.namespace = namespace
        self.args_namespace = args_namespace
        self.seed = seed
        self.encoder = encoder
        self.refusals = refusals
        self._encoded: dict[str, dict] = {}  # two checks of one variable send it once

    def run(self, probe: Probe) -> ProbeResult:
        if probe.kind == "value":
            return self.value(probe)
        if probe.kind == "assert":
            return self.assertion(probe)
        return self.function(probe)

    def value(self, probe: Probe) -> ProbeResult:
        found, value = _resolve(self.namespace, probe.target)
        if not found:
            return ProbeResult(probe.index, missing=True)
        if probe.target not in self._encoded:
            try:
                self._encoded[probe.target] = self.encoder.encode(value)
            except Exception as exc:
                self._encoded[probe.target] = {"t": "object", "type": type(value).__name__,
                                               "repr": f"<could not read: {exc}>"}
        return ProbeResult(probe.index, value=self._encoded[probe.target])

    def assertion(self, probe: Probe) -> ProbeResult:
        try:
            outcome = eval(compile(probe.target, "<check>", "eval", dont_inherit=True), self.namespace)
            return ProbeResult(probe.index, passed=bool(outcome))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            return ProbeResult(probe.index, error=_one_line(exc))

    def function(self, probe: Probe) -> ProbeResult:
        found, function = _resolve(self.namespace, probe.target)
        if not found:
            return ProbeResult(probe.index, missing=True)
        if not callable(function):
            return ProbeResult(probe.index,
                               error=f"`{probe.target}` should be a function, but it is {short_repr(function, 80)}")
        cases = []
        for args_index, expression in enumerate(probe.args):
            for repeat_index in range(probe.repeat):
                seed_everything(case_seed(self.seed, args_index, repeat_index))
                try:
                    args = eval(compile(expression, "<args>", "eval", dont_inherit=True), dict(self.args_namespace))
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # the lesson's expression: the reference run fails too
                    return ProbeResult(probe.index, error=f"args[{args_index + 1}] could not be built: "
                                                          f"{_one_line(exc)}")
                args = args if isinstance(args, tuple) else (args,)
                described, size = describe_args(args), _total_size(args)
                try:
                    value = self.encoder.encode(function(*args))
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:
                    cases.append(CallCase(described, args_index, repeat_index, size,
                                          error=describe_error(exc, None, self.refusals)))
                else:
                    cases.append(CallCase(described, args_index, repeat_index, size, value=value))
        return ProbeResult(probe.index, cases=tuple(cases))


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


_MAX_INPUTS = 4


def describe_inputs(namespace: dict, given: set[str]) -> tuple[str, ...]:
    """What a variant's setup defined, for a message: "x = tensor([0.41, -1.2, 0.07])" (small
    tensors whole, large ones by shape; modules, functions and classes left out)."""
    described = []
    for name, value in namespace.items():
        if name in given or name.startswith("_") or callable(value) and not isinstance(value, torch.Tensor):
            continue
        if isinstance(value, type(torch)):  # a module the setup imported
            continue
        described.append(f"{name} = {_describe_arg(value)}")
        if len(described) == _MAX_INPUTS:
            break
    return tuple(described)


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
    facts = () if isinstance(exc, (SyntaxError, SystemExit, KeyboardInterrupt)) else tuple(frame_facts(exc, code))
    return ErrorReport(type=name, message=message, line=line,
                       traceback=tuple(text for part in lines for text in part.rstrip("\n").split("\n")),
                       facts=facts)


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
