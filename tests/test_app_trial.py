"""A new user's session, scripted: the real app in tmux at 80x24, driven only by `tmux send-keys`,
completes 10 exercises in 4 lessons. On the way it reads a hint at once, scrolls a long report to
its last check, types an indented loop (the editor indents as it goes), and reads an explained
shape error. Answers are typed from the lessons' own solutions.

Every key that acts is timed from send-keys to the first changed capture-pane; the test prints
p50/p95 per key (figures only: nothing here asserts a time). PTREF_KEY_FIGURES=FILE also writes
them as JSON (docs/performance.md, "Keys").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import time

import pytest

from tmuxtools import Tmux, tutor_command
from tutor.app.key_timing import percentile
from tutor.app.widgets.indentation import next_line_indent
from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.progress.store import ProgressStore

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (make deps installs it)")

CATALOG = Catalog.load([builtin_lessons_dir()])
UNIT = "    "
# The trial: (exercise, how to get there from the previous one). 10 exercises in 4 lessons.
PLAN = [
    ("tensor-info/read-shape", None),
    ("tensor-info/dtype-not-callable", "ctrl+n"),
    ("tensor-info/print-summary", "ctrl+n"),
    ("reshaping/reshape-and-view", "palette:New shapes"),
    ("reshaping/view-after-transpose", "ctrl+n"),
    ("arithmetic/in-place", "palette:add or add_"),
    ("arithmetic/reductions", "ctrl+n"),
    ("arithmetic/mm-needs-matrices", "ctrl+n"),
    ("arithmetic/broadcast-shape", "palette:the broadcasting rule"),
    ("autograd/first-gradient", "palette:Your first gradient"),
]
REDUCTIONS_WRONG = ("total = scores.sum()\ntest_means = scores.mean(dim=1)\nbest_score = scores.max(dim=1).values\n"
                    "best_test = scores.argmax(dim=1)\nstudent_totals = scores.sum(dim=1)")
SHAPE_ERROR = "import torch\n\ninner = torch.dot(a, b)\nproduct = A @ A\napplied = A @ a\nbatched = stack @ B"


VERDICTS = ("Not attempted", "✘ Error", "✘ Failed", "✔ Passed", "Timed out")
SCROLLBAR = re.compile("[\u2580-\u259f]")  # the block elements a scrollbar is drawn with


def flat(screen: str) -> str:
    """The results pane's text as one line: its border, its scrollbar and the pane beside it left out."""
    right = [line[line.find("│", 34):] if "│" in line[34:] else "" for line in screen.splitlines()]
    text = " ".join(line.replace("│", " ").replace("┃", " ") for line in right)
    return " ".join(SCROLLBAR.sub(" ", text).split())


