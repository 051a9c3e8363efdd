"""A classroom on one machine: N learners, each a separate tutor session in a process of its own,
each checking a mix of right, wrong, erroring and timing-out answers every few seconds for M
minutes. Reports the total memory (PSS, sampled, its peak), check latency (p50/p99), verdicts that
were wrong or lost (must be 0) and worker restarts.

    ptref-tutor bench classroom --learners 30 --minutes 5

Each learner runs what the app runs (a Session with a warm spare, workers forked from its own
template), without the screen: the screen's cost is the app's own (see the footprint figures).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from tutor.bench.footprint import pss_mb, tree
from tutor.bench.stats import summarise

# (answer, the verdict it must get) for the bench pack's one-line exercise (`square`, 4x4 of `row`).
ANSWERS = [
    ("square = row.view(4, 4)\n", "passed"),
    ("square = row.reshape(4, 4)\n", "passed"),
    ("square = row.view(2, 8)\n", "failed"),
    ("square = row.view(4, 4) + 1\n", "failed"),
    ("square = row.view(5, 5)\n", "error"),
    ("square = undefined_name\n", "error"),
    ("while True:\n    pass\n", "timeout"),
]
WEIGHTS = [30, 10, 20, 10, 10, 10, 3]  # timeouts are rare and expensive (a killed worker each)
LEARNER_TIMEOUT = 2.0  # seconds an answer may run

LEARNER = r"""
import dataclasses, json, random, sys, time
from tutor.bench.classroom import ANSWERS, WEIGHTS, LEARNER_TIMEOUT
from tutor.bench.tutor_side import bench_catalog
from tutor.session import Session, SessionConfig

seed, minutes, pause = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rng = random.Random(seed)
catalog = bench_catalog()
exercise = dataclasses.replace(catalog.exercise("bench/one-line"), timeout=LEARNER_TIMEOUT)
results = {"latencies_ms": [], "timeouts_ms": [], "wrong": [], "lost": 0, "checks": 0, "restarts": 0}
with Session(catalog, SessionConfig(spare=True)) as session:
    session.ready()
    print("READY", flush=True)
    end = time.monotonic() + minutes * 60
    while time.monotonic() < end:
        answer, want = rng.choices(ANSWERS, WEIGHTS)[0]
        started = time.perf_counter()
        try:
            verdict = session.check(exercise, answer, record=False)
        except Exception as exc:  # a lost verdict: the learner got nothing back
            results["lost"] += 1
            continue
        # A timing-out answer takes its limit by design: kept apart, so p99 says how long the
        # answers that end wait for their verdict, and the timeouts say how promptly they are cut.
        results["timeouts_ms" if want == "timeout" else "latencies_ms"].append((time.perf_counter() - started) * 1000)
        results["checks"] += 1
        if verdict.status != want:
            results["wrong"].append(f"{answer.strip()!r}: {verdict.status}, not {want}")
        time.sleep(rng.uniform(0.5, 1.5) * pause)
    results["restarts"] = session.pool().recycled
print("RESULTS " + json.dumps(results), flush=True)
"""


def classroom(learners: int = 30, minutes: float = 5.0, pause: float = 3.0,
              progress=lambda message: None) -> dict:
    """Start `learners` learner processes, wait until every one is ready, let them work for
    `minutes`, sample their memory all along, and gather what each saw."""
    with tempfile.TemporaryDirectory(prefix="ptref-classroom-") as home:
        env = dict(os.environ, PTREF_TUTOR_HOME=home)
        started = time.monotonic()
        processes = [subprocess.Popen([sys.executable, "-c", LEARNER, str(seed), str(minutes), str(pause)],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
                     for seed in range(learners)]
        peak = {"pss_mb": 0.0}
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(2.0):
                pids = [pid for process in processes for pid in tree(process.pid)]
                peak["pss_mb"] = max(peak["pss_mb"], pss_mb(pids))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        outputs = []
        try:
            for index, process in enumerate(processes):
                outputs.append(_results(process, timeout=600 + minutes * 60))
                progress(f"classroom: {index + 1} of {learners} learners done")
        finally:
            sampling.set()
            for process in processes:
                if process.poll() is None:
                    process.kill()
        ready_s = time.monotonic() - started
    latencies = [ms for output in outputs for ms in output["latencies_ms"]]
    timeouts = [ms for output in outputs for ms in output.get("timeouts_ms", [])]
    wrong = [line for output in outputs for line in output["wrong"]]
    return {
        "learners": learners, "minutes": minutes, "checks": sum(output["checks"] for output in outputs),
        "latency_ms": summarise(latencies) if latencies else None,
        "p99_ms": round(_percentile(latencies, 99), 1) if latencies else None,
        "timeouts": len(timeouts), "timeout_p99_ms": round(_percentile(timeouts, 99), 1) if timeouts else None,
        "wrong_verdicts": len(wrong), "wrong_examples": wrong[:5],
        "lost_verdicts": sum(output["lost"] for output in outputs),
        "worker_restarts": sum(output["restarts"] for output in outputs),
        "peak_pss_mb": round(peak["pss_mb"], 1), "wall_s": round(ready_s, 1),
    }


def _results(process: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        if line.startswith("RESULTS "):
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
            return json.loads(line[len("RESULTS "):])
        if time.monotonic() > deadline:
            break
    return {"latencies_ms": [], "timeouts_ms": [], "wrong": [], "lost": 1, "checks": 0, "restarts": 0}


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * (len(ordered) - 1))))
    return ordered[index]


if __name__ == "__main__":
    print(json.dumps(classroom(int(sys.argv[1]) if len(sys.argv) > 1 else 2,
                               float(sys.argv[2]) if len(sys.argv) > 2 else 0.2), indent=2))
