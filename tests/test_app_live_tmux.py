"""Issue 13 over a real terminal (tmux, 256 colours and NO_COLOR): a run's output and tqdm bar
while it runs, ctrl+t mid-stream, an image mismatch drawn as pictures, a confusion matrix as
heatmaps, a curve check failing and passing. PTREF_UPDATE_SCREENS=1 refreshes docs/screens."""

from __future__ import annotations

import shutil

import pytest

from test_app_live import LIVE_PACK, TICKING
from test_app_pictures import FIT, WRONG_CONFUSION, WRONG_DIGIT
from test_app_tmux import app_env, save_screen, tmux  # noqa: F401 - the fixture
from tmuxtools import tutor_command
from tutor.progress.store import ProgressStore

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (make deps installs it)")


def drafts() -> None:
    """The learner's code for each exercise, as if typed on an earlier day."""
    store = ProgressStore()
    for exercise, code in (("live/stream", TICKING), ("live/digit", WRONG_DIGIT),
                           ("live/confusion", WRONG_CONFUSION), ("live/fit-a-line", FIT.replace("LR", "0.0"))):
        store.save_draft(exercise, code)
    store.close()


def paste(tmux, text: str) -> None:
    """A bracketed paste: the editor takes it as it is (typed, each Enter would auto-indent)."""
    tmux.tmux("set-buffer", "--", text)
    tmux.tmux("paste-buffer", "-p", "-t", tmux.session)


@pytest.mark.parametrize("tmux", [(80, 24), (120, 40)], ids=["80x24", "120x40"], indirect=True)
def test_a_run_seen_while_it_runs_and_its_pictures(tmux, tutor_home):
    size = f"{tmux.width}x{tmux.height}"
    drafts()
    tmux.start(f"{tutor_command()} --lessons {LIVE_PACK} --exercise live/stream",
               app_env(tutor_home, TERM="screen-256color"))
    tmux.wait_for("live/stream", "cpu ready")
    tmux.keys("F5")
    running = tmux.wait_for("Running on cpu", "output so far", "/2000", "left")
    save_screen(f"live-run-{size}.txt", running)
    tmux.keys("C-t")
    tmux.wait_for("■ Stopped", gone="Running on")

    tmux.keys("C-n")
    tmux.wait_for("live/fit-a-line", gone="■ Stopped")
    tmux.keys("F5")
    tmux.wait_for("✘ Failed", "did not fall")
    tmux.keys("C-Down")
    save_screen(f"curve-failing-{size}.txt", tmux.wait_for("losses: yours", "┤"))
    tmux.press_and_wait_for_redraw("F7")  # select all, then the fix pasted over it
    paste(tmux, FIT.replace("LR", "0.1") + "# the learning rate fixed")
    tmux.wait_for("# the learning rate fixed")
    tmux.keys("F5")
    save_screen(f"curve-passing-{size}.txt", tmux.wait_for("✔ Passed", "losses: yours"))

    tmux.keys("C-n")
    tmux.wait_for("live/digit", gone="✔ Passed")
    tmux.keys("F5")
    tmux.wait_for("✘ Failed", "128 of 784")
    tmux.keys("C-Down")  # the pictures, under the check's row
    mismatch = tmux.wait_for("expected", "yours", "difference", "▀")
    escapes = tmux.screen(styles=True)
    assert "38;5;" in escapes and "38;2;" not in escapes  # drawn in 256 colours
    save_screen(f"image-mismatch-{size}.txt", mismatch)

    tmux.keys("C-n")
    tmux.wait_for("live/confusion", gone="128 of 784")
    tmux.keys("F5")
    tmux.wait_for("✘ Failed", "66 of 100")
    tmux.keys("C-Down")
    save_screen(f"heatmap-{size}.txt", tmux.wait_for("values 0 … 27", "cm: yours"))
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")


@pytest.mark.parametrize("tmux", [(120, 40)], ids=["120x40"], indirect=True)
def test_no_color_draws_the_pictures_as_characters(tmux, tutor_home):
    drafts()
    tmux.start(f"{tutor_command()} --lessons {LIVE_PACK} --exercise live/digit",
               app_env(tutor_home, TERM="xterm-256color", NO_COLOR="1"))
    tmux.wait_for("live/digit", "cpu ready")
    tmux.keys("F3")  # the lesson browser aside: the pictures whole in the README's capture
    tmux.wait_for("Exercise 3 of 4", gone="Getting started")
    tmux.keys("F5")
    screen = tmux.wait_for("✘ Failed", "128 of 784", "difference", "@@@@")
    assert "▀" not in screen
    assert "38;2;" not in tmux.screen(styles=True)
    save_screen("image-mismatch-no-color-120x40.txt", screen)
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")