class Trial:
    def __init__(self, tmux: Tmux) -> None:
        self.tmux = tmux
        self.latencies: dict[str, list[float]] = {}

    def screen(self) -> str:
        return self.tmux.screen()

    def timed(self, name: str, *keys: str, literal: bool = False, timeout: float = 60.0) -> str:
        """Press keys and time them to the first change of the captured screen's text (styles are
        left out: the cursor blinks). The screen is first left to settle, so a late frame of the
        previous key is not taken for this key's answer."""
        before = self.settled()
        started = time.perf_counter()
        self.tmux.keys(*keys, literal=literal)
        while True:
            now = self.screen()
            if now != before:
                self.latencies.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                return now
            if time.perf_counter() - started > timeout:
                raise AssertionError(f"{name}: nothing changed on screen; the screen:\n{now}")

    def settled(self, quiet: float = 0.15, timeout: float = 10.0) -> str:
        """The screen once it has not changed for `quiet` seconds (or after `timeout`)."""
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.screen()
            if now == screen:
                break
            screen = now
        return screen

    def type_code(self, code: str) -> None:
        """Type `code` as a person does in this editor: F7 selects the starter, each line's text is
        typed after Enter, and the indentation the editor offers is corrected with Backspace or Tab
        only where the code wants another level (so a loop's body is indented by the editor)."""
        self.tmux.press_and_wait_for_redraw("F7")
        offered = ""
        for index, line in enumerate(code.rstrip("\n").split("\n")):
            wanted = line[:len(line) - len(line.lstrip(" "))]
            text = line.strip()
            if index:
                self.tmux.keys("Enter")
                if text:
                    steps = (len(offered) - len(wanted)) // len(UNIT)
                    if steps:
                        self.tmux.keys(*(["BSpace"] * steps if steps > 0 else ["Tab"] * -steps))
            if text:
                self.tmux.keys(text, literal=True)
                offered = next_line_indent(line, UNIT, len(UNIT))
            # A blank line keeps the indentation it was offered for the line after it.

    def run_until(self, *texts: str, key: str = "F5") -> str:
        self.timed("F5 run", key)
        return self.tmux.wait_for(*texts, timeout=300)

    def wait_to_read(self, *phrases: str, timeout: float = 30.0) -> str:
        """Until each phrase is on screen, read as a person reads: across the pane's line breaks."""
        deadline = time.monotonic() + timeout
        while True:
            text = flat(self.screen())
            if all(phrase in text for phrase in phrases):
                return text
            assert time.monotonic() < deadline, f"never read {phrases}; the screen:\n{self.screen()}"
            time.sleep(0.1)

    def wait_for_any(self, texts: tuple[str, ...], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if any(text in screen for text in texts):
                return screen
            assert time.monotonic() < deadline, f"never saw any of {texts}; the screen:\n{screen}"
            time.sleep(0.1)

    def scroll_results_to_the_end(self) -> str:
        screen = self.screen()
        for _ in range(40):
            if "end · ctrl+↑ back" in screen:
                return screen
            screen = self.timed("ctrl+↓ results", "C-Down")
            time.sleep(0.05)
            screen = self.screen()
        raise AssertionError(f"the results never reached their end:\n{screen}")

    def go(self, how: str, exercise_id: str, previous: str) -> None:
        following = CATALOG.neighbour(previous, +1)
        if how == "ctrl+n" and (following is None or following.full_id != exercise_id):
            how = f"palette:{CATALOG.exercise(exercise_id).title}"  # an exercise was added in between
        if how == "ctrl+n":
            self.timed("ctrl+n next", "C-n")
        else:
            query = how.removeprefix("palette:")
            self.timed("ctrl+p palette", "C-p")
            self.tmux.wait_for("Search for commands")
            self.timed("palette: type", query[0], literal=True)
            self.tmux.keys(query[1:], literal=True)
            self.tmux.wait_for(CATALOG.exercise(exercise_id).title[:24])
            time.sleep(0.3)  # the palette settles on its first hit
            self.timed("palette: Enter", "Enter")
        self.tmux.wait_for(f"— {exercise_id} ·", gone="Search for commands")

    def pause(self) -> None:
        """A learner's pause between keys: the app finishes what the last key started."""
        time.sleep(0.4)

    def timing_round(self, rounds: int) -> None:
        """Each key again, `rounds` times, each after a pause, so p95 means something."""
        for _ in range(rounds):
            for name, key in (("F3 lessons", "F3"), ("F3 lessons", "F3"), ("ctrl+o previous", "C-o"),
                              ("ctrl+n next", "C-n"), ("ctrl+⇧↓ exercise", "C-S-Down"),
                              ("ctrl+⇧↑ exercise", "C-S-Up"), ("ctrl+n next", "C-n"), ("F2 hint", "F2")):
                self.timed(name, key)
                self.pause()
            self.timed("type a letter", "x", literal=True)
            self.pause()
            self.tmux.press_and_wait_for_redraw("BSpace")
            self.timed("ctrl+p palette", "C-p")
            self.tmux.wait_for("Search for commands")
            self.pause()
            self.timed("palette: type", "t", literal=True)
            self.pause()
            self.tmux.keys("Escape")
            self.tmux.wait_for("F5 Run", gone="Search for commands")
            self.pause()
            # The round moves on an exercise each time: its starter may be left undone or not
            # even parse, so any verdict ends the run.
            self.timed("F5 run", "F5")
            self.wait_for_any(VERDICTS, timeout=300)
            self.pause()

    def report(self) -> dict:
        figures = {name: {"p50": round(statistics.median(samples), 1), "p95": round(percentile(samples, 0.95), 1),
                          "max": round(max(samples), 1), "n": len(samples)}
                   for name, samples in sorted(self.latencies.items())}
        load = os.getloadavg()
        print(f"\nkey latencies in tmux at 80x24, send-keys to the first changed capture-pane "
              f"(load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores):")
        for name, row in figures.items():
            print(f"  {name:18} p50 {row['p50']:6.0f} ms   p95 {row['p95']:6.0f} ms   max {row['max']:6.0f} ms   n={row['n']}")
        target = os.environ.get("PTREF_KEY_FIGURES")
        if target:
            with open(target, "w") as handle:
                json.dump({"keys": figures, "load_average": load, "cores": os.cpu_count()}, handle, indent=2)
        return figures


@pytest.fixture
def trial(tutor_home):
    terminal = Tmux("trial", 80, 24)
    yield Trial(terminal)
    terminal.close()


@pytest.mark.timeout(1800)  # ten exercises, each run by the real worker, on a loaded machine
def test_a_new_user_completes_ten_exercises_in_four_lessons_at_80x24(trial, tutor_home):
    tmux = trial.tmux
    tmux.start(f"{tutor_command()} --exercise {PLAN[0][0]}", {"PTREF_TUTOR_HOME": str(tutor_home),
                                                              "TERM": "screen-256color"})
    tmux.wait_for(f"— {PLAN[0][0]} ·", "cpu ready", "F5 Run", timeout=300)
    for index, (exercise_id, how) in enumerate(PLAN):
        exercise = CATALOG.exercise(exercise_id)
        if how is not None:
            trial.go(how, exercise_id, previous=PLAN[index - 1][0])
        if exercise_id == "tensor-info/read-shape":
            # A hint, at once, whole, at the top of the results pane: nothing over it.
            trial.timed("F2 hint", "F2")
            hints = len(exercise.hints)
            trial.wait_to_read(f"Hint 1 of {hints}", " ".join(exercise.hints[0].replace("`", "").split())[:60],
                               timeout=10)
            assert "is under the exercise" not in trial.screen()
        if exercise_id == "arithmetic/reductions":
            trial.type_code(REDUCTIONS_WRONG)
            trial.run_until("✘ Failed")
            screen = trial.scroll_results_to_the_end()
            assert "student_totals" in screen  # the last check, read without leaving the editor
        if exercise_id == "arithmetic/mm-needs-matrices":
            trial.type_code(SHAPE_ERROR)
            trial.run_until("✘ Error")
            trial.wait_to_read("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")
            trial.scroll_results_to_the_end()
            trial.wait_to_read("What it means: In a matrix product the left side's columns must equal the right "
                               "side's rows")
        if exercise_id == "tensor-info/dtype-not-callable":
            trial.timed("ctrl+⇧↓ exercise", "C-S-Down")  # read on in the lesson while the editor keeps the focus
            trial.timed("ctrl+⇧↑ exercise", "C-S-Up")
            trial.timed("F3 lessons", "F3")
            trial.timed("F3 lessons", "F3")
            trial.timed("ctrl+o previous", "C-o")
            trial.timed("ctrl+n next", "C-n")
            tmux.wait_for(f"— {exercise_id} ·")
        if exercise_id == "tensor-info/print-summary":
            trial.tmux.press_and_wait_for_redraw("F7")
            for letter in "print(":
                trial.timed("type a letter", letter, literal=True)
        trial.type_code(exercise.solution)
        trial.run_until("✔ Passed")
        # What was typed is the solution, indentation included: the editor indented the loop's body
        # after each ':' and dedented after `return None`; Backspace took a level back by itself.
        assert ProgressStore().draft(exercise_id).rstrip() == exercise.solution.rstrip()
    trial.timing_round(rounds=10)
    tmux.keys("C-q")
    tmux.wait_for("EXITED 0")

    progress = ProgressStore().summary()
    done = [exercise_id for exercise_id, _ in PLAN if progress[exercise_id].status == "done"]
    assert len(done) == 10 and len({exercise_id.split("/")[0] for exercise_id in done}) == 4
    figures = trial.report()
    assert {"F2 hint", "F5 run", "ctrl+n next", "ctrl+p palette", "palette: Enter", "F3 lessons",
            "ctrl+↓ results", "type a letter"} <= set(figures)

