"""The main screen: lessons, the exercise, the editor and the results, and every key that acts on
them. Modal screens (help, a question, the device picker) pushed over it block its keys.

The screen composes the widgets and routes messages between its parts, each with one job:
RunController (tutor/app/runs.py) owns the run in progress, Coach (coach.py) the learner's draft,
time, hints, solution, reset and $EDITOR, DeviceWatch (devices.py) the workers' state and devices.
"""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, TextArea

from tutor.app.actions import BY_ID, bindings, first_key, key_label
from tutor.app.coach import Coach
from tutor.app.commands import TutorCommands
from tutor.app.devices import DeviceWatch
from tutor.app.resume import starting_exercise
from tutor.app.runs import RunController
from tutor.app.screens.device_picker import DevicePicker
from tutor.app.screens.help import HelpScreen, help_text
from tutor.app.widgets.code_editor import CodeEditor
from tutor.app.widgets.explanation import Explanation
from tutor.app.widgets.footer import TutorFooter
from tutor.app.widgets.lesson_tree import LessonTree
from tutor.app.widgets.results import Broken, Idle, Judged, Results, Running
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise
from tutor.progress.store import ExerciseProgress, ProgressStore
from tutor.session import Session

FAILURE_TITLES = {"lesson": "This exercise is broken", "worker": "The PyTorch worker could not start",
                  "internal": "The tutor hit a problem"}


def idle_message() -> str:
    run = BY_ID["run"].keys
    return (f"Press {key_label(run[0])} (or {key_label(run[1])}) to run and check your code. "
            f"{first_key('hint')} gives a hint, {first_key('help')} lists every key.")


