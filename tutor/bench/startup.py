"""Start-up, as a learner meets it: from launching the app to the first verdict it could give.

A fresh process runs the real `ptref-tutor app` command (its own data directory, so its own
lesson cache and start times) with a driver in place of the terminal (tutor/app/startup_probe.py);
the timeline is read from the parts themselves: the first screen (the app's first frame), the template spawned and its torch
imported (tutor/sandbox/template.py), the first worker forked, its device opened, warm-up done and
sandbox installed (the worker's hello), ready (a check could run), and the spare ready. The
yardstick is `python -c "import torch"` in the same interpreter, measured in the same run.
"""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from tutor.bench.app_start import IMPORT_TORCH, figures_line, run_probe
from tutor.paths import package_root

# The real command, as a learner starts it; Textual's TEXTUAL_DRIVER swaps the terminal for the
# probe driver, which times the first frame and the worker, prints FIGURES and ends the app.
COMMAND = ["-m", "tutor", "app"]
PROBE_DRIVER = "tutor.app.startup_probe:StartupProbeDriver"


def launch_tutor(env: dict, timeout: float = 600) -> dict:
    """One start of `ptref-tutor app` at 100x30; its timeline (ms since launch)."""
    started = time.time()
    env = dict(env, TEXTUAL_DRIVER=PROBE_DRIVER, PTREF_BENCH_LAUNCHED=repr(started), COLUMNS="100", LINES="30")
    completed = subprocess.run([sys.executable, *COMMAND], capture_output=True, text=True, timeout=timeout,
                               env=env, stdin=subprocess.DEVNULL)
    marks = json.loads(figures_line(completed))
    if "error" in marks:
        raise RuntimeError(f"the start-up probe failed: {marks['error']}")
    return marks


def startup_timeline(runs: int = 3) -> dict:
    """The median of `runs` launches, each next to an `import torch` of the same interpreter.

    A first launch in the fresh data directory comes before them: the learner's first start ever,
    which parses every lesson; the measured launches are the starts of every day after, which read
    the lessons back from the cache (tutor/lessons/cache.py). Its first screen is reported apart."""
    # As installed: pip writes a wheel's bytecode, Python an editable install's on first import,
    # unless PYTHONDONTWRITEBYTECODE is set (then every start would compile the tutor's modules).
    compileall.compile_dir(str(package_root() / "tutor"), quiet=2)  # a read-only install: as it is
    with tempfile.TemporaryDirectory(prefix="ptref-bench-home-") as home:
        env = dict(os.environ, PTREF_TUTOR_HOME=home)
        first_start = launch_tutor(env)
        timelines, imports = [], []
        for _ in range(runs):  # alternated, so a busy spell of the machine hits both alike
            timelines.append(launch_tutor(env))
            imports.append(float(run_probe(IMPORT_TORCH, env, timeout=600).split()[0]))
    keys = [key for key, value in timelines[0].items() if isinstance(value, float) and key != "first screen cpu"]
    median = {key: _median([t.get(key) for t in timelines]) for key in keys}
    import_torch = statistics.median(imports)
    ready, screen = median.get("ready"), median.get("first screen")
    return {
        "timeline_ms": dict(sorted(median.items(), key=lambda item: item[1] if item[1] is not None else 1e12)),
        "import_torch_ms": round(import_torch, 1), "forked": all(t.get("forked") for t in timelines),
        "ready_over_import_torch": round(ready / import_torch, 2) if ready else None,
        "first_screen_over_import_torch": round(screen / import_torch, 2) if screen else None,
        "first_screen_cpu_ms": _median([t.get("first screen cpu") for t in timelines]),
        "first_start_first_screen_ms": first_start.get("first screen"),
        "runs": runs,
    }


def _median(values: list) -> float | None:
    present = [value for value in values if value is not None]
    return round(statistics.median(present), 1) if present else None


if __name__ == "__main__":  # python -m tutor.bench.startup
    print(json.dumps(startup_timeline(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2))
