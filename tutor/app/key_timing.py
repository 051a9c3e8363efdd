"""Timing the app's answer to a key, in the app's own process: from the key event to the first
screen update after it (the first visible change, as a learner sees it), and the UI thread's CPU
time in between (what the machine's load does not change).

Keys are sent as the terminal driver sends them (a Key event on the driver's queue). The worker is
ready before the first key, and the app is idle between keys (no background job, no pending
message), as it is when a learner presses a key after reading. Figures only: nothing asserts a
time. `ptref-tutor bench` runs this in a fresh process (tutor/bench/app_keys.py);
tests/test_app_trial.py measures the same keys in a real terminal (tmux).
"""

from __future__ import annotations

import asyncio
import bisect
import statistics
import time
from dataclasses import dataclass
from typing import Any

from textual import events

Step = str  # a key ("ctrl+n"), "type:TEXT" (typed in the editor), or "open:ID" (open an exercise)


@dataclass(frozen=True)
class Scenario:
    """A key timed `repeats` times: `once` sets the scene, `before` runs (untimed) before each
    press, `after` puts the screen back after it."""

    name: str
    key: str
    once: tuple[Step, ...] = ()
    before: tuple[Step, ...] = ()
    after: tuple[Step, ...] = ()


# A wrong answer whose explained shape error is longer than the results pane at 80x24.
SHAPE_ERROR = "import torch\nprobs = torch.ones(2, 3) @ torch.ones(2, 3)\n"

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("type a letter", "x", after=("backspace",)),
    Scenario("F3 lessons", "f3"),
    Scenario("ctrl+n next", "ctrl+n"),
    Scenario("ctrl+o previous", "ctrl+o"),
    Scenario("F2 hint", "f2", before=("ctrl+n",)),
    Scenario("ctrl+p palette", "ctrl+p", after=("escape",)),
    Scenario("palette: type", "t", before=("ctrl+p",), after=("escape",)),
    Scenario("palette: Enter", "enter", before=("ctrl+p", "type:tens")),
    Scenario("F5 running", "f5", once=("open:autograd/pitfall-data-vs-detach",)),
    Scenario("ctrl+down results", "ctrl+down", once=("f7", f"type:{SHAPE_ERROR}", "f5"), after=("ctrl+up",)),
    Scenario("ctrl+shift+down exercise", "ctrl+shift+down", after=("ctrl+shift+up",)),
)


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict:
    return {"p50": round(statistics.median(samples), 1), "p95": round(percentile(samples, 0.95), 1),
            "max": round(max(samples), 1), "n": len(samples)}


class DisplaySpy:
    """Records when the app hands a screen update to its driver (headless apps skip the writing,
    not the composing)."""

    def __init__(self, app: Any) -> None:
        self.stamps: list[float] = []
        self.cpu: list[float] = []  # the UI thread's CPU time at each update
        original = app._display

        def spy(screen, renderable) -> None:
            if renderable is not None:
                self.stamps.append(time.perf_counter())
                self.cpu.append(time.thread_time())
            original(screen, renderable)

        app._display = spy

    def first_after(self, moment: float) -> float | None:
        index = bisect.bisect_left(self.stamps, moment)
        return self.stamps[index] if index < len(self.stamps) else None

    def cpu_at(self, stamp: float) -> float:
        return self.cpu[bisect.bisect_left(self.stamps, stamp)]


async def idle(app: Any, pilot: Any, timeout: float = 120.0) -> None:
    """Until no background job runs and no run is in progress."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        main = app.main_screen
        if not any(worker.is_running for worker in app.workers) and not main.runs.running:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not become idle")
        await asyncio.sleep(0.01)


def send_key(app: Any, key: str) -> None:
    character = key if len(key) == 1 else None
    event = events.Key(key, character)
    event.set_sender(app)
    app._driver.send_message(event)


async def time_key(app: Any, spy: DisplaySpy, key: str, timeout: float = 5.0) -> tuple[float, float] | None:
    """Milliseconds from sending `key` to the next screen update, and the UI thread's CPU time in
    between (what the machine's load does not change); None when no update came."""
    started = time.perf_counter()
    cpu_started = time.thread_time()
    send_key(app, key)
    deadline = started + timeout
    while True:
        await asyncio.sleep(0.001)
        shown = spy.first_after(started)
        if shown is not None:
            return (shown - started) * 1000, (spy.cpu_at(shown) - cpu_started) * 1000
        if time.perf_counter() > deadline:
            return None


async def step(app: Any, pilot: Any, what: Step) -> None:
    """One untimed step, then wait until the app is idle again."""
    if what.startswith("open:"):
        app.main_screen.open_exercise(app.catalog.exercise(what[len("open:"):]))
    elif what.startswith("type:"):
        for character in what[len("type:"):]:
            send_key(app, "enter" if character == "\n" else character)
            await asyncio.sleep(0)
    else:
        send_key(app, what)
    await asyncio.sleep(0.05)
    await idle(app, pilot)


async def measure(app: Any, pilot: Any, repeats: int, scenarios=SCENARIOS) -> dict[str, dict]:
    """Time each scenario's key `repeats` times in a running app;
    {name: {p50, p95, max, n, cpu_p50, samples}}, or a note where a key changed nothing on screen."""
    spy = DisplaySpy(app)
    results: dict[str, dict] = {}
    await idle(app, pilot)
    for scenario in scenarios:
        samples, cpu = [], []
        for what in scenario.once:
            await step(app, pilot, what)
        for _ in range(repeats):
            for what in scenario.before:
                await step(app, pilot, what)
            await asyncio.sleep(0.05)  # a learner's pause: nothing left over from the last key
            latency = await time_key(app, spy, scenario.key)
            await asyncio.sleep(0.05)
            await idle(app, pilot)
            for what in scenario.after:
                await step(app, pilot, what)
            if latency is None:
                break
            samples.append(latency[0])
            cpu.append(latency[1])
        results[scenario.name] = ({**summary(samples), "cpu_p50": round(statistics.median(cpu), 1),
                                   "samples": [round(s, 1) for s in samples]} if len(samples) == repeats
                                  else {"p50": None, "p95": None, "max": None, "n": 0, "note": "no visible change"})
    return results
