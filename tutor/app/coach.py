"""What the learner keeps and asks for: drafts (saved as they type), hints, the solution, a reset to
the starter, and editing in $EDITOR.

Drafts are written to the store a short debounce after the last change, on every exercise switch,
before every run and on quit: a kill -9 loses at most the last DRAFT_DEBOUNCE seconds of typing,
and a crash of the PyTorch worker loses nothing (the draft lives here, not there).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported
from textual.timer import Timer
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from tutor.app.screens.confirm import Confirm
from tutor.lessons.model import Exercise

if TYPE_CHECKING:
    from tutor.app.app import TutorApp

    _Base = TutorApp
else:
    _Base = object

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


class CoachMixin(_Base):
    def init_coach(self) -> None:
        self.saved_text: str | None = None  # what the store holds for the current exercise
        self._draft_timer: Timer | None = None
        self._edit_dir: Path | None = None

    # -- drafts -------------------------------------------------------------------------------------
    def load_draft(self, exercise: Exercise) -> None:
        draft = self.store.draft(exercise.full_id)
        code = draft if draft is not None else exercise.starter
        # Opening an exercise is not starting it: only a change from this text is saved.
        self.saved_text = code
        self.editor.load_text(code)
        self.editor.error_line = None
        self.editor.selection = _placeholder_selection(code)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id != "editor" or self.current is None:
            return
        if event.text_area.text == self.saved_text:
            return
        self.editor.error_line = None  # the marked line may have moved; the next run marks again
        self.activity.touch()
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DEBOUNCE, self.flush_draft)

    def flush_draft(self) -> None:
        """Write the editor's text to the store now, if it changed since the last write."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if self.current is None:
            return
        text = self.editor.text
        if text == self.saved_text:
            return
        was_new = self.store.draft(self.current.full_id) is None
        self.store.save_draft(self.current.full_id, text)
        self.store.add_time(self.current.full_id, self.activity.take())  # a kill -9 keeps it too
        self.saved_text = text
        if was_new:
            self.refresh_progress()  # not started -> in progress

    def action_save(self) -> None:
        self.flush_draft()
        self.notify("Saved. (Your code is also saved as you type.)", timeout=2)

    # -- hints and the solution ---------------------------------------------------------------------
    def action_hint(self) -> None:
        exercise = self.current
        if exercise is None:
            return
        used = self.store.hints_used(exercise.full_id)
        if not exercise.hints:
            self.notify("This exercise has no hints.")
            return
        if used >= len(exercise.hints):
            self.notify("That was the last hint. F8 shows the solution.")
            return
        used = self.store.use_hint(exercise.full_id)
        self.show_explanation(scroll_home=True)
        self.notify(f"Hint {used} of {len(exercise.hints)} is under the exercise.", timeout=3)
        self.refresh_progress()

    def action_solution(self) -> None:
        exercise = self.current
        if exercise is None:
            return
        if self.store.solution_revealed(exercise.full_id):
            self.show_explanation(scroll_home=True)
            return

        def answered(show: bool | None) -> None:
            if show and self.current is exercise:
                self.store.reveal_solution(exercise.full_id)
                self.show_explanation(scroll_home=True)
                self.refresh_progress()

        self.push_screen(Confirm(f"Show the solution to “{exercise.title}”?\n\n"
                                 "Trying a hint (F2) first teaches more. Seeing it is recorded.",
                                 "Show it"), answered)

    # -- reset to the starter -----------------------------------------------------------------------
    def action_reset_code(self) -> None:
        exercise = self.current
        if exercise is None:
            return

        def answered(reset: bool | None) -> None:
            if reset and self.current is exercise:
                self.editor.set_code(exercise.starter)
                self.editor.error_line = None
                self.flush_draft()
                self.editor.focus()
                self.notify("The starter code is back. ctrl+z brings your code back.", timeout=4)

        self.push_screen(Confirm(f"Put the starter code of “{exercise.title}” back?\n\n"
                                 "Your code is replaced (ctrl+z in the editor undoes this).",
                                 "Reset"), answered)

    # -- $EDITOR ------------------------------------------------------------------------------------
    def edit_path(self, exercise: Exercise) -> Path:
        if self._edit_dir is None:
            self._edit_dir = Path(tempfile.mkdtemp(prefix="ptref-tutor-edit-"))
        return self._edit_dir / f"{exercise.lesson_id}-{exercise.id}.py"

    def action_external_editor(self) -> None:
        exercise = self.current
        if exercise is None:
            return
        command = external_editor_command()
        if command is None:
            self.notify("Set $EDITOR (e.g. export EDITOR=vim) to edit outside the tutor.", severity="error")
            return
        self.flush_draft()
        path = self.edit_path(exercise)
        path.write_text(self.editor.text, encoding="utf-8")
        try:
            with self.suspend():  # the editor gets the real terminal (vim over SSH works)
                completed = subprocess.run([*command, str(path)])
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to another program.", severity="error")
            return
        except OSError as exc:
            self.notify(f"Could not start {command[0]}: {exc.strerror or exc}", severity="error")
            return
        if completed.returncode != 0:
            self.notify(f"{command[0]} exited with status {completed.returncode}; your code was kept.",
                        severity="warning")
        try:
            code = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"Could not read the edited file back: {exc}", severity="error")
            return
        if self.current is not exercise:
            return
        if code != self.editor.text:
            self.editor.set_code(code)
        self.flush_draft()
        self.editor.focus()
        self.action_run()

    def cleanup_edit_dir(self) -> None:
        if self._edit_dir is not None:
            shutil.rmtree(self._edit_dir, ignore_errors=True)


_TODO_AFTER = re.compile(r"\s*#\s*TODO\b.*$")


def _placeholder_selection(code: str) -> Selection:
    """The starter's first `...`, selected, so what the learner types replaces it at once;
    without one, the cursor waits at the end of the code."""
    lines = code.splitlines() or [""]
    for row, line in enumerate(lines):
        column = line.find("...")
        if column >= 0:
            # "...  # TODO" goes as a whole: a TODO left behind reads as "not attempted".
            end = len(line) if _TODO_AFTER.match(line, column + 3) else column + 3
            return Selection((row, column), (row, end))
    end = (len(lines) - 1, len(lines[-1])) if not code.endswith("\n") else (len(lines), 0)
    return Selection.cursor(end)
