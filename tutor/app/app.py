"""TutorApp: read, edit, run, see why, move on, and come back tomorrow where you left off.

The app is composition and navigation; the run pipeline lives in runner.py and the learner's
aids (drafts, hints, solution, reset, $EDITOR) in coach.py, as mixins of this class.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Callable

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Header

from tutor.app.actions import bindings
from tutor.app.coach import CoachMixin
from tutor.app.commands import TutorCommands
from tutor.app.messages import ExerciseChosen
from tutor.app.resume import starting_exercise
from tutor.app.runner import RunnerMixin
from tutor.app.screens.help import HelpScreen, help_text
from tutor.app.tracking import ActivityClock
from tutor.app.widgets.code_editor import CodeEditor
from tutor.app.widgets.explanation import Explanation
from tutor.app.widgets.footer import TutorFooter
from tutor.app.widgets.lesson_tree import LessonTree
from tutor.app.widgets.results import Results
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise
from tutor.progress.store import ExerciseProgress, ProgressStore
from tutor.session import Session, SessionConfig, probe_devices

IDLE_MESSAGE = "Press F5 (or ctrl+r) to run and check your code. F2 gives a hint, F1 lists every key."


class TutorApp(CoachMixin, RunnerMixin, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "ptref-tutor"
    CURSOR_BLINK = True  # tests turn it off: a blinking cursor makes screenshots random
    COMMANDS = App.COMMANDS | {TutorCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    BINDINGS = bindings("screen") + bindings("app")  # the table of actions in tutor/app/actions.py

    def __init__(self, catalog: Catalog, store: ProgressStore, config: SessionConfig = SessionConfig(),
                 start_at: Exercise | None = None, probe: Callable[[], dict] | None = None,
                 show_timings: bool = True, notices: Sequence[str] = ()) -> None:
        super().__init__()
        self.catalog = catalog
        self.store = store
        self.config = config
        self.start_at = start_at
        self.show_timings = show_timings  # off in snapshot tests: no milliseconds in the picture
        self.notices = list(notices or [])
        self.probe = probe or (lambda: probe_devices(config.python))
        self.session = Session(catalog, config, store=store, on_worker_state=self._worker_state_from_thread)
        self.current: Exercise | None = None
        self.activity = ActivityClock()
        self.worker_states: dict[str, str] = {}
        self.device_info: dict | None = None
        self.init_runner()
        self.init_coach()

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(icon="▶")
        with Horizontal(id="main"):
            yield LessonTree(self.catalog, id="lessons")
            yield Explanation(id="explanation")
            with Vertical(id="work"):
                yield CodeEditor.code_editor("", language="python", id="editor")
                yield Results(id="results")
        yield TutorFooter(compact=True)

    @property
    def editor(self) -> CodeEditor:
        return self.query_one("#editor", CodeEditor)

    @property
    def results(self) -> Results:
        return self.query_one("#results", Results)

    @property
    def explanation(self) -> Explanation:
        return self.query_one("#explanation", Explanation)

    @property
    def tree(self) -> LessonTree:
        return self.query_one("#lessons", LessonTree)

    def on_mount(self) -> None:
        self.query_one("#lessons").border_title = "Lessons"
        self.explanation.border_title = "Exercise"
        self.editor.border_title = "Your code"
        self.results.border_title = "Results"
        self.editor.cursor_blink = self.CURSOR_BLINK
        self.session.start()  # returns at once; the worker imports torch in the background
        self.wait_for_worker(self.session.device)
        progress = self.progress()
        self.tree.build(progress)
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=30)
        if self.store.notice:
            self.notify(self.store.notice, severity="warning", timeout=30)
        exercise = self.start_at or starting_exercise(self.catalog, progress, self.store.position())
        if exercise is None:
            self.results.show_failure("No lessons", "No lesson pack has any exercise. Add one with --lessons DIR.")
            return
        self.open_exercise(exercise.full_id)

    # -- progress and the header --------------------------------------------------------------------
    def progress(self) -> dict[str, ExerciseProgress]:
        return self.store.summary()

    def refresh_progress(self) -> None:
        self.tree.update_marks(self.progress())

    def run_device(self) -> str:
        """The device the current exercise runs on (a cpu-only exercise stays on the cpu)."""
        if self.current is not None and self.current.device == "cpu":
            return "cpu"
        return self.session.device

    def update_header(self) -> None:
        device = self.run_device()
        state = self.worker_states.get(device, "starting")
        where = self.current.full_id if self.current else "no exercise"
        self.sub_title = f"{where} · {device} {state}"

    # -- navigation ---------------------------------------------------------------------------------
    def on_exercise_chosen(self, message: ExerciseChosen) -> None:
        self.open_exercise(message.full_id)

    def open_exercise(self, full_id: str) -> None:
        exercise = self.catalog.exercise(full_id)
        if self.current is not None:
            self.leave_exercise()
        self.current = exercise
        self.store.set_position(exercise.full_id)
        self.stop_run()  # a run for the exercise we left would only confuse the results pane
        self.load_draft(exercise)
        self.show_explanation(scroll_home=True)
        self.results.show_idle(IDLE_MESSAGE)
        self.tree.show_exercise(exercise.full_id)
        self.update_header()
        self.activity.start()
        self.editor.focus()
        self.prepare_in_background(exercise)

    def leave_exercise(self) -> None:
        """Save what the learner typed and the time spent before anything else is shown."""
        if self.current is None:
            return
        self.flush_draft()
        self.store.add_time(self.current.full_id, self.activity.take())

    def show_explanation(self, scroll_home: bool = False) -> None:
        exercise = self.current
        if exercise is None:
            return
        lesson = self.catalog.lesson(exercise.lesson_id)
        hints = exercise.hints[:self.store.hints_used(exercise.full_id)]
        solution = exercise.solution if self.store.solution_revealed(exercise.full_id) else None
        self.explanation.show(lesson, exercise, hints, solution, scroll_home=scroll_home)

    def action_next(self) -> None:
        self._step(+1, "This is the last exercise.")

    def action_previous(self) -> None:
        self._step(-1, "This is the first exercise.")

    def _step(self, step: int, at_the_end: str) -> None:
        if self.current is None:
            return
        neighbour = self.catalog.neighbour(self.current.full_id, step)
        if neighbour is None:
            self.notify(at_the_end)
            return
        self.open_exercise(neighbour.full_id)

    # -- panes, help, theme, quit -------------------------------------------------------------------
    def action_toggle_lessons(self) -> None:
        tree = self.tree
        showing = tree.display
        self.screen.set_class(not showing, "-lessons-on")
        self.screen.set_class(showing, "-lessons-off")
        if showing:
            self.editor.focus()
        else:
            tree.focus()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        python = None if self.config.python == sys.executable else self.config.python
        self.push_screen(HelpScreen(help_text(str(self.store.path), python)))

    def action_toggle_theme(self) -> None:
        light = self.theme != "textual-light"
        self.theme = "textual-light" if light else "textual-dark"
        self.editor.theme = "github_light" if light else "monokai"

    async def action_quit(self) -> None:
        self.leave_exercise()
        self.exit()

    def on_unmount(self) -> None:
        if self.run_token is not None:
            self.run_token.set()  # the screens are gone: stop the run, update nothing
        self.session.close()

    def close(self) -> None:
        """After the app has run: the workers stop, the $EDITOR scratch folder goes."""
        self.session.close()
        self.cleanup_edit_dir()

