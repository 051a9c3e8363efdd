"""One run: setup, then the learner's (or the solution's) code, then the checks that need its namespace."""

from __future__ import annotations

import builtins
import io
import linecache
import os
import shutil
import signal
import sys
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import torch

from tutor.sandbox.protocol import SCRATCH_PREFIX
from tutor.sandbox.runspec import Outcome, RunReply, RunRequest, VariantRun
from tutor.sandbox.worker import oslimits
from tutor.sandbox.worker.encode import Encoder
from tutor.sandbox.worker.events import Events, progress_helper
from tutor.sandbox.worker.errors import (LEARNER_FILE, SETUP_FILE, describe_error, is_cuda_error,
                                         is_gpu_memory_error, is_memory_error)
from tutor.sandbox.worker.probing import Probing, args_builtins, describe_inputs
from tutor.sandbox.worker.refusals import Refusals
from tutor.sandbox.worker.state import GlobalState

_CHECK_OUTPUT_CAP = 16 * 1024

try:  # the C function itself: signal.signal's enum conversions cost more than the system call
    from _signal import signal as _set_handler
except ImportError:
    _set_handler = signal.signal


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
        self.handler = self._handler  # one bound method, installed before every run

    def _handler(self, signum: int, frame: object) -> None:
        if self.active:
            self.fired = True
            raise KeyboardInterrupt
        self.fired = True

    @contextmanager
    def learner_code(self):
        _set_handler(signal.SIGINT, self.handler)  # the learner may have replaced it last run
        self.active = True
        try:
            yield
        finally:
            self.active = False

    def start_run(self) -> None:
        self.fired = False


class Runner:
    def __init__(self, state: GlobalState, device: torch.device, scratch: Path, events: Events | None = None) -> None:
        self.state = state
        self.events = events or Events(lambda frame: None)
        self.progress = progress_helper(self.events)
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
        modules_before = len(sys.modules)
        try:
            with self.interrupts.learner_code():
                for variant in range(request.variants):
                    if variant == 1:
                        # The learner reads what the example (variant 0) printed and watches its
                        # progress; the other variants would only repeat it with other numbers.
                        self._silence_output()
                        self.events.begin(None)
                    run, printed = self._run_variant(request, variant, encoder)
                    runs.append(run)
                    if variant == 0:
                        check_stdout = printed
        except _PhaseError as wrapped:  # an exception in the learner's or setup code
            exc, phase = wrapped.exc, wrapped.phase
            outcome, error = Outcome.ERROR, describe_error(exc, request.code, self.refusals)
            if isinstance(exc, KeyboardInterrupt) and self.interrupts.fired:
                outcome = Outcome.STOPPED
            if is_memory_error(exc):
                recycle.append("out of GPU memory" if is_gpu_memory_error(exc) else "out of memory")
            if is_cuda_error(exc):
                recycle.append("a CUDA error")
        except KeyboardInterrupt as exc:  # between phases
            outcome = Outcome.STOPPED if self.interrupts.fired else Outcome.ERROR
            error = describe_error(exc, request.code, self.refusals)
        if outcome is Outcome.STOPPED and len(sys.modules) != modules_before:
            # Stopped while it imported (the first optimizer step imports torch._dynamo and
            # torch._inductor, seconds of work): modules left half-initialised in sys.modules would
            # fail every later run in this worker, the reference's included ("partially initialized
            # module"). A fresh worker costs a spare's promotion.
            recycle.append("stopped while importing modules")
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
        namespace = {"__name__": "__main__", "__builtins__": builtins, "device": self.device, "variant": variant,
                     "progress": self.progress}
        if request.lesson_dir:
            namespace["lesson_dir"] = Path(request.lesson_dir)  # the pack's own data files
        given = set(namespace)
        with _phase("setup"):
            if request.setup:
                exec(compile(request.setup, SETUP_FILE, "exec", dont_inherit=True), namespace)
        inputs = self._inputs = describe_inputs(namespace, given) if variant else ()
        del namespace["variant"]  # the setup's to choose inputs by; the learner's code never needs it
        args_namespace = {**args_builtins(), **namespace}
        if variant == 0:
            self.events.watch(request.watch, namespace)  # curves grow on screen as the code appends
        try:
            with _phase("code"):
                exec(compile(request.code, LEARNER_FILE, "exec", dont_inherit=True), namespace)
                self._synchronize()
        finally:
            self.events.stop_watching()
        # What the learner's functions print while the checks call them is not what their code
        # printed: keep it apart, so `output` checks and the stdout pane see only the latter.
        with _phase("checks"), redirect_stdout(io.StringIO()) as printed:
            probing = Probing(namespace, args_namespace, seed, encoder, self.refusals)
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
        if self.device.type == "cuda":
            # Give the run's cached blocks back: an idle learner then holds only the CUDA context,
            # and the others on a shared GPU can use the rest.
            torch.cuda.empty_cache()
        return reasons

    def _clean_scratch(self) -> None:
        # Only ever empty a directory the tutor made for this purpose: a misconfigured scratch
        # path must never turn into deleting someone's files.
        if not self.scratch.name.startswith(SCRATCH_PREFIX):
            return
        try:
            with os.scandir(self.scratch) as entries:  # no stat for an empty folder, the usual case
                found = list(entries)
        except OSError:  # not there, or not a directory
            return
        for entry in found:
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass



def _register_source(filename: str, source: str) -> None:
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


