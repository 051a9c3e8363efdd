"""What one learner costs a shared server, next to what a class uses today: a Jupyter kernel.

The learner is the real app, headless, on the built-in lessons, after one check through its
worker: its UI process and every process under it (the template, the active worker, the spare).
Memory is PSS (proportional set size: a page shared by n processes counts 1/n in each, so the sum
over processes is what they take together), read from /proc/PID/smaps_rollup; CPU is what the
processes use while the learner reads (idle), over a few seconds. Then the learner goes idle long
enough for its workers to be released, and is measured again. Linux only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IDLE_SECONDS = 3.0  # how long idle CPU is sampled

LEARNER = r"""
import asyncio, json, sys, time
from tutor.app.app import TutorApp
from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.progress.store import ProgressStore
from tutor.session import SessionConfig

catalog = Catalog.load([builtin_lessons_dir()])
app = TutorApp(catalog, ProgressStore(), SessionConfig(spare=True),
               start_at=catalog.exercise("tensor-info/read-shape"),
               probe=lambda: {"devices": [{"name": "cpu", "label": "CPU", "memory": None}]})

def say(word):
    print(word, flush=True)

async def auto_pilot(pilot):
    await pilot.pause()
    await asyncio.to_thread(app.session.ready)
    await asyncio.to_thread(app.session.pool().wait_spare)
    await pilot.press("f5")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    say("CHECKED")
    await asyncio.to_thread(sys.stdin.readline)
    await asyncio.to_thread(app.session.release)
    say("RELEASED")
    await asyncio.to_thread(sys.stdin.readline)
    app.exit()

app.run(headless=True, size=(100, 30), auto_pilot=auto_pilot)
app.session.close()
"""


def tree(root: int) -> list[int]:
    """`root` and every process under it."""
    found, frontier = [root], [root]
    while frontier:
        pid = frontier.pop()
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                for child in map(int, children):
                    if child not in found:
                        found.append(child)
                        frontier.append(child)
        except OSError:
            continue
    return found


def pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass
    return total


def idle_cpu_percent(pids: list[int], seconds: float = IDLE_SECONDS) -> float:
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return round((cpu_seconds(pids) - before) / seconds * 100, 2)


def learner_footprint() -> dict:
    with tempfile.TemporaryDirectory(prefix="ptref-bench-home-") as home:
        env = dict(os.environ, PTREF_TUTOR_HOME=home)
        learner = subprocess.Popen([sys.executable, "-c", LEARNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, env=env)
        try:
            _expect(learner, "CHECKED")
            time.sleep(1.0)  # settle: the spare's warm-up, the verdict on screen
            pids = tree(learner.pid)
            figures = {"processes": len(pids), "pss_mb": round(pss_mb(pids), 1),
                       "ui_pss_mb": round(pss_mb([learner.pid]), 1), "idle_cpu_percent": idle_cpu_percent(pids)}
            learner.stdin.write("release\n")
            learner.stdin.flush()
            _expect(learner, "RELEASED")
            time.sleep(2.0)  # the reaper removes the workers, then the template goes
            released = tree(learner.pid)
            figures.update(released_processes=len(released), released_pss_mb=round(pss_mb(released), 1))
            learner.stdin.write("quit\n")
            learner.stdin.flush()
            learner.wait(timeout=60)
            return figures
        finally:
            if learner.poll() is None:
                learner.kill()


def _expect(process: subprocess.Popen, word: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the learner's app ended before it said {word}")
        if line.strip() == word:
            return
    raise RuntimeError(f"the learner's app did not say {word} in time")


def jupyter_footprint() -> dict:
    """A Jupyter kernel that imported torch and ran one tensor operation, as a class uses it."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        client.execute_interactive("import torch\nx = torch.arange(16.).view(4, 4)\n", timeout=300,
                                   output_hook=lambda message: None)
        time.sleep(1.0)
        pids = tree(manager.provisioner.pid)
        return {"processes": len(pids), "pss_mb": round(pss_mb(pids), 1), "idle_cpu_percent": idle_cpu_percent(pids)}
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def footprint(with_jupyter: bool = True) -> dict:
    if not sys.platform.startswith("linux"):
        return {"skipped": "PSS is read from /proc: Linux only"}
    learner = learner_footprint()
    jupyter = jupyter_footprint() if with_jupyter else None
    result = {"learner": learner, "jupyter": jupyter}
    if jupyter:
        result["learner_over_jupyter"] = round(learner["pss_mb"] / jupyter["pss_mb"], 2)
    return result


if __name__ == "__main__":  # python -m tutor.bench.footprint
    print(json.dumps(footprint(), indent=2))
