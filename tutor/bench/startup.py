"""Start-up, as a learner meets it: from launching the app to the first verdict it could give.

A fresh process runs the real app headless on the built-in lessons; the timeline is read from the
parts themselves: the first screen (the app's first refresh), the template spawned and its torch
imported (tutor/sandbox/template.py), the first worker forked, its device opened, warm-up done and
sandbox installed (the worker's hello), ready (a check could run), and the spare ready. The
yardstick is `python -c "import torch"` in the same interpreter, measured in the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile

from tutor.bench.app_start import IMPORT_TORCH, run_probe

TIMELINE = r"""
import asyncio, json, sys, time
launched = float(sys.argv[1])
offset = time.time() - time.monotonic()  # monotonic stamps -> ms since launch
def since(stamp):
    return round((stamp + offset - launched) * 1000, 1) if stamp is not None else None

from tutor.sandbox.template import TEMPLATES
TEMPLATES.start_in_background(sys.executable, 1)  # as `ptref-tutor` does (tutor/cli/app_command.py)
from tutor.app.app import TutorApp
from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.progress.store import ProgressStore
from tutor.session import SessionConfig

catalog = Catalog.load([builtin_lessons_dir()])
app = TutorApp(catalog, ProgressStore(), SessionConfig(spare=True),
               probe=lambda: {"devices": [{"name": "cpu", "label": "CPU", "memory": None}]})
marks = {}

async def auto_pilot(pilot):
    painted = asyncio.Event()
    def first_refresh():
        marks["first screen"] = since(time.monotonic())
        painted.set()
    app.call_after_refresh(first_refresh)
    await painted.wait()
    hello = await asyncio.to_thread(app.session.ready)
    marks["ready"] = since(time.monotonic())
    pool = app.session.pool()
    await asyncio.to_thread(pool.wait_spare)
    worker = pool._active
    template = next(iter(TEMPLATES._templates.values()), None)
    if template is not None:
        marks["template spawned"] = since(template.spawned_at)
        marks["torch imported"] = since(template.ready_at)
    marks["worker forked" if hello.get("forked") else "worker started"] = since(worker.spawned_at)
    for name, ms in hello.get("timeline_ms", {}).items():
        if name != "torch imported" or template is None:
            marks["worker: " + name] = round(since(worker.spawned_at) + ms, 1)
    spare = pool._spare
    marks["spare ready"] = since(spare.ready_at) if spare is not None and spare.ready_at else None
    marks["forked"] = bool(hello.get("forked"))
    app.exit()

app.run(headless=True, size=(100, 30), auto_pilot=auto_pilot)
app.session.close()
print("FIGURES " + json.dumps(marks))
"""


def startup_timeline(runs: int = 3) -> dict:
    """The median of `runs` launches, each next to an `import torch` of the same interpreter."""
    with tempfile.TemporaryDirectory(prefix="ptref-bench-home-") as home:
        env = dict(os.environ, PTREF_TUTOR_HOME=home)
        timelines, imports = [], []
        for _ in range(runs):  # alternated, so a busy spell of the machine hits both alike
            timelines.append(json.loads(run_probe(TIMELINE, env, timeout=600)))
            imports.append(float(run_probe(IMPORT_TORCH, env, timeout=600).split()[0]))
    keys = [key for key in timelines[0] if key != "forked"]
    median = {key: _median([t.get(key) for t in timelines]) for key in keys}
    import_torch = statistics.median(imports)
    ready, screen = median.get("ready"), median.get("first screen")
    return {
        "timeline_ms": dict(sorted(median.items(), key=lambda item: item[1] if item[1] is not None else 1e12)),
        "import_torch_ms": round(import_torch, 1), "forked": all(t.get("forked") for t in timelines),
        "ready_over_import_torch": round(ready / import_torch, 2) if ready else None,
        "first_screen_over_import_torch": round(screen / import_torch, 2) if screen else None,
        "runs": runs,
    }


def _median(values: list) -> float | None:
    present = [value for value in values if value is not None]
    return round(statistics.median(present), 1) if present else None


if __name__ == "__main__":  # python -m tutor.bench.startup
    print(json.dumps(startup_timeline(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
