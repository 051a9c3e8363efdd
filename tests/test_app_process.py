"""The app in a process of its own: it never imports torch, and how fast and small it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import TESTS

# Runs in a fresh interpreter, so nothing another test imported can hide a torch import.
SCRIPT = r"""
import asyncio, json, resource, statistics, sys, time
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from textual import events
from apptools import make_app, results_text, run_check, type_text, wait_ready
from tutor.app.runs import RunController

def peak_rss_mib():
    # VmHWM is this process's own high-water mark; ru_maxrss is not: Linux carries it across exec
    # from the forked copy of the parent, so a big pytest process made this test fail by itself.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

async def main():
    painted = {}
    finished = asyncio.Event()
    def hook(message):
        if isinstance(message, events.Ready) and "at" not in painted:
            painted["at"] = time.perf_counter() - started
        if isinstance(message, RunController.Finished):
            finished.set()
    app = make_app()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await wait_ready(pilot)
        await type_text(pilot, "torch.arange(6)")
        trips = []
        await run_check(pilot)  # the first run of an exercise also loads its reference
        for _ in range(15):
            # Waiting on the message itself, not polling: a polling test would compete for the GIL
            # with the worker thread and measure itself.
            finished.clear()
            await pilot.press("f5")
            await asyncio.wait_for(finished.wait(), 120)
            await pilot.pause()
            assert "Passed" in results_text(app)
            trips.append((app.main_screen.runs.last_round_trip_ms, app.main_screen.runs.last_check_ms))
        await pilot.press("ctrl+q")
    return {
        "torch_imported": "torch" in sys.modules,
        "first_paint_s": painted.get("at"),
        "rss_mib": peak_rss_mib(),
        "round_trip_ms_median": statistics.median(t[0] for t in trips),
        "round_trip_ms_min": min(t[0] for t in trips),
        "session_check_ms_median": statistics.median(t[1] for t in trips),
    }

print("RESULT " + json.dumps(asyncio.run(main())))
"""


def test_the_app_process_never_imports_torch_and_stays_small(tmp_path):
    env = dict(os.environ, PTREF_TUTOR_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(TESTS)], capture_output=True, text=True,
                            timeout=600, env=env, cwd=TESTS.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    figures = json.loads(line[len("RESULT "):])
    print(figures)  # shown with -s: the figures the README quotes
    assert figures["torch_imported"] is False
    assert figures["first_paint_s"] is not None
    assert figures["rss_mib"] < 400  # the UI holds no tensors; torch alone would be ~400 MiB


def test_the_first_screen_waits_for_nothing_the_first_verdict_needs(tmp_path):
    """The real `ptref-tutor app` (the bench's launch, tutor/bench/startup.py): numpy, the checks,
    the verdict renderer and the lesson loader are not imported before the first screen (a second
    start reads the lessons from the cache), and the first verdict's modules are imported after it,
    before the worker is ready."""
    from tutor.bench.startup import launch_tutor

    env = dict(os.environ, PTREF_TUTOR_HOME=str(tmp_path))
    first = launch_tutor(env)
    assert first["first screen"] > 0 and first["ready"] >= first["first screen"]
    assert "tutor.lessons.loader" in first["loaded before the first screen"]  # no cache yet: parsed
    later = launch_tutor(env)
    assert later["loaded before the first screen"] == []
    assert {"numpy", "tutor.checking.judge", "tutor.render.verdict"} <= set(later["loaded once ready"])
    assert "tutor.lessons.loader" not in later["loaded once ready"]
