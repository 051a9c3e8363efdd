"""The main screen: lessons, the exercise, the editor and the results, and every key that acts on
them. Modal screens (help, a question, the device picker) pushed over it block its keys.

The screen composes the widgets and routes messages between its parts, each with one job:
RunController (tutor/app/runs.py) owns the run in progress, Coach (coach.py) the learner's draft,
time, hints, solution, reset and $EDITOR, DeviceWatch (devices.py) the workers' state and devices,
StoreWatch (store_watch.py) what other processes change in the store. The keys live in two
mixins: the panes and their scroll keys (panes.py), run & check (run_keys.py).
"""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import TextArea

from tutor.app.actions import BY_ID, bindings, first_key, key_label
from tutor.app.author import AuthorMode, AuthorWatch
from tutor.app.coach import Coach
from tutor.app.commands import TutorCommands
from tutor.app.devices import DeviceWatch
from tutor.app.panes import PaneKeys
from tutor.app.resume import starting_exercise
from tutor.app.run_keys import RELEASED, STARTING, RunKeys
from tutor.app.shows import ShowRunner
from tutor.app.runs import RunController
from tutor.app.store_watch import StoreWatch
from tutor.app.widgets.code_editor import CodeEditor
from tutor.app.widgets.explanation import Explanation, Shown
from tutor.app.widgets.footer import TutorFooter
from tutor.app.widgets.header import TutorHeader
from tutor.app.widgets.lesson_tree import LessonTree
from tutor.app.widgets.results import Broken, HintShown, Idle, Results
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise
from tutor.progress.store import ExerciseProgress, ProgressStore
from tutor.session import Session
from tutor.start_times import describe


def idle_message() -> str:
    run = BY_ID["run"].keys
    return (f"Press {key_label(run[0])} (or {key_label(run[1])}) to run and check your code. "
            f"{first_key('hint')} gives a hint, {first_key('help')} lists every key.")


def starting_message(device: str, last_start_s: float | None) -> str:
    how_long = (f"It took {describe(last_start_s).strip(' ()')}." if last_start_s is not None
                else "This takes a few seconds (up to half a minute on a busy machine).")
    return (f"Starting the PyTorch worker on {device}: {STARTING} {how_long} Type away: {first_key('run')} "
            "now runs your code as soon as the worker is ready.")


