"""How fast the app answers a key, measured in a fresh app process (tutor/app/key_timing.py does
the timing): headless at 80x24 on the built-in lessons, with a throw-away data directory.

Figures only: nothing here asserts a time. `ptref-tutor bench` prints them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

PROBE = r"""
import asyncio, json, sys
from tutor.app.app import TutorApp
from tutor.app.key_timing import measure, idle
from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.progress.store import ProgressStore
from tutor.session import SessionConfig

repeats, start_at, width, height = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
catalog = Catalog.load([builtin_lessons_dir()])
TutorApp.CURSOR_BLINK = False  # a blinking cursor would be a screen update of its own
app = TutorApp(catalog, ProgressStore(), SessionConfig(spare=False), start_at=catalog.exercise(start_at),
               probe=lambda: {"devices": [{"name": "cpu", "label": "CPU", "memory": None}]})
figures = {}

async def auto_pilot(pilot):
    app.session.ready()
    await idle(app, pilot)
    figures.update(await measure(app, pilot, repeats))
    app.exit()

app.run(headless=True, size=(width, height), auto_pilot=auto_pilot)
app.session.close()
print("FIGURES " + json.dumps(figures))
"""

START_AT = "autograd/pitfall-data-vs-detach"  # a long prompt in the middle of the course


def measure_keys(repeats: int = 10, size: tuple[int, int] = (80, 24), start_at: str = START_AT) -> dict:
    """Key latencies of a fresh app process, in ms per scenario: {name: {p50, p95, max, n, samples}}."""
    with tempfile.TemporaryDirectory(prefix="ptref-bench-keys-") as home:
        env = dict(os.environ, PTREF_TUTOR_HOME=home)
        completed = subprocess.run([sys.executable, "-c", PROBE, str(repeats), start_at, str(size[0]), str(size[1])],
                                   capture_output=True, text=True, timeout=900, env=env)
    for line in completed.stdout.splitlines():
        if line.startswith("FIGURES "):
            return json.loads(line[len("FIGURES "):])
    raise RuntimeError(f"key latency probe failed: {completed.stderr[-800:]}")


if __name__ == "__main__":
    figures = measure_keys(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
    for scenario, row in figures.items():
        if row["p50"] is None:
            print(f"{scenario:28} {row['note']}")
        else:
            print(f"{scenario:28} p50 {row['p50']:7.1f}  p95 {row['p95']:7.1f}  max {row['max']:7.1f} ms"
                  f"  cpu p50 {row['cpu_p50']:6.1f}  {row['samples']}")
