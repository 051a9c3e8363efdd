"""The app's garbage collection (tutor/app/collector.py): no full collection starts by itself in the
middle of keys; one runs once input pauses, and garbage in reference cycles is still freed, even
what was frozen while alive."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

from tutor.app import collector as collector_module
from tutor.app.collector import IdleCollector


class Node:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def cyclic_garbage(count: int) -> weakref.ref:
    """Make `count` cycles, dropped at once; a weak reference to the last one."""
    node = None
    for _ in range(count):
        node = Node()
    return weakref.ref(node)


@pytest.fixture
def collector():
    gc.collect()
    watcher = IdleCollector()
    watcher.start()
    yield watcher
    watcher.stop()


@pytest.fixture
def full_collections():
    seen: list[int] = []

    def callback(phase, info):
        if phase == "stop" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(callback)
    yield seen
    gc.callbacks.remove(callback)


def garbage_in_the_oldest_generation() -> weakref.ref:
    """Cycles that were alive through a young collection (so now in generation 2, where only a
    full collection looks), then dropped; a weak reference to one."""
    keep = [Node() for _ in range(100)]
    gc.collect(1)
    last = weakref.ref(keep[-1])
    del keep
    return last


def young_collections_since_full() -> int:
    return gc.get_count()[2]


def test_no_full_collection_starts_by_itself_while_keys_come(collector, full_collections):
    collector.input_seen()
    for _ in range(30):
        cyclic_garbage(2000)  # plenty of young collections: Python would have started full ones
        collector.tick()  # a key just now: no gap to take
        collector.input_seen()
    assert full_collections == []
    assert young_collections_since_full() > 0


def test_a_pause_in_input_collects_the_cycles(collector, full_collections):
    last = garbage_in_the_oldest_generation()
    gc.collect(1)
    assert last() is not None
    collector.last_input = time.monotonic() - collector_module.QUIET_FOR - 0.1
    collector.tick()
    assert last() is None
    assert collector.collections == 1 and full_collections


def test_garbage_piling_up_takes_a_short_gap_between_keys(collector, monkeypatch):
    monkeypatch.setattr(collector_module, "AT_MOST", 3)
    while young_collections_since_full() < 3:
        cyclic_garbage(2000)
    collector.input_seen()
    collector.tick()  # no gap yet
    assert collector.collections == 0
    collector.last_input = time.monotonic() - collector_module.SHORT_GAP - 0.01
    collector.tick()
    assert collector.collections == 1


def test_what_was_frozen_alive_and_dropped_later_is_freed_after_a_long_pause(collector):
    node = Node()
    dropped = weakref.ref(node)
    collector.last_input = time.monotonic() - collector_module.QUIET_FOR - 0.1
    cyclic_garbage(3000)
    gc.collect(1)
    collector.tick()  # a collection, and its survivors (the node among them) frozen
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert dropped() is not None  # frozen: out of the collector's sight
    collector.last_input = time.monotonic() - collector_module.LONG_QUIET_FOR - 0.1
    collector.tick()
    assert dropped() is None and collector.deep_collections == 1


def test_stop_gives_python_its_thresholds_back():
    before = gc.get_threshold()
    watcher = IdleCollector()
    watcher.start()
    assert gc.get_threshold()[2] == collector_module.NEVER
    watcher.stop()
    assert gc.get_threshold() == before


async def test_the_app_collects_in_pauses_and_hears_every_key():
    from apptools import make_app

    before = gc.get_threshold()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert gc.get_threshold()[2] == collector_module.NEVER  # set once the first screen is up
        heard = app.collector.last_input
        time.sleep(0.01)
        await pilot.press("ctrl+n")
        assert app.collector.last_input > heard
    assert gc.get_threshold() == before  # the app gave Python its thresholds back


def test_a_learner_who_never_pauses_long_still_gets_the_whole_heap_collected(collector, monkeypatch):
    monkeypatch.setattr(collector_module, "GROWN_BY", 1_000)
    node = Node()
    dropped = weakref.ref(node)
    keep = [Node() for _ in range(2_000)]  # alive when frozen: the freeze count grows past GROWN_BY
    gc.collect(1)
    collector.last_input = time.monotonic() - collector_module.QUIET_FOR - 0.1
    collector.tick()  # a short pause: collected, survivors frozen
    del node, keep
    gc.collect(1)
    collector.last_input = time.monotonic() - collector_module.GROWN_QUIET_FOR - 0.1
    collector.tick()  # a pause of a couple of seconds (never a long one): the growth brings the deep one
    assert dropped() is None and collector.deep_collections == 1
