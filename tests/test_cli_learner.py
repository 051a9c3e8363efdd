"""The learner's commands: progress, reset (with confirmation), watch (re-check on every save)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import PACKS, TESTS
from tutor.cli.watch import file_system_type, needs_polling
from tutor.progress.store import ProgressStore

APP_PACK = PACKS / "app"


def tutor(*args, stdin: str | None = None):
    env = dict(os.environ, COLUMNS="120")
    return subprocess.run([sys.executable, "-m", "tutor", *args, "--lessons", str(APP_PACK)], input=stdin,
                          capture_output=True, text=True, timeout=180, env=env, cwd=TESTS.parent)


def seed_progress() -> None:
    store = ProgressStore()
    store.record_attempt("basics/make-range", "failed", 1.0, "cpu", "r = 1")
    store.record_attempt("basics/make-range", "passed", 1.0, "cpu", "r = torch.arange(6)")
    store.use_hint("basics/double")
    store.save_draft("basics/double", "y = x")
    store.add_time("basics/make-range", 125)
    store.close()


def test_progress_sums_each_lesson():
    seed_progress()
    result = tutor("progress", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)["lessons"]}
    assert rows["basics"]["done"] == 1 and rows["basics"]["total"] == 2
    assert rows["basics"]["attempts"] == 2 and rows["basics"]["hints_used"] == 1
    assert rows["basics"]["seconds"] == 125
    assert rows["shapes"]["done"] == 0
    table = tutor("progress")  # piped: 80 columns
    assert "1/2" in table.stdout and "2 min" in table.stdout
    assert "attempts" in table.stdout and "…" not in table.stdout


@pytest.mark.parametrize("width", [80, 120])
def test_progress_headers_and_figures_are_never_cut(width):
    from rich.console import Console

    from tutor.cli.progress import progress_table

    rows = [{"id": "activations-losses", "title": "Activations and losses: from scores to probabilities",
             "done": 3, "total": 7, "attempts": 12, "hints_used": 4, "solutions_seen": 1, "seconds": 3900}]
    console = Console(width=width, color_system=None, file=open(os.devnull, "w"), record=True)
    console.print(progress_table(rows, width))
    text = console.export_text()
    assert "…" not in text
    for word in ("lesson", "done", "attempts", "hints", "solutions", "time", "3/7", "1 h 05 min",
                 "activations-losses"):
        assert word in text, (word, text)


def test_reset_asks_first_and_no_means_nothing_changes():
    seed_progress()
    declined = tutor("reset", "basics/make-range", stdin="n\n")
    assert declined.returncode == 1
    assert "Nothing was reset" in declined.stderr
    assert ProgressStore().summary()["basics/make-range"].status == "done"
    accepted = tutor("reset", "basics/make-range", stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    summary = ProgressStore().summary()
    assert "basics/make-range" not in summary
    assert summary["basics/double"].status == "in_progress"  # the others are kept


def test_reset_a_lesson_or_everything_with_yes():
    seed_progress()
    assert tutor("reset", "basics", "--yes").returncode == 0
    assert ProgressStore().summary() == {}
    seed_progress()
    assert tutor("reset", "--all", "--yes").returncode == 0
    assert ProgressStore().summary() == {}


@pytest.mark.parametrize("args, message", [
    (("reset",), "give an exercise id"),
    (("reset", "nope", "--yes"), "no exercise 'nope'"),
    (("reset", "basics/double", "--all"), "give an exercise id"),
    (("watch", "nope"), "no exercise 'nope'"),
    (("--exercise", "nope", "list"), None),  # --exercise only matters to the app; list ignores it
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = tutor(*args, stdin="")
    if message is None:
        assert result.returncode == 0
        return
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


class Watcher:
    """`ptref-tutor watch` in a subprocess; its output lines arrive on a queue."""

    def __init__(self, path: Path, *extra: str) -> None:
        env = dict(os.environ, COLUMNS="100", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tutor", "watch", "basics/make-range", "--file", str(path),
             "--lessons", str(APP_PACK), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=TESTS.parent)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if any(text in line for line in self.seen):
                self.seen.clear()
                return
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never saw {text!r}; output: {''.join(self.seen)}"
            try:
                self.seen.append(self.lines.get(timeout=remaining))
            except queue.Empty:
                pass

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)


def save_like_vim(path: Path, code: str) -> None:
    """Write a new file and rename it over the old one, as vim and many editors save."""
    temporary = path.with_name(path.name + ".swp-new")
    temporary.write_text(code)
    os.replace(temporary, path)


@pytest.mark.parametrize("mode", ["watchfiles", "poll"])
def test_watch_checks_every_save(tmp_path, mode):
    path = tmp_path / "answer.py"
    watcher = Watcher(path, *(["--poll"] if mode == "poll" else []))
    try:
        watcher.wait_for("Wrote the starter")
        watcher.wait_for("Not attempted")  # the starter, checked once at the start
        # The new file says what to write: the exercise's prompt as comments above the starter.
        written = path.read_text()
        assert written.startswith("# basics/make-range: Count to five\n#\n# Make `r`, the integers 0 to 5")
        assert written.endswith("r = ...  # TODO\n")
        path.write_text("import torch\nr = torch.arange(1, 7)\n")
        watcher.wait_for("Failed")
        save_like_vim(path, "import torch\nr = torch.arange(6)\n")
        watcher.wait_for("Passed")
        assert watcher.stop() == 0
    finally:
        if watcher.process.poll() is None:
            watcher.process.kill()
    # Each save is also the exercise's draft, so the app opens with it.
    assert ProgressStore().draft("basics/make-range") == "import torch\nr = torch.arange(6)\n"


def test_watch_keeps_an_existing_file_and_exits_1_when_not_passed(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("import torch\nr = torch.zeros(6)\n")
    watcher = Watcher(path)
    try:
        watcher.wait_for("Using your file")
        watcher.wait_for("Failed")
        assert watcher.stop() == 1
    finally:
        if watcher.process.poll() is None:
            watcher.process.kill()
    assert path.read_text() == "import torch\nr = torch.zeros(6)\n"


def test_network_file_systems_are_polled(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n"
                      "server:/export /home/learner nfs4 rw 0 0\n"
                      "sshfs#me@box: /mnt/box fuse.sshfs rw 0 0\n")
    assert file_system_type(Path("/home/learner/answer.py"), mounts) == "nfs4"
    assert file_system_type(Path("/mnt/box/a.py"), mounts) == "fuse.sshfs"
    assert file_system_type(Path("/tmp/a.py"), mounts) == "ext4"
    assert file_system_type(Path("/home/learner2/a.py"), mounts) == "ext4"  # a prefix is not a parent
    assert needs_polling(tmp_path / "a.py") in (False, True)  # reads the real /proc/mounts
