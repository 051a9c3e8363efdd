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
from typing import Any

from textual import events

# (name, keys to press before timing, the timed key): each is pressed `repeats` times.
SCENARIOS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("type a letter", (), "x"),
    ("F3 lessons", (), "f3"),
    ("ctrl+n next", (), "ctrl+n"),
    ("ctrl+o previous", (), "ctrl+o"),
    ("F2 hint", ("ctrl+n",), "f2"),
    ("ctrl+p palette", (), "ctrl+p"),
    ("palette: type", ("ctrl+p",), "t"),
    ("palette: Enter", ("ctrl+p", "t", "e", "n", "s"), "enter"),
    ("F5 running", (), "f5"),
    ("ctrl+down results", ("f5",), "ctrl+down"),
    ("ctrl+shift+down exercise", (), "ctrl+shift+down"),
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


async def press_untimed(app: Any, pilot: Any, key: str) -> None:
    send_key(app, key)
    await asyncio.sleep(0.05)
    await idle(app, pilot)


async def undo(app: Any, pilot: Any, name: str) -> None:
    """Put the app back after a scenario, so every repeat starts from the same kind of screen."""
    screen = app.screen
    if screen is not app.main_screen:  # the palette
        await press_untimed(app, pilot, "escape")
    if name == "type a letter":
        await press_untimed(app, pilot, "backspace")
    if name == "F5 running":
        await idle(app, pilot)


async def measure(app: Any, pilot: Any, repeats: int, scenarios=SCENARIOS) -> dict[str, dict]:
    """Time each scenario's key `repeats` times in a running app; {name: {p50, p95, max, n, samples}}."""
    spy = DisplaySpy(app)
    results: dict[str, dict] = {}
    await idle(app, pilot)
    for name, before, key in scenarios:
        samples, cpu = [], []
        for _ in range(repeats):
            for early in before:
                await press_untimed(app, pilot, early)
            await asyncio.sleep(0.05)  # a learner's pause: nothing left over from the last key
            latency = await time_key(app, spy, key)
            await asyncio.sleep(0.05)
            await idle(app, pilot)
            await undo(app, pilot, name)
            if latency is None:
                break
            samples.append(latency[0])
            cpu.append(latency[1])
        results[name] = ({**summary(samples), "cpu_p50": round(statistics.median(cpu), 1),
                          "samples": [round(s, 1) for s in samples]} if len(samples) == repeats
                         else {"p50": None, "p95": None, "max": None, "n": 0, "note": "no visible change"})
    return results