class MainScreen(Screen[None]):
    BINDINGS = bindings("screen")  # the table of actions in tutor/app/actions.py
    COMMANDS = {TutorCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, catalog: Catalog, store: ProgressStore, session: Session, *,
                 start_at: Exercise | None = None, notices: tuple[str, ...] = (),
                 probe: Callable[[], dict], show_timings: bool = True, cursor_blink: bool = True,
                 worker_python: str | None = None) -> None:
        super().__init__()
        self.catalog = catalog
        self.store = store
        self.session = session
        self.start_at = start_at
        self.notices = notices
        self.show_timings = show_timings  # off in snapshot tests: no milliseconds in the picture
        self.cursor_blink = cursor_blink
        self.worker_python = worker_python  # for the help: None when it is the tutor's own
        self.current: Exercise | None = None
        self.runs = RunController(self, session)
        self.coach = Coach(self, store)
        self.devices = DeviceWatch(self, session, probe)
        self._elapsed_timer: Timer | None = None

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(icon="▶")
        with Horizontal(id="main"):
            yield LessonTree(self.catalog, id="lessons")
            yield Explanation(id="explanation")
            with Vertical(id="work"):
                yield CodeEditor.code_editor("", language="python", id="editor")
                yield Results(show_timing=self.show_timings, id="results")
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
        self.editor.border_title = "Your code"
        self.editor.cursor_blink = self.cursor_blink
        self.app.theme_changed_signal.subscribe(self, lambda theme: self._follow_theme(theme.dark))
        self.session.start()  # returns at once; the worker imports torch in the background
        self.devices.wait_for_worker(self.session.device)
        progress = self.progress()
        self.tree.build(progress)
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=30)
        if self.store.notice:
            self.notify(self.store.notice, severity="warning", timeout=30)
        exercise = self.start_at or starting_exercise(self.catalog, progress, self.store.position())
        if exercise is None:
            self.results.shown = Broken("No lessons", "No lesson pack has any exercise. Add one with --lessons DIR.")
            return
        self.open_exercise(exercise)

    def on_unmount(self) -> None:
        self.runs.forget()  # the screen is gone: stop the run, update nothing
        self.coach.cleanup()

    def _follow_theme(self, dark: bool) -> None:
        self.editor.theme = "monokai" if dark else "github_light"

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
        state = self.devices.states.get(device, "starting")
        where = self.current.full_id if self.current else "no exercise"
        self.sub_title = f"{where} · {device} {state}"

    # -- navigation ---------------------------------------------------------------------------------
    def on_lesson_tree_exercise_chosen(self, message: LessonTree.ExerciseChosen) -> None:
        self.open_exercise(message.exercise)

    def open_exercise(self, exercise: Exercise) -> None:
        self.coach.leave()
        self.current = exercise
        self.store.set_position(exercise.full_id)
        self.stop_run()  # a run for the exercise we left would only confuse the results pane
        self.coach.open(exercise)
        self.show_explanation(scroll_home=True)
        self.results.shown = Idle(idle_message())
        self.tree.show_exercise(exercise.full_id)
        self.update_header()
        self.editor.focus()
        self.run_worker(lambda: self.session.prepare(exercise), thread=True, exclusive=True, group="prepare",
                        exit_on_error=False)  # the learner's first run then only runs their code

    def is_open(self, exercise: Exercise) -> bool:
        return self.current is not None and exercise.full_id == self.current.full_id

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
        self.open_exercise(neighbour)

    # -- panes and help -----------------------------------------------------------------------------
    def action_toggle_lessons(self) -> None:
        tree = self.tree
        showing = tree.display
        self.set_class(not showing, "-lessons-on")
        self.set_class(showing, "-lessons-off")
        if showing:
            self.editor.focus()
        else:
            tree.focus()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(help_text(str(self.store.path), self.worker_python)))

    # -- the learner's code: the coach --------------------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id == "editor":
            self.coach.text_changed()

    def action_save(self) -> None:
        self.coach.save()

    def action_hint(self) -> None:
        self.coach.hint()

    def action_solution(self) -> None:
        self.coach.solution()

    def action_reset_code(self) -> None:
        self.coach.reset_code()

    def action_external_editor(self) -> None:
        self.coach.external_editor()

    def on_coach_progress_changed(self, message: Coach.ProgressChanged) -> None:
        self.refresh_progress()

    def on_coach_aid_shown(self, message: Coach.AidShown) -> None:
        if self.is_open(message.exercise):
            self.show_explanation(scroll_home=True)
        self.refresh_progress()

    def on_coach_code_returned(self, message: Coach.CodeReturned) -> None:
        if self.is_open(message.exercise):
            self.action_run()

    # -- run & check --------------------------------------------------------------------------------
    def action_run(self) -> None:
        if self.current is None:
            return
        self.coach.flush_draft()
        self.coach.activity.touch()
        self.editor.error_line = None
        self.runs.start(self.current, self.editor.text)
        self.results.shown = Running(self.run_device(), 0.0 if self.show_timings else None)
        if self.show_timings:
            if self._elapsed_timer is None:
                self._elapsed_timer = self.set_interval(0.1, self._tick_elapsed)
            else:
                self._elapsed_timer.resume()

    def _tick_elapsed(self) -> None:
        if self.runs.running:
            self.results.shown = Running(self.run_device(), self.runs.elapsed_s, stopping=self.runs.stopping)

    def _run_ended(self) -> None:
        if self._elapsed_timer is not None:
            self._elapsed_timer.pause()

    def action_stop(self) -> None:
        if self.runs.stop():
            self.results.shown = Running(self.run_device(), self.runs.elapsed_s if self.show_timings else None,
                                         stopping=True)

    def stop_run(self) -> None:
        """Stop the run in progress, if any, and forget it (its report will be stale)."""
        if self.runs.running:
            self.runs.forget()
            self._run_ended()

    def on_run_controller_finished(self, message: RunController.Finished) -> None:
        current = self.runs.end(message)
        if current:
            self._run_ended()
        self.refresh_progress()
        if not current or not self.is_open(message.exercise):
            return
        verdict = message.verdict
        following = self.catalog.neighbour(message.exercise.full_id, +1)
        self.results.shown = Judged(verdict, following.title if following else None)
        if verdict.error is not None and verdict.error.line and verdict.status == "error":
            self.editor.error_line = verdict.error.line
        if verdict.passed:
            self.notify(f"Passed! {first_key('next')} opens the next exercise." if following else "Passed!",
                        title=message.exercise.title, timeout=4)

    def on_run_controller_failed(self, message: RunController.Failed) -> None:
        current = self.runs.end(message)
        if current:
            self._run_ended()
        if not current or not self.is_open(message.exercise):
            return
        self.results.shown = Broken(FAILURE_TITLES[message.kind], message.reason)

    # -- devices ------------------------------------------------------------------------------------
    def on_device_watch_state_changed(self, message: DeviceWatch.StateChanged) -> None:
        self.devices.states[message.device] = message.state
        self.update_header()

    def on_device_watch_start_failed(self, message: DeviceWatch.StartFailed) -> None:
        self.devices.states[message.device] = "failed"
        self.update_header()
        self.notify(message.reason, title=f"No worker on {message.device}", severity="error", timeout=30)

    def on_device_watch_probed(self, message: DeviceWatch.Probed) -> None:
        self.devices.info = message.info
        if isinstance(self.app.screen, DevicePicker):
            self.app.screen.show_devices(message.info)

    def action_device(self) -> None:
        if self.devices.info is None:
            self.devices.probe_in_background()
        self.app.push_screen(DevicePicker(self.session.device, self.devices.info), self.switch_device)

    def switch_device(self, device: str | None) -> None:
        if device is None or device == self.session.device:
            return
        self.stop_run()
        self.devices.switch(device, self.current)
        self.results.shown = Idle(f"Switching to {device}… your code stays as it is.")
        self.update_header()