class MainScreen(PaneKeys, RunKeys, AuthorMode, Screen[None]):
    BINDINGS = bindings("screen")  # the table of actions in tutor/app/actions.py
    COMMANDS = {TutorCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (130, "-wider")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, catalog: Catalog, store: ProgressStore, session: Session, *,
                 start_at: Exercise | None = None, notices: tuple[str, ...] = (),
                 probe: Callable[[], dict], show_timings: bool = True, cursor_blink: bool = True,
                 worker_python: str | None = None, author: bool = False) -> None:
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
        self.store_watch = StoreWatch(self, store)
        self.author = AuthorWatch(self, catalog, session) if author else None  # --author: lesson files watched
        self.shows = ShowRunner(self, session)
        self._elapsed_timer: Timer | None = None

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TutorHeader(icon="▶", id="header")
        with Horizontal(id="main"):
            yield LessonTree(self.catalog, id="lessons")
            yield Explanation(id="explanation")
            with Vertical(id="work"):
                yield CodeEditor.code_editor("", language="python", id="editor")
                yield Results(show_timing=self.show_timings, id="results")
        yield TutorFooter()

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
        self.apply_lesson_visibility()
        self.session.start()  # returns at once; the worker imports torch in the background
        self.devices.wait_for_worker(self.session.device)
        progress = self.progress()
        self.tree.build(progress)
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=30)
        if self.store.notice:
            self.notify(self.store.notice, severity="warning", timeout=30)
        self.store_watch.start()
        if self.author is not None:
            self.author.start()
        exercise = self.start_at or starting_exercise(self.catalog, progress, self.store.position())
        if exercise is None:
            self.results.shown = Broken("No lessons", "No lesson pack has any exercise. Add one with --lessons DIR.")
            return
        self.open_exercise(exercise)

    def on_unmount(self) -> None:
        self.store_watch.stop()
        if self.author is not None:
            self.author.stop()
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
        if state == "starting":
            worker = f"{device} starting PyTorch: {self.starting_words(device)}"
        elif state == RELEASED:  # in the learner's words: nothing is wrong, and the next run starts it
            worker = f"{device}: worker stopped while idle – {first_key('run')} starts it"
        else:
            worker = f"{device} {state}"
        where = self.current.full_id if self.current else "no exercise"
        self.sub_title = f"{where} · {worker}"
        self.query_one(TutorHeader).show(self.sub_title)

    def idle(self) -> Idle:
        """What the results pane says before the first run: how to run, or what start-up waits for."""
        starting = self.worker_waiting() and self.devices.states.get(self.run_device()) != RELEASED
        device = self.run_device()
        return Idle(starting_message(device, self.devices.last_start_s(device)) if starting else idle_message())

    # -- navigation ---------------------------------------------------------------------------------
    def on_lesson_tree_exercise_chosen(self, message: LessonTree.ExerciseChosen) -> None:
        self.open_exercise(message.exercise)

    def open_exercise(self, exercise: Exercise) -> None:
        if self.current is not None:  # (at start-up, the notices about the packs and the store stay)
            self.app.clear_notifications()  # what they said was about the exercise left behind
        self.coach.leave()
        self.current = exercise
        self.store_watch.exercise = exercise.full_id
        self.store.set_position(exercise.full_id)
        self.stop_run()  # a run for the exercise we left would only confuse the results pane
        self.coach.open(exercise)
        self.show_explanation(scroll_home=True)
        self.results.hint = None
        self.results.shown = self.idle()
        self.tree.show_exercise(exercise.full_id)
        self.update_header()
        self.editor.focus()
        self.run_worker(lambda: self.session.prepare(exercise), thread=True, exclusive=True, group="prepare",
                        exit_on_error=False)  # the learner's first run then only runs their code
        self.shows.start(self.catalog.lesson(exercise.lesson_id))  # the lesson's pictures, drawn when they come

    def on_show_runner_drawn(self, message: ShowRunner.Drawn) -> None:
        self.explanation.add_shown(message.lesson_id, message.values)

    def is_open(self, exercise: Exercise) -> bool:
        return self.current is not None and exercise.full_id == self.current.full_id

    def show_explanation(self, scroll_home: bool = False) -> None:
        exercise = self.current
        if exercise is None:
            return
        self.explanation.ahead = [self.shown(neighbour) for neighbour in
                                  (self.catalog.neighbour(exercise.full_id, +1), self.catalog.neighbour(exercise.full_id, -1))
                                  if neighbour is not None]  # rendered ahead, while the learner reads
        shown = self.shown(exercise)
        self.explanation.show(shown.lesson, exercise, shown.hints, shown.solution, scroll_home=scroll_home)

    def shown(self, exercise: Exercise) -> Shown:
        """The exercise as its pane shows it: with the hints taken and the solution once revealed."""
        hints = exercise.hints[:self.store.hints_used(exercise.full_id)]
        solution = exercise.solution if self.store.solution_revealed(exercise.full_id) else None
        return Shown(self.catalog.lesson(exercise.lesson_id), exercise, tuple(hints), solution)

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

    def action_help(self) -> None:
        # Imported when first opened, as the device picker: not on the first screen's path
        from tutor.app.screens.help import HelpScreen, help_text

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
            # The hint goes where the learner is looking, the results pane, read from its first line;
            # it stays under the exercise's prompt too. The exercise pane keeps its place.
            if message.hint is None:
                self.show_explanation(scroll_home=True)
            else:
                exercise = message.exercise
                self.results.hint = HintShown(message.hint, len(exercise.hints), exercise.hints[message.hint - 1])
                self.call_after_refresh(self.show_explanation)  # its copy under the prompt: the next frame
        self.refresh_progress()

    def on_coach_code_returned(self, message: Coach.CodeReturned) -> None:
        if self.is_open(message.exercise):
            self.action_run()

    # -- another process changed the store ----------------------------------------------------------
    def on_store_watch_changed(self, message: StoreWatch.Changed) -> None:
        self.tree.update_marks(message.progress)
        if self.current is not None and message.exercise == self.current.full_id:
            self.coach.draft_changed_elsewhere(message.draft)

    # -- devices ------------------------------------------------------------------------------------
    def on_device_watch_state_changed(self, message: DeviceWatch.StateChanged) -> None:
        waiting = self.worker_waiting()
        self.devices.note_state(message.device, message.state)
        self.update_header()
        if waiting and not self.worker_waiting():
            if self.queued is not None:
                self.start_queued_run()
            elif isinstance(self.results.shown, Idle):
                self.results.shown = self.idle()  # "starting the worker…" becomes "press F5…"

    def on_device_watch_start_failed(self, message: DeviceWatch.StartFailed) -> None:
        self.devices.states[message.device] = "failed"
        self.update_header()
        if self.queued is not None:
            self.stop_run()
            self.results.shown = Broken("The PyTorch worker could not start", message.reason)
        self.notify(message.reason, title=f"No worker on {message.device}", severity="error", timeout=30)

    def on_device_watch_probed(self, message: DeviceWatch.Probed) -> None:
        self.devices.info = message.info
        from tutor.app.screens.device_picker import DevicePicker

        if isinstance(self.app.screen, DevicePicker):
            self.app.screen.show_devices(message.info)

    def action_device(self) -> None:
        if self.devices.info is None:
            self.devices.probe_in_background()
        from tutor.app.screens.device_picker import DevicePicker

        self.app.push_screen(DevicePicker(self.session.device, self.devices.info), self.switch_device)

    def switch_device(self, device: str | None) -> None:
        if device is None or device == self.session.device:
            return
        self.stop_run()
        self.devices.switch(device, self.current)
        self.results.shown = Idle(f"Switching to {device}… your code stays as it is.")
        self.update_header()
