"""The app as a new user meets it: started from a fresh shell in tmux, driven by `tmux send-keys`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest

from apptools import APP_PACK
from tmuxtools import ROOT, Tmux, tutor_command
from tutor.progress.store import ProgressStore

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (make deps installs it)")

SCREENS = ROOT / "docs" / "screens"


@pytest.fixture
def tmux(request):
    size = getattr(request, "param", (80, 24))
    terminal = Tmux(request.node.name.replace("[", "-").replace("]", ""), *size)
    yield terminal
    terminal.close()


def app_env(home, **extra: str) -> dict[str, str]:
    return {"PTREF_TUTOR_HOME": str(home), **extra}


def save_screen(name: str, screen: str) -> None:
    """With PTREF_UPDATE_SCREENS=1 the captures in docs/screens are refreshed from this run."""
    if os.environ.get("PTREF_UPDATE_SCREENS") == "1":
        SCREENS.mkdir(parents=True, exist_ok=True)
        (SCREENS / name).write_text("\n".join(line.rstrip() for line in screen.splitlines()) + "\n")


@pytest.mark.parametrize("tmux", [(80, 24), (120, 40)], ids=["80x24", "120x40"], indirect=True)
def test_the_loop_with_send_keys(tmux, tutor_home):
    size = f"{tmux.width}x{tmux.height}"
    command = f"{tutor_command()} --lessons {APP_PACK}"
    env = app_env(tutor_home, TERM="screen-256color")
    tmux.start(f"{command} --exercise basics/make-range", env)
    tmux.wait_for("basics/make-range", "cpu ready", "F5 Run")
    tmux.type("torch.arange(1, 7)")
    tmux.keys("F5")
    failing = tmux.wait_for("✘ Failed", "all 6 elements are", "yours")
    save_screen(f"failing-run-{size}.txt", failing)

    tmux.press_and_wait_for_redraw("F7")  # the editor's own "select all"
    tmux.type("import torch\nr = torch.arange(6)")
    tmux.keys("C-r")
    passing = tmux.wait_for("✔ Passed", "Next: Twice as much")
    save_screen(f"passing-run-{size}.txt", passing)

    tmux.keys("C-n")
    tmux.wait_for("basics/double", "Twice as much")
    tmux.type("x + x")
    tmux.wait_for("y = x + x")
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")

    # Start again from a fresh shell: back where we left off, the draft intact.
    tmux.start(command, env)
    tmux.wait_for("basics/double", "y = x + x", "cpu ready")
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")


@pytest.mark.parametrize("term, extra", [
    ("xterm-256color", {"NO_COLOR": "1"}),
    ("screen-256color", {}),
])
def test_runs_with_no_color_and_forced_colour_systems(tmux, tutor_home, term, extra):
    system = "standard" if extra else "256"
    tmux.start(f"{tutor_command()} --lessons {APP_PACK} --exercise shapes/square --color-system {system}",
               app_env(tutor_home, TERM=term, **extra))
    tmux.wait_for("shapes/square", "cpu ready")
    escapes = tmux.screen(styles=True)
    assert "38;2;" not in escapes  # no 24-bit colour when told 256 or standard
    if system == "standard":
        assert "38;5;" not in escapes
    tmux.type("row.view(3, 3)")
    tmux.keys("F5")
    tmux.wait_for("✔ Passed")
    tmux.keys("F1")
    tmux.wait_for("Keys", "Escape, F1 or q closes this")
    tmux.keys("End")  # the end of the help: where progress is stored
    tmux.wait_for("progress.db", "--python PATH")
    tmux.keys("Escape")
    tmux.wait_for("F5 Run", gone="closes this")
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")


def test_external_editor_edits_and_the_code_is_checked(tmux, tutor_home, tmp_path):
    # A stand-in for vim: an "editor" that writes the answer into the file it is given.
    editor = tmp_path / "fake-editor"
    editor.write_text('#!/bin/sh\nprintf "y = x * 2\\n" > "$1"\n')
    editor.chmod(0o755)
    tmux.start(f"{tutor_command()} --lessons {APP_PACK} --exercise basics/double",
               app_env(tutor_home, EDITOR=str(editor), TERM="screen-256color"))
    tmux.wait_for("basics/double", "cpu ready")
    tmux.keys("C-g")
    tmux.wait_for("✔ Passed", "y = x * 2")
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")
    assert ProgressStore().draft("basics/double") == "y = x * 2\n"


def test_kill_9_loses_at_most_the_last_keystrokes(tmux, tutor_home):
    tmux.start(f"{tutor_command()} --lessons {APP_PACK} --exercise basics/double",
               app_env(tutor_home, TERM="screen-256color"))
    tmux.wait_for("basics/double", "cpu ready")
    tmux.type("x * 2  # typed before the crash")
    tmux.wait_for("typed before the crash")
    store = ProgressStore()
    deadline_draft = None
    for _ in range(100):  # the debounce is 0.4 s: the draft lands within a second or two
        deadline_draft = store.draft("basics/double")
        if deadline_draft and "typed before the crash" in deadline_draft:
            break
        tmux.wait_for("typed before the crash", timeout=1)
        subprocess.run(["sleep", "0.1"])
    assert "typed before the crash" in (deadline_draft or "")
    # Kill -9 the app (the shell's child), not politely.
    children = subprocess.run(["pgrep", "-P", str(tmux.pane_pid())], capture_output=True, text=True).stdout.split()
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    tmux.wait_for("EXITED 137")
    tmux.start(f"{tutor_command()} --lessons {APP_PACK}", app_env(tutor_home, TERM="screen-256color"))
    tmux.wait_for("basics/double", "typed before the crash")
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")
