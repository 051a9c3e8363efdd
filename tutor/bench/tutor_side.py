"""The tutor's own figures: check latency, recovery after a kill, result transfer, lint time."""

from __future__ import annotations

import dataclasses
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tutor.bench.stats import summarise, time_ms
from tutor.lessons.catalog import Catalog
from tutor.sandbox.record import RunRecord
from tutor.sandbox.runspec import Outcome, Probe, RunRequest
from tutor.session import Session, SessionConfig

PACK = Path(__file__).parent / "pack"
WORKLOADS = {"a_one_line": "bench/one-line", "b_function": "bench/function", "c_training": "bench/training"}
# A hang that swallows SIGINT, so the watchdog must SIGKILL it and promote the spare.
STUBBORN_HANG = "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass\n"
SEGFAULT = "import ctypes\nctypes.string_at(0)\n"
TRANSFER_SIZES = {"4KB": 4 * 1024, "1MB": 1024**2, "16MB": 16 * 1024**2, "64MB": 64 * 1024**2}


def bench_catalog() -> Catalog:
    catalog = Catalog.load([PACK])
    if catalog.errors:
        raise RuntimeError("; ".join(str(e) for e in catalog.errors))
    return catalog


def open_session(device: str = "cpu") -> Session:
    session = Session(bench_catalog(), SessionConfig(device=device, spare=True))
    session.ready()
    session.pool().wait_spare()
    return session


def check_latency(session: Session, runs: dict[str, int]) -> dict:
    """End to end through Session.check, the call the app makes: run, check, verdict."""
    session.pool().wait_spare()
    results = {}
    for key, exercise_id in WORKLOADS.items():
        exercise = session.catalog.exercise(exercise_id)
        verdict = session.check(exercise, exercise.solution, record=False)  # warm: reference cached
        if not verdict.passed:
            raise RuntimeError(f"benchmark exercise {exercise_id} did not pass: {verdict.summary}")
        results[key] = summarise(time_ms(lambda: session.check(exercise, exercise.solution, record=False),
                                         runs[key]))
    return results


def recovery(session: Session, runs: int) -> dict:
    """From the kill of a worker (timeout, or death by crash) to the next verdict being back."""
    exercise = session.catalog.exercise("bench/one-line")
    short = dataclasses.replace(exercise, timeout=0.2)
    figures: dict[str, list[float]] = {"timeout": [], "crash": []}
    for _ in range(runs):
        for kind, code in (("timeout", STUBBORN_HANG), ("crash", SEGFAULT)):
            session.pool().wait_spare()  # "warm spare": the situation the goal is about
            verdict = session.check(short, code, record=False)
            expected = "timeout" if kind == "timeout" else "crashed"
            if verdict.status != expected:
                raise RuntimeError(f"recovery benchmark: expected {expected}, got {verdict.status}")
            killed_at = session.pool().last_kill_at
            session.check(exercise, exercise.solution, record=False)
            figures[kind].append((time.perf_counter() - killed_at) * 1000)
    return {kind: summarise(samples) for kind, samples in figures.items()}


def transfer(session: Session, runs: int) -> dict:
    """A result tensor of each size brought back to the tutor, next to in-process copies.

    The transfer time is the median of a run that returns the tensor minus the median of the same
    run that does not. The ceiling is a memory copy in this process into a fresh buffer (a result
    is new memory, as `x.clone()` would be); the copy into an already-touched buffer is shown too.
    """
    pool = session.pool()
    pool.wait_spare()  # a spare still importing torch (after the recovery runs) would share the CPU
    results = {}
    for label, size in TRANSFER_SIZES.items():
        code = f"import torch\nx = torch.ones({size // 4})\n"
        bare = RunRequest(code=code)
        fetch = RunRequest(code=code, probes=(Probe(0, "value", "x"),))

        def run(request: RunRequest) -> None:
            record = RunRecord.from_exchange(pool.request(request.to_wire(), timeout=60))
            if record.outcome is not Outcome.OK:
                raise RuntimeError(f"transfer run failed: {record.outcome.value}")

        run(fetch)
        run(bare)
        with_result = statistics.median(time_ms(lambda: run(fetch), runs))
        without = statistics.median(time_ms(lambda: run(bare), runs))
        transfer_ms = max(with_result - without, 0.001)
        source = np.ones(size // 4, dtype=np.float32)
        target = np.empty_like(source)
        fresh_ms = statistics.median(time_ms(lambda: np.copy(source), max(runs, 5)))
        warm_ms = statistics.median(time_ms(lambda: np.copyto(target, source), max(runs, 5)))
        megabytes = size / 1e6
        results[label] = {
            "bytes": size,
            "tutor": {"latency_ms": round(with_result, 4), "without_result_ms": round(without, 4),
                      "transfer_ms": round(transfer_ms, 4), "mb_s": round(megabytes / (transfer_ms / 1000), 1)},
            "memcpy": {"latency_ms": round(fresh_ms, 4), "mb_s": round(megabytes / (fresh_ms / 1000), 1)},
            "memcpy_warm": {"latency_ms": round(warm_ms, 4), "mb_s": round(megabytes / (warm_ms / 1000), 1)},
        }
    return results


def lint_time(python: str = sys.executable) -> dict:
    """`ptref-tutor lint` over the whole built-in curriculum, as a user runs it."""
    started = time.perf_counter()
    completed = subprocess.run([python, "-m", "tutor", "lint"], capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    count = len(Catalog.load([_builtin()]).exercises())
    return {"seconds": round(seconds, 2), "exercises": count,
            "per_exercise_ms": round(seconds * 1000 / max(count, 1), 1), "ok": completed.returncode == 0}


def _builtin() -> Path:
    from tutor.paths import builtin_lessons_dir

    return builtin_lessons_dir()


def variants_cost(runs: int) -> dict:
    """Check (a) on the prompt's example only, and on three inputs (the default), in one run."""
    session = open_session()
    try:
        exercise = session.catalog.exercise("bench/one-line")
        one = dataclasses.replace(exercise, variants=1)
        three = dataclasses.replace(exercise, variants=3)
        figures = {}
        for label, variant in (("one", one), ("three", three)):
            session.check(variant, variant.solution, record=False)  # the reference, cached
            figures[label] = summarise(time_ms(lambda: session.check(variant, variant.solution, record=False), runs))
    finally:
        session.close()
    figures["ratio"] = round(figures["three"]["p50"] / figures["one"]["p50"], 2)
    return figures


FLOODING = "print('step', _, 'loss', loss.item())\n"


def streaming_cost(runs: int) -> dict:
    """Workload (c) with a print per training step (200 lines), with a listener hearing every
    chunk as it comes, and without one."""
    session = open_session()
    try:
        exercise = session.catalog.exercise("bench/training")
        code = exercise.solution.replace("    optimiser.step()\n", "    optimiser.step()\n    " + FLOODING)
        heard: list = []
        session.check(exercise, code, record=False)
        # Taken in turns, so a change in the machine's load weighs on both figures alike.
        samples: dict[str, list[float]] = {"not_heard": [], "heard": []}
        for _ in range(runs):
            samples["not_heard"] += time_ms(lambda: session.check(exercise, code, record=False), 1)
            samples["heard"] += time_ms(lambda: session.check(exercise, code, record=False, on_event=heard.append), 1)
        figures = {name: summarise(values) for name, values in samples.items()}
    finally:
        session.close()
    figures["overhead"] = round(figures["heard"]["p50"] / figures["not_heard"]["p50"] - 1, 3)
    figures["chunks_heard"] = len(heard)
    return figures
