"""The app's start-up, as a learner meets it: process start to first screen, and the UI's memory.

Each figure comes from a fresh process. The app runs headless on the built-in lessons with a
throw-away data directory; after its first screen it runs one check through the real worker (F5)
so the peak RSS includes a verdict on screen. `python -c "import torch"` on the same interpreter
is the yardstick: torch lives in the worker, never in the UI process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

PEAK_RSS = r"""
def peak_rss_mb():
    # VmHWM is this process's own high-water mark. ru_maxrss is not: Linux carries it across
    # exec from the forked copy of the parent, so a big parent (this benchmark) inflates it.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

PROBE = PEAK_RSS + r"""
import asyncio, json, os, resource, sys, time
started = float(sys.argv[1])
from tutor.app.app import TutorApp
from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.progress.store import ProgressStore
from tutor.session import SessionConfig

figures = {}
catalog = Catalog.load([builtin_lessons_dir()])
store = ProgressStore()
app = TutorApp(catalog, store, SessionConfig(spare=True),
               probe=lambda: {"devices": [{"name": "cpu", "label": "CPU", "memory": None}]})

async def auto_pilot(pilot):
    # The pilot starts once the app is mounted, just before its message loop; the first screen is
    # painted by the first refresh after that.
    painted = asyncio.Event()
    def on_first_refresh():
        figures["first_paint_ms"] = (time.time() - started) * 1000
        painted.set()
    app.call_after_refresh(on_first_refresh)
    await painted.wait()
    await pilot.pause()
    app.session.ready()
    await pilot.press("f5")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.exit()

app.run(headless=True, size=(120, 40), auto_pilot=auto_pilot)
app.session.close()
figures["peak_rss_mb"] = peak_rss_mb()
figures["torch_in_ui_process"] = "torch" in sys.modules
print("FIGURES " + json.dumps(figures))
"""

# The yardstick, run in its own process: the tutor's process never imports torch.
IMPORT_TORCH = PEAK_RSS + r"""
import resource, sys, time
started = float(sys.argv[1])
import torch
print("FIGURES", (time.time() - started) * 1000, peak_rss_mb())
"""


def run_probe(code: str, env: dict, timeout: float = 300) -> str:
    """Run a probe program in a fresh interpreter, passing it the launch time; its FIGURES line."""
    started = time.time()
    completed = subprocess.run([sys.executable, "-c", code, repr(started)], capture_output=True, text=True,
                               timeout=timeout, env=env)
    return figures_line(completed)


def figures_line(completed: subprocess.CompletedProcess) -> str:
    """What a probe process printed after `FIGURES `, or why there is none."""
    for line in completed.stdout.splitlines():
        if line.startswith("FIGURES "):
            return line[len("FIGURES "):]
    raise RuntimeError(f"the start-up probe failed: {completed.stderr[-500:]}")


def measure_app(runs: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="ptref-bench-home-") as home:
        env = dict(os.environ, PTREF_TUTOR_HOME=home)
        apps = [json.loads(run_probe(PROBE, env)) for _ in range(runs)]
        torches = [tuple(float(x) for x in run_probe(IMPORT_TORCH, env).split()) for _ in range(runs)]
    first_paint = sorted(a["first_paint_ms"] for a in apps)[runs // 2]
    rss = max(a["peak_rss_mb"] for a in apps)
    return {
        "first_paint_ms": round(first_paint, 1),
        "first_paint_all_ms": [round(a["first_paint_ms"], 1) for a in apps],
        "peak_rss_mb": round(rss, 1),
        "peak_rss_all_mb": [round(a["peak_rss_mb"], 1) for a in apps],
        "torch_in_ui_process": any(a["torch_in_ui_process"] for a in apps),
        "import_torch_ms": round(sorted(t[0] for t in torches)[runs // 2], 1),
        "import_torch_rss_mb": round(max(t[1] for t in torches), 1),
    }
