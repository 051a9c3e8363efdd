"""What the learner keeps and asks for on the open exercise: the draft (saved as they type), the time
spent, hints, the solution, a reset to the starter, and editing in $EDITOR.

Drafts are written to the store a short debounce after the last change, on every exercise switch,
before every run and on quit: a kill -9 loses at most the last DRAFT_DEBOUNCE seconds of typing,
and a crash of the PyTorch worker loses nothing (the draft lives here, not there).

The coach changes the store and the editor; what the rest of the screen must show after that
(progress marks, the hints under the exercise, a check after $EDITOR) it asks for by message.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from textual.app import SuspendNotSupported
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets.text_area import Selection

from tutor.app.actions import first_key
from tutor.app.screens.confirm import Confirm
from tutor.app.tracking import ActivityClock
from tutor.app.widgets.code_editor import CodeEditor
from tutor.lessons.model import Exercise
from tutor.progress.store import ProgressStore

DRAFT_DEBOUNCE = 0.4  # seconds after the last keystroke
FALLBACK_EDITORS = ("vim", "vi", "nano")


def external_editor_command() -> list[str] | None:
    """$VISUAL, then $EDITOR, then the first of vim, vi, nano on PATH."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shlex.split(value)
    for name in FALLBACK_EDITORS:
        if shutil.which(name):
            return [name]
    return None


