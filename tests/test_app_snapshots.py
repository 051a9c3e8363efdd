"""Screenshots of the app compared with approved SVGs (`pytest --snapshot-update` approves new ones).

Deterministic by construction: a fixed device list, no timings in the results, a steady cursor, a
fixed data directory where the help screen prints it, and every background job finished first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apptools import make_app, run_check, settle, steady_cursor, type_text, wait_ready  # noqa: F401

FIXED_HOME = Path("/tmp/ptref-tutor-snapshot-home")


@pytest.fixture
def fixed_home(monkeypatch):
    shutil.rmtree(FIXED_HOME, ignore_errors=True)
    FIXED_HOME.mkdir(parents=True)
    monkeypatch.setenv("PTREF_TUTOR_HOME", str(FIXED_HOME))
    yield FIXED_HOME
    shutil.rmtree(FIXED_HOME, ignore_errors=True)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen(snap_compare, size):
    assert snap_compare(make_app(show_timings=False), terminal_size=size, run_before=wait_ready)


def test_failed_check_result(snap_compare):
    async def fail_a_check(pilot):
        await wait_ready(pilot)
        await type_text(pilot, "torch.arange(1, 7)")
        await run_check(pilot)

    assert snap_compare(make_app(show_timings=False), terminal_size=(120, 40), run_before=fail_a_check)


def test_failed_check_result_narrow(snap_compare):
    async def fail_a_check(pilot):
        await wait_ready(pilot)
        await type_text(pilot, "row.view(3, 3) + 1")
        await run_check(pilot)

    app = make_app("shapes/square", show_timings=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=fail_a_check)


def test_help_screen(snap_compare, fixed_home):
    async def open_help(pilot):
        await wait_ready(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(show_timings=False), terminal_size=(120, 40), run_before=open_help)


def test_device_picker(snap_compare):
    async def open_picker(pilot):
        await wait_ready(pilot)
        await pilot.press("f4")
        await settle(pilot)

    assert snap_compare(make_app(show_timings=False), terminal_size=(80, 24), run_before=open_picker)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
def test_hint_in_the_results(snap_compare, size):
    """F2: the hint at the top of the results pane, whole, nothing over it; under the prompt too."""
    async def ask_for_a_hint(pilot):
        await wait_ready(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(make_app("shapes/square", show_timings=False), terminal_size=size,
                        run_before=ask_for_a_hint)


def test_focus_on_the_results(snap_compare):
    """Escape leaves the editor for the results: a heavy border and a reversed title mark it."""
    async def leave_the_editor(pilot):
        await wait_ready(pilot)
        await pilot.press("escape")
        await settle(pilot)

    assert snap_compare(make_app(show_timings=False), terminal_size=(80, 24), run_before=leave_the_editor)
