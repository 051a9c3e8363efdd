"""Drive `ptref-tutor serve` as a learner would: the real server on a free port of this machine, pages
in headless Chromium (Debian's package, driven by Playwright for Python; never a downloaded browser).

The page draws the terminal on a canvas, so the test reads what the page shows from xterm.js's own
screen buffer: textual-serve's script is served to the browser with one statement added that keeps a
reference to each terminal it creates (nothing else in the page changes).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# The flags known to work here as root: no sandbox (root), no GPU, and no background connections
# (the machine's closed network refuses them, many at a time).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT = 180.0  # seconds: a loaded 2-core machine can take long to start a tutor and its torch worker

# In textual-serve's script, where each terminal is made: `const t=new w(e,{ping:r});`.
TERMINAL_MADE = "const t=new w(e,{ping:r});"
KEEP_TERMINAL = "(window.__tutorTerminals = window.__tutorTerminals || []).push(t);"
READ_SCREEN = """() => {
  const held = window.__tutorTerminals;
  if (!held || !held.length) return null;
  const buffer = held[0].terminal.buffer.active, lines = [];
  for (let row = 0; row < held[0].terminal.rows; row++) {
    const line = buffer.getLine(buffer.viewportY + row);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}"""


def browser_or_skip():
    """Playwright's sync API, or a skip saying which half is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (the test extra installs it: pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (make deps installs it as root)")
    return sync_playwright


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process under `pid`, from /proc (the tutors of the tabs and their workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


class Served:
    """`ptref-tutor serve` in a process of its own; its output is kept in a file."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log = Path(tempfile.mkstemp(prefix="ptref-serve-", suffix=".log")[1])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tutor", "serve", "--port", str(self.port), *args],
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **env},
            start_new_session=True)
        self.url = self._wait_for_url()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = re.search(r"ptref-tutor in your browser: (http://\S+)", self.output())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"serve printed no address:\n{self.output()}")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a service manager or ctrl+c would; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def close(self) -> None:
        self.stop()
        self.log.unlink(missing_ok=True)


class Tab:
    """One browser tab on the tutor: keys in, screen text out."""

    def __init__(self, context, url: str) -> None:
        self.page = context.new_page()
        self.page.route("**/static/js/textual.js", self._keep_terminal)
        self.page.goto(url)

    @staticmethod
    def _keep_terminal(route) -> None:
        response = route.fetch()
        script = response.text()
        assert TERMINAL_MADE in script, "textual-serve's script changed: update TERMINAL_MADE in browsertools.py"
        route.fulfill(response=response, body=script.replace(TERMINAL_MADE, TERMINAL_MADE + KEEP_TERMINAL))

    def screen(self) -> str:
        return self.page.evaluate(READ_SCREEN) or ""

    def wait_for(self, *texts: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"never saw {texts!r} in the page; it shows:\n{screen}")

    def focus(self) -> None:
        """Give the terminal the keyboard (xterm.js listens on its hidden textarea), as a click would."""
        self.page.focus(".xterm-helper-textarea")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text, delay=20)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)


def chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