class Coach:
    @dataclass
    class ProgressChanged(Message):
        """The exercise's progress changed (started, a hint taken, the solution seen)."""

        exercise: Exercise

    @dataclass
    class AidShown(Message):
        """A hint or the solution is now to be shown under the exercise (and a hint in the results)."""

        exercise: Exercise
        hint: int | None = None  # the hint asked for (1-based); None: the solution

    @dataclass
    class CodeReturned(Message):
        """The learner came back from $EDITOR with this exercise's code in the editor: check it."""

        exercise: Exercise

    def __init__(self, host: Widget, store: ProgressStore) -> None:
        self.host = host  # the screen holding the editor: timers, dialogs, messages
        self.store = store
        self.activity = ActivityClock()
        self.exercise: Exercise | None = None  # whose draft the editor holds
        self.saved_text: str | None = None  # what the store holds for it
        self.typed = False  # the learner changed the text since it was loaded
        self._draft_timer: Timer | None = None
        self._edit_dir: Path | None = None

    @property
    def editor(self) -> CodeEditor:
        return self.host.query_one("#editor", CodeEditor)

    # -- drafts and time ----------------------------------------------------------------------------
    def open(self, exercise: Exercise) -> None:
        """Put the exercise's draft (or its starter) in the editor, the placeholder selected."""
        draft = self.store.draft(exercise.full_id)
        code = draft if draft is not None else exercise.starter
        self.exercise = exercise
        # Opening an exercise is not starting it: only a change from this text is saved.
        self.saved_text = code
        self.typed = False
        self.editor.open_code(code, placeholder_selection(code))
        self.editor.error_line = None
        self.activity.start()

    def leave(self) -> None:
        """Save what the learner typed and the time spent, before anything else is shown."""
        if self.exercise is None:
            return
        self.flush_draft()
        self.store.add_time(self.exercise.full_id, self.activity.take())

    def text_changed(self) -> None:
        """The editor's text changed (typing, paste, undo...): save it soon."""
        if self.exercise is None or self.editor.text == self.saved_text:
            return
        self.editor.error_line = None  # the marked line may have moved; the next run marks again
        self.typed = True
        self.activity.touch()
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.host.set_timer(DRAFT_DEBOUNCE, self.flush_draft)

    def flush_draft(self) -> None:
        """Write the editor's text to the store now, if it changed since the last write."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        exercise = self.exercise
        if exercise is None:
            return
        text = self.editor.text
        if text == self.saved_text:
            return
        was_new = self.store.draft(exercise.full_id) is None
        self.store.save_draft(exercise.full_id, text)
        self.store.add_time(exercise.full_id, self.activity.take())  # a kill -9 keeps it too
        self.saved_text = text
        if was_new:
            self.host.post_message(self.ProgressChanged(exercise))  # not started -> in progress

    def draft_changed_elsewhere(self, draft: str | None) -> None:
        """Another process (`watch`, another tutor) saved this exercise's code. Shown here when the
        learner has not typed since it was loaded; otherwise what they typed here is kept."""
        if self.exercise is None or draft is None or draft == self.saved_text:
            return
        if self.typed or self.editor.text != self.saved_text:
            self.host.notify("This exercise's code was changed in another window; yours here is kept "
                             "(and saved as you type).", severity="warning", timeout=6)
            self.saved_text = draft  # warn once per change
            return
        row, column = self.editor.cursor_location
        self.saved_text = draft
        self.editor.set_code(draft)  # undoable: ctrl+z brings back what was here
        self.typed = False  # set_code's change event came with saved_text already equal
        last = max(0, draft.count("\n"))
        self.editor.move_cursor((min(row, last), column))
        self.editor.error_line = None
        self.host.notify("Loaded this exercise's code as another window saved it (ctrl+z undoes).", timeout=4)

    def save(self) -> None:
        self.flush_draft()
        self.host.notify("Saved. (Your code is also saved as you type.)", timeout=2)

    # -- hints and the solution ---------------------------------------------------------------------
    def hint(self) -> None:
        exercise = self.exercise
        if exercise is None:
            return
        if not exercise.hints:
            self.host.notify("This exercise has no hints.")
            return
        used = self.store.hints_used(exercise.full_id)
        if used < len(exercise.hints):
            used = self.store.use_hint(exercise.full_id)
        # After the last one, F2 shows it again (not counted), with the way to the solution.
        self.host.post_message(self.AidShown(exercise, hint=used))

    def solution(self) -> None:
        exercise = self.exercise
        if exercise is None:
            return
        if self.store.solution_revealed(exercise.full_id):
            self.host.post_message(self.AidShown(exercise))
            return

        def answered(show: bool | None) -> None:
            if show and self.exercise is exercise:
                self.store.reveal_solution(exercise.full_id)
                self.host.post_message(self.AidShown(exercise))

        self.host.app.push_screen(Confirm(f"Show the solution to “{exercise.title}”?\n\n"
                                          f"Trying a hint ({first_key('hint')}) first teaches more. "
                                          "Seeing it is recorded.", "Show it"), answered)

    # -- reset to the starter -----------------------------------------------------------------------
    def reset_code(self) -> None:
        exercise = self.exercise
        if exercise is None:
            return

        def answered(reset: bool | None) -> None:
            if reset and self.exercise is exercise:
                self.editor.set_code(exercise.starter)  # one undoable edit: ctrl+z brings the code back
                self.editor.selection = placeholder_selection(exercise.starter)
                self.editor.show_selection_start()
                self.editor.error_line = None
                self.flush_draft()
                self.editor.focus()
                self.host.notify("The starter code is back. ctrl+z brings your code back.", timeout=4)

        self.host.app.push_screen(Confirm(f"Put the starter code of “{exercise.title}” back?\n\n"
                                          "Your code is replaced (ctrl+z in the editor undoes this).",
                                          "Reset"), answered)

    # -- $EDITOR ------------------------------------------------------------------------------------
    def edit_path(self, exercise: Exercise) -> Path:
        if self._edit_dir is None:
            self._edit_dir = Path(tempfile.mkdtemp(prefix="ptref-tutor-edit-"))
        return self._edit_dir / f"{exercise.lesson_id}-{exercise.id}.py"

    def external_editor(self) -> None:
        exercise = self.exercise
        if exercise is None:
            return
        command = external_editor_command()
        if command is None:
            self.host.notify("Set $EDITOR (e.g. export EDITOR=vim) to edit outside the tutor.", severity="error")
            return
        self.flush_draft()
        path = self.edit_path(exercise)
        path.write_text(self.editor.text, encoding="utf-8")
        try:
            with self.host.app.suspend():  # the editor gets the real terminal (vim over SSH works)
                completed = subprocess.run([*command, str(path)])
        except SuspendNotSupported:
            self.host.notify("This terminal cannot hand over to another program.", severity="error")
            return
        except OSError as exc:
            self.host.notify(f"Could not start {command[0]}: {exc.strerror or exc}", severity="error")
            return
        if completed.returncode != 0:
            self.host.notify(f"{command[0]} exited with status {completed.returncode}; your code was kept.",
                             severity="warning")
        try:
            code = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.host.notify(f"Could not read the edited file back: {exc}", severity="error")
            return
        if self.exercise is not exercise:
            return
        if code != self.editor.text:
            self.editor.set_code(code)
        self.flush_draft()
        self.editor.focus()
        self.host.post_message(self.CodeReturned(exercise))

    def cleanup(self) -> None:
        if self._edit_dir is not None:
            shutil.rmtree(self._edit_dir, ignore_errors=True)
            self._edit_dir = None


_TODO_AFTER = re.compile(r"\s*#\s*TODO\b.*$")


def placeholder_selection(code: str) -> Selection:
    """The starter's first `...`, selected, so what the learner types replaces it at once;
    without one (a pitfall to repair, a draft), the cursor waits at line 1, column 1."""
    lines = code.splitlines() or [""]
    for row, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue  # a comment (the prompt `watch` writes above the code) holds no placeholder
        column = line.find("...")
        if column >= 0:
            # "...  # TODO" goes as a whole: a TODO left behind reads as "not attempted".
            end = len(line) if _TODO_AFTER.match(line, column + 3) else column + 3
            return Selection((row, column), (row, end))
    return Selection.cursor((0, 0))
