"""Drive the real app in a real terminal: tmux on a private socket, keys by send-keys, screens by
capture-pane. Waits poll the screen for what a person would wait to see (with generous timeouts)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tutor_command() -> str:
    """The installed `ptref-tutor` next to this interpreter (what the README runs), else -m tutor."""
    script = Path(sys.executable).parent / "ptref-tutor"
    return shlex.quote(str(script)) if script.exists() else f"{shlex.quote(sys.executable)} -m tutor"


class Tmux:
    def __init__(self, name: str, width: int = 80, height: int = 24) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.socket = f"ptref-{name}-{os.getpid()}"
        self.width, self.height = width, height
        self.session = "tutor"

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=check, timeout=30)

    def start(self, command: str, env: dict[str, str]) -> None:
        """Run `command` in a fresh shell in a new window; the pane stays after it exits."""
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        # A fresh shell, as a new user would have; "EXITED n" marks the end, the sleep keeps the pane.
        # COLUMNS/LINES are dropped: the test process may carry them (Textual's import sets them),
        # and a fresh terminal would not have them.
        shell = (f"cd {shlex.quote(str(ROOT))} && env -u COLUMNS -u LINES {exports} {command}; "
                 "echo EXITED $?; sleep 600")
        if self.tmux("has-session", "-t", self.session, check=False).returncode == 0:
            self.tmux("respawn-pane", "-k", "-t", self.session, shell)
        else:
            self.tmux("new-session", "-d", "-s", self.session, "-x", str(self.width), "-y", str(self.height),
                      shell)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", self.session, *(["-l"] if literal else []), *keys)

    def type(self, text: str) -> None:
        for index, line in enumerate(text.split("\n")):
            if index:
                self.keys("Enter")
            if line:
                self.keys(line, literal=True)

    def screen(self, styles: bool = False) -> str:
        return self.tmux("capture-pane", "-p", *(["-e"] if styles else []), "-t", self.session).stdout

    def press_and_wait_for_redraw(self, *keys: str, timeout: float = 60.0) -> None:
        """Press keys and wait until the screen (styles included) changes: a binding's action (such
        as the editor's select-all) runs one message hop later than typed text, so text typed
        straight after it in the same burst can be overtaken by it."""
        before = self.screen(styles=True)
        self.keys(*keys)
        deadline = time.monotonic() + timeout
        while self.screen(styles=True) == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen did not change after {keys}")
            time.sleep(0.05)

    def wait_for(self, *texts: str, timeout: float = 180.0, gone: str | None = None) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(text in screen for text in texts) and (gone is None or gone not in screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {texts} (gone={gone!r}); the screen:\n{screen}")
            time.sleep(0.1)

    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", self.session, "#{pane_pid}").stdout.strip())

    def close(self) -> None:
        self.tmux("kill-server", check=False)
