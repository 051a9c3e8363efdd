"""The one API both front ends use: "check this code for this exercise on this device".

A Session owns the worker pools (one per device in use), caches the reference solution's results
per exercise and device, judges learner runs against them, and records attempts in the progress
store. It never imports torch or Textual.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from tutor.checking.verdict import LessonBug, Verdict
from tutor.idle import IdleWatch
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import AssertCheck, CurveCheck, Exercise, ExpectedCheck, FunctionCheck, TensorCheck
from tutor.options import (DEFAULT_DEVICE, DEFAULT_GPU_MEMORY_FRACTION, DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS,
                           normalise_device)
from tutor.progress.store import ProgressStore
from tutor.sandbox.client import EventListener, WorkerSpec, WorkerStartError
from tutor.sandbox.pool import WorkerPool
from tutor.sandbox.probe import probe_devices
from tutor.sandbox.protocol import ProtocolError
from tutor.sandbox.runspec import LoadRequest, Outcome, Probe, RunRequest
from tutor.sandbox.template import TEMPLATES

if TYPE_CHECKING:  # numpy comes with these: imported by the first check, not by the app's first screen
    from tutor.sandbox.record import RunRecord

REFERENCE_TIMEOUT_FACTOR = 3.0
SNIPPET_TIMEOUT = 30.0  # seconds for a prose block of a lesson

__all__ = ["LessonBug", "Session", "SessionConfig", "WorkerStartError", "probe_devices", "request_for"]


@dataclass(frozen=True)
class SessionConfig:
    device: str = DEFAULT_DEVICE
    python: str = sys.executable
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    threads: int = DEFAULT_THREADS
    spare: bool = True  # keep a warm spare worker: recovery after a kill in milliseconds
    gpu_memory_fraction: float | None = DEFAULT_GPU_MEMORY_FRACTION
    idle_release: float = 0.0  # minutes without a run before the workers stop (0: never)


class Session:
    def __init__(self, catalog: Catalog, config: SessionConfig = SessionConfig(),
                 store: ProgressStore | None = None,
                 on_worker_state: Callable[[str, str], None] | None = None) -> None:
        self.catalog = catalog
        self.config = config
        self.device = normalise_device(config.device)
        self.store = store
        self.on_worker_state = on_worker_state
        # Keyed by (device, whether processes are allowed): a worker's sandbox cannot be loosened,
        # so exercises with sandbox.processes = true get workers of their own.
        self._pools: dict[tuple[str, bool], WorkerPool] = {}
        self._references: dict[tuple[str, str, str], RunRecord] = {}
        self._expected: dict[tuple[str, str, int], object] = {}
        self._lock = threading.RLock()
        self._running: set[threading.Event] = set()  # one cancel token per run in progress
        self._idle = IdleWatch(config.idle_release * 60, self.release)

    # -- workers ----------------------------------------------------------------------------------
    def pool(self, device: str | None = None, processes: bool = False) -> WorkerPool:
        """The pool for a device and sandbox policy (processes: the exercise may start processes)."""
        device = normalise_device(device or self.device)
        key = (device, bool(processes))
        with self._lock:
            if key not in self._pools:
                spec = WorkerSpec(device=device, python=self.config.python, threads=self.config.threads,
                                  memory_limit=self.config.memory_limit,
                                  gpu_memory_fraction=self.config.gpu_memory_fraction,
                                  allow_processes=bool(processes))
                listener = None
                if self.on_worker_state is not None:
                    listener = lambda state, device=device: self.on_worker_state(device, state)  # noqa: E731
                # No warm spare on CUDA: it would hold a CUDA context of its own (hundreds of MB of
                # GPU memory per learner on a shared server) to speed up recovery from a kill, which
                # is rare there (a timeout interrupts the code and keeps the worker). On the CPU a
                # spare forked from the template costs ~16 MB and recovers in ~8 ms instead of ~115.
                spare = self.config.spare and not device.startswith("cuda")
                self._pools[key] = WorkerPool(spec, spare=spare, on_state=listener)
            return self._pools[key]

    def start(self) -> None:
        """Start the worker(s) for the current device in the background."""
        self._idle.touch()
        self.pool().start()

    @property
    def released(self) -> bool:
        """The workers were stopped for being idle (the next run starts them again)."""
        return self._idle.idle

    def release(self) -> bool:
        """Stop every worker, and the templates they were forked from: an idle learner then holds
        no torch and no CUDA context. The next check starts them again. False while a run is in
        progress (a long training exercise is not idle)."""
        with self._lock:
            if self._running:
                return False
            pools = list(self._pools.items())
            self._pools.clear()
        for (device, _), pool in pools:
            pool.close()
        TEMPLATES.retire_unused()  # the templates go with the last worker (another session may use one)
        if self.on_worker_state is not None:
            for device in {device for (device, _), _ in pools}:
                try:
                    self.on_worker_state(device, "released")
                except Exception:
                    pass
        return True

    def ready(self) -> dict:
        """Wait for the current device's worker; its hello (versions, limits). Raises WorkerStartError."""
        return self.pool().ready()

    def set_device(self, device: str) -> None:
        """Switch device: the new device's worker starts; the old one is stopped."""
        device = normalise_device(device)
        with self._lock:
            old = self.device
            self.device = device
            if old != device:
                for key in [key for key in self._pools if key[0] == old]:
                    self._pools.pop(key).close()
        self.start()

    def run_device(self, exercise: Exercise) -> str:
        """The device the exercise runs on: the chosen one, or the CPU for a cpu-only exercise."""
        return "cpu" if exercise.device == "cpu" else self.device

    def _pool_for(self, exercise: Exercise) -> WorkerPool:
        # The reference solution runs under the same policy as the learner's code.
        return self.pool(self.run_device(exercise), exercise.sandbox.processes)

    # -- checking ---------------------------------------------------------------------------------
    def check(self, exercise: Exercise, code: str, *, record: bool = True,
              cancel: threading.Event | None = None, on_event: EventListener | None = None) -> Verdict:
        """Run `code` against the exercise and return the verdict (blocking; thread-safe).

        `cancel`, when given, stops this run once set (as `cancel()` stops every run in progress).
        `on_event` hears the run while it runs (its output, progress, curve points), from other
        threads. Raises LessonBug when the exercise itself is broken, WorkerStartError when no
        worker can start.
        """
        from tutor.checking.judge import judge

        reference = self.reference(exercise)
        expected = self.expected_values(exercise)
        learner = self.run(exercise, code, cancel=cancel, on_event=on_event)
        verdict = judge(exercise, code, learner, reference, expected, self.run_device(exercise))
        if record and self.store is not None and verdict.status != "stopped":
            self.store.record_attempt(exercise.full_id, verdict.status, verdict.duration_ms, verdict.device, code)
        return verdict

    def run(self, exercise: Exercise, code: str, *, cancel: threading.Event | None = None,
            timeout: float | None = None, on_event: EventListener | None = None) -> RunRecord:
        """Run `code` as the exercise's code (its setup, seed and checks' probes), unjudged."""
        # A token per run: one shared event cleared at the start of each check let a new run
        # un-cancel the run it was meant to replace.
        token = cancel if cancel is not None else threading.Event()
        self._idle.touch()
        with self._lock:
            self._running.add(token)
        try:
            exchange = self._pool_for(exercise).request(request_for(exercise, code).to_wire(),
                                                        timeout=timeout or exercise.timeout, cancel=token,
                                                        on_event=on_event)
        finally:
            with self._lock:
                self._running.discard(token)
        from tutor.sandbox.record import RunRecord

        return RunRecord.from_exchange(exchange)

    def run_snippet(self, code: str, setup: str = "", lesson_dir: Path | None = None,
                    timeout: float = SNIPPET_TIMEOUT, probes: tuple[Probe, ...] = ()) -> RunRecord:
        """Run code outside any exercise (a lesson's prose blocks) on the current device."""
        request = RunRequest(code=code, setup=setup, lesson_dir=str(lesson_dir.resolve()) if lesson_dir else None,
                             probes=probes)
        from tutor.sandbox.record import RunRecord

        return RunRecord.from_exchange(self.pool().request(request.to_wire(), timeout=timeout))

    def cancel(self) -> None:
        """Stop every run in progress (SIGINT, then SIGKILL); their verdicts say they were stopped."""
        with self._lock:
            for token in self._running:
                token.set()

    def reference(self, exercise: Exercise) -> RunRecord:
        """The solution's results on this exercise's device, run once and cached."""
        device = self.run_device(exercise)
        key = (exercise.full_id, exercise.fingerprint(), device)
        with self._lock:
            cached = self._references.get(key)
        if cached is not None:
            return cached
        record = self.run(exercise, exercise.solution, timeout=exercise.timeout * REFERENCE_TIMEOUT_FACTOR)
        if record.outcome is not Outcome.OK:
            detail = record.error.headline() if record.error else f"{record.outcome.value}: {record.exit_description}"
            where = "setup" if record.phase == "setup" else "reference solution"
            raise LessonBug(f"{exercise.full_id}: the {where} failed ({record.outcome.value}): {detail}")
        with self._lock:
            self._references[key] = record
        return record

    def solution_verdict(self, exercise: Exercise) -> Verdict:
        """The reference solution judged by the exercise's own checks (lint: it must pass)."""
        from tutor.checking.judge import judge

        reference = self.reference(exercise)
        return judge(exercise, exercise.solution, reference, reference, self.expected_values(exercise),
                     self.run_device(exercise))

    def prepare(self, exercise: Exercise) -> None:
        """Compute the reference ahead of the learner's first run (call from a background thread)."""
        try:
            self.reference(exercise)
        except (LessonBug, WorkerStartError):
            pass  # reported when the learner runs the check

    def expected_values(self, exercise: Exercise) -> dict[int, object]:
        """The fixed values of the exercise's `expected` checks, by check index (loaded once)."""
        from tutor.checking.expected import ExpectedFileError, expected_value

        pool = self._pool_for(exercise)
        values = {}
        for index, check in enumerate(exercise.checks):
            if not isinstance(check, ExpectedCheck):
                continue
            key = (exercise.full_id, exercise.fingerprint(), index)
            with self._lock:
                if key not in self._expected:
                    try:
                        self._expected[key] = expected_value(check, exercise.lesson_dir,
                                                             lambda path, name: self._load_pt(pool, path, name))
                    except ExpectedFileError as exc:
                        raise LessonBug(f"{exercise.full_id}: check {index + 1}: {exc}") from None
                values[index] = self._expected[key]
        return values

    @staticmethod
    def _load_pt(pool: WorkerPool, path: Path, key: str | None) -> object:
        from tutor.checking.expected import ExpectedFileError
        from tutor.sandbox.values import decode

        exchange = pool.request(LoadRequest(str(path), key).to_wire(), timeout=60)
        reply = exchange.reply if exchange.ended is None and isinstance(exchange.reply, dict) else {}
        if reply.get("ok") is not True:
            error = reply.get("error")
            raise ExpectedFileError(error if isinstance(error, str) else exchange.exit_description or "could not load")
        try:
            return decode(reply.get("value"), exchange.buffers)
        except (ProtocolError, KeyError, TypeError, ValueError) as exc:
            raise ExpectedFileError(f"the worker sent back an unreadable tensor ({exc})") from None

    def close(self) -> None:
        self._idle.close()
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def request_for(exercise: Exercise, code: str) -> RunRequest:
    """The run of `code` as the exercise's code, with a probe for each check that needs the
    namespace the code leaves behind, keyed by the check's index."""
    probes = []
    for index, check in enumerate(exercise.checks):
        if isinstance(check, (TensorCheck, ExpectedCheck, CurveCheck)):
            probes.append(Probe(index, "value", check.name))
        elif isinstance(check, AssertCheck):
            probes.append(Probe(index, "assert", check.expr))
        elif isinstance(check, FunctionCheck):
            probes.append(Probe(index, "function", check.name, args=check.args, repeat=check.repeat))
    lesson_dir = str(exercise.lesson_dir) if exercise.lesson_dir else None
    curves = tuple(dict.fromkeys(check.name for check in exercise.checks if isinstance(check, CurveCheck)))
    return RunRequest(code=code, setup=exercise.setup, seed=exercise.seed, lesson_dir=lesson_dir,
                      probes=tuple(probes), variants=exercise.variants, watch=curves)
