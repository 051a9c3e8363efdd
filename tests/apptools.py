"""Helpers for the app's tests: a TutorApp on the small test pack, event-based waits, a steady cursor."""

from __future__ import annotations

import asyncio
import time

import pytest

from conftest import PACKS
from tutor.app.app import TutorApp
from tutor.lessons import Catalog
from tutor.progress.store import ProgressStore
from tutor.session import SessionConfig

APP_PACK = PACKS / "app"
FIXED_DEVICES = {
    "torch": "2.x",
    "devices": [
        {"name": "cpu", "label": "x86_64", "memory": 16 * 1024**3},
        {"name": "cuda:0", "label": "NVIDIA H100 80GB HBM3", "memory": 80 * 1024**3},
        {"name": "cuda:1", "label": "NVIDIA H100 80GB HBM3", "memory": 80 * 1024**3},
    ],
}
WAIT = 180.0  # seconds: a loaded 2-core machine can take long to start a torch worker


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch):
    """A blinking cursor makes screenshots depend on timing."""
    monkeypatch.setattr(TutorApp, "CURSOR_BLINK", False)


def make_app(start_at: str | None = None, store: ProgressStore | None = None, **kwargs) -> TutorApp:
    catalog = Catalog.load([APP_PACK])
    assert not catalog.errors, catalog.errors
    kwargs.setdefault("probe", lambda: FIXED_DEVICES)
    # No spare worker: the tests share two cores with everything else; one worker is the real thing.
    config = kwargs.pop("config", SessionConfig(spare=False))
    return TutorApp(catalog, store or ProgressStore(), config,
                    start_at=catalog.exercise(start_at) if start_at else None, **kwargs)


async def settle(pilot) -> None:
    """Let every background job finish and every message it posted be handled."""
    app = pilot.app
    deadline = time.monotonic() + WAIT
    while True:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers) and not app.main_screen.runs.running:
            return
        assert time.monotonic() < deadline, "background work did not finish"
        await asyncio.sleep(0.01)  # yield to the loop; the loop condition is what we wait for


async def wait_ready(pilot) -> None:
    """Until the worker of the current device has started and the reference is prepared."""
    main = pilot.app.main_screen
    deadline = time.monotonic() + WAIT
    while main.devices.states.get(main.run_device()) != "ready":
        await settle(pilot)
        if main.devices.states.get(main.run_device()) == "ready":
            break
        assert time.monotonic() < deadline, f"worker state stayed {main.devices.states}"
        await asyncio.sleep(0.05)
    await settle(pilot)


async def run_check(pilot, key: str = "f5"):
    """Press the run key and wait for the verdict; returns the results text."""
    runs = pilot.app.main_screen.runs
    before = runs.run_id
    await pilot.press(key)
    deadline = time.monotonic() + WAIT
    while runs.run_id == before or runs.running:
        await settle(pilot)
        assert time.monotonic() < deadline, "the run did not finish"
    return results_text(pilot.app)


def results_text(app) -> str:
    """The results pane as plain text, as drawn at its current width."""
    return app.main_screen.results.text + "\n"


def flat(text: str) -> str:
    """Text with its wrapping undone (one space between words), for phrases the pane may break."""
    return " ".join(text.split())


async def type_text(pilot, text: str) -> None:
    keys = ["enter" if char == "\n" else char for char in text]
    await pilot.press(*keys)
