"""`ptref-tutor serve` in a real browser: headless Chromium opens the page, types an answer into the
editor, presses F5 and reads the verdict; a second tab is a tutor of its own; the keys a browser keeps
for itself have others that reach the app; stopping the server ends every tab's tutor and worker."""

from __future__ import annotations

import time

import pytest

from apptools import APP_PACK
from browsertools import Served, Tab, alive, browser_or_skip, chromium, descendants
from tutor.progress.store import ProgressStore

pytestmark = pytest.mark.smoke


@pytest.fixture
def served(tutor_home):
    store = ProgressStore()
    store.set_position("basics/make-range")  # both tabs open where "the learner" left off
    store.close()
    server = Served("--lessons", str(APP_PACK), env={"PTREF_TUTOR_HOME": str(tutor_home)})
    yield server
    server.close()


def test_two_tabs_each_run_their_own_tutor(served):
    sync_playwright = browser_or_skip()
    with sync_playwright() as playwright:
        browser = chromium(playwright)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            first, second = Tab(context, served.url), Tab(context, served.url)
            for tab in (first, second):
                tab.wait_for("basics/make-range", "cpu ready", "r = ...")
            # The footer names the keys that reach the app in a browser, not the ones it keeps.
            footer = first.screen().splitlines()[-1]
            assert "F10 Next" in footer and "^n" not in footer and "^q" not in footer

            first.focus()
            first.type("torch.arange(6)")  # the starter's `...` is selected: typing replaces it
            first.wait_for("r = torch.arange(6)")
            first.press("F5")
            first.wait_for("Passed")

            # Both tabs are one learner with one progress store: the second takes up the first's
            # draft (it has not typed yet), then replaces it.
            second.wait_for("r = torch.arange(6)")
            second.focus()
            second.press("F7")  # the editor's "select all"
            second.type("import torch\nr = torch.arange(1, 7)")
            second.press("F5")
            second.wait_for("Failed", "all 6 elements are")
            assert "Passed" in first.screen() and "Failed" not in first.screen()  # nothing crossed over
            assert "Passed" not in second.screen()
            assert "2 tutor(s) running" in served.output()

            # The browser keeps ctrl+t (new tab): F12 stops a run in a tab.
            second.press("F7")  # the editor's "select all"
            second.type("while True: pass")
            second.press("F5")
            second.wait_for("Running")
            second.press("F12")
            second.wait_for("Stopped")

            # ... and ctrl+n (new window): F10 opens the next exercise.
            first.press("F10")
            first.wait_for("basics/double", "Twice as much")
            tutors = descendants(served.process.pid)
            assert len(tutors) >= 4  # two tutors, each with its PyTorch worker

            # Stopping the server (ctrl+c, SIGTERM) with both tabs open ends both tutors; the pages say so.
            assert served.stop() == 0
            for tab in (first, second):
                tab.page.wait_for_selector("body.-closed", timeout=30_000)
        finally:
            browser.close()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in tutors) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in tutors if alive(pid)], "a tab's tutor or worker outlived the server"
    # What the first tab typed was saved by its tutor, for the terminal app or the next tab.
    store = ProgressStore()
    try:
        assert store.summary()["basics/make-range"].status == "done"
    finally:
        store.close()
