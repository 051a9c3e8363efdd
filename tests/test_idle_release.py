"""Idle release: a learner's workers stop after a while without a run, and the next run starts them."""

from __future__ import annotations

import time

from tutor.idle import IdleWatch
from tutor.lessons import Catalog
from tutor.sandbox.template import TEMPLATES
from tutor.session import Session, SessionConfig
from tutor.site_defaults import load_site_defaults

from conftest import FAULTS


def test_the_watch_fires_once_per_idle_period():
    now = [0.0]
    fired = []
    watch = IdleWatch(10.0, lambda: fired.append(now[0]), clock=lambda: now[0])
    watch.touch()
    try:
        now[0] = 5.0
        time.sleep(0.2)
        assert fired == [] and not watch.idle
        now[0] = 11.0
        watch._wake.set()
        deadline = time.monotonic() + 5
        while not fired and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fired == [11.0] and watch.idle
        time.sleep(0.2)
        assert fired == [11.0]  # once, until the next touch
        watch.touch()
        assert not watch.idle
    finally:
        watch.close()


def test_an_idle_session_stops_its_workers_and_the_next_run_starts_them():
    states = []
    config = SessionConfig(spare=True, idle_release=1.5 / 60)  # a second and a half
    with Session(Catalog.load([FAULTS]), config, on_worker_state=lambda device, state: states.append(state)) as session:
        exercise = session.catalog.exercise("faults/double")
        assert session.check(exercise, "y = x * 2\n", record=False).passed
        worker = session.pool().active_pid
        template = TEMPLATES.get(session.config.python, session.config.threads)
        deadline = time.monotonic() + 60
        while "released" not in states and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session.released and "released" in states
        while _alive(template.pid) and time.monotonic() < deadline:
            time.sleep(0.1)  # it goes with its last worker, once that worker is reaped
        assert template.dead and not _alive(template.pid)  # no torch left in memory
        assert not _alive(worker)
        assert session.check(exercise, "y = x * 2\n", record=False).passed  # starts them again
        assert not session.released and session.pool().active_pid != worker


def test_an_administrator_sets_defaults_for_everyone(monkeypatch, tmp_path):
    config = tmp_path / "defaults.toml"
    config.write_text('gpu_memory_fraction = 0.08\nidle_release = 5\nmemory_limit = "2G"\nbogus = 1\n')
    monkeypatch.setenv("PTREF_SITE_CONFIG", str(config))
    monkeypatch.setenv("PTREF_IDLE_RELEASE", "7")
    site = load_site_defaults()
    assert site.values == {"gpu_memory_fraction": 0.08, "idle_release": 7.0, "memory_limit": 2 * 1024**3}
    assert site.origins["idle_release"] == "PTREF_IDLE_RELEASE" and site.origins["memory_limit"] == str(config)
    assert any("unknown key 'bogus'" in warning for warning in site.warnings)
    monkeypatch.setenv("PTREF_GPU_MEMORY_FRACTION", "2")
    assert any("not a fraction" in warning for warning in load_site_defaults().warnings)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False
