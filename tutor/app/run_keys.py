"""Run & check from the main screen (a mixin of MainScreen): F5 and ctrl+t, the results pane while a
run is in progress, and the verdict when it comes.

F5 before the worker has started (torch takes 10-30 s to import on a busy machine) queues the run:
the results pane says what it waits for, and the run starts when the worker reports ready.

While a run runs, the pane shows what it has shown so far (tutor/app/widgets/live_view.py): each
Heard from the run's thread repaints it, at most once per REPAINT_S, so a print in a hot loop
leaves the keys answered at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.timer import Timer

from tutor.app.actions import first_key
from tutor.app.devices import DeviceWatch
from tutor.app.runs import RunController
from tutor.app.widgets.results import Broken, Judged, Running, Waiting
from tutor.start_times import describe

if TYPE_CHECKING:
    from tutor.app.coach import Coach
    from tutor.app.widgets.code_editor import CodeEditor
    from tutor.app.widgets.results import Results
    from tutor.lessons.catalog import Catalog
    from tutor.lessons.model import Exercise

FAILURE_TITLES = {"lesson": "This exercise is broken", "worker": "The PyTorch worker could not start",
                  "internal": "The tutor hit a problem"}
REPAINT_S = 0.08  # the live view's repaints, at most one per this many seconds
STARTING = "importing torch…"  # what a starting worker spends its time on
RELEASED = "released"  # the session stopped its workers for being idle; the next run starts them
NOT_STARTED = {None, "starting", "stopped", RELEASED}  # states in which a run would only wait for the worker


class RunKeys:
    _elapsed_timer: Timer | None = None
    _repaint_timer: Timer | None = None
    _last_repaint: float = 0.0
    queued: Exercise | None = None  # the exercise whose run waits for its worker

    if TYPE_CHECKING:  # what the mixin uses of MainScreen
        runs: RunController
        devices: DeviceWatch
        coach: Coach
        editor: CodeEditor
        results: Results
        catalog: Catalog
        current: Exercise | None
        show_timings: bool

        def run_device(self) -> str: ...
        def is_open(self, exercise: Exercise) -> bool: ...
        def refresh_progress(self) -> None: ...
        def update_header(self) -> None: ...
        def set_interval(self, interval: float, callback) -> Timer: ...
        def set_timer(self, delay: float, callback) -> Timer: ...

    def starting_words(self, device: str) -> str:
        """What a starting worker is doing, with how long it took last time: "importing torch… (3 s
        last time)"."""
        return STARTING + describe(self.devices.last_start_s(device))

    def worker_waiting(self) -> bool:
        """True while the device's worker is starting for the first time, or again after an idle
        release (after a crash, a run goes straight to the pool, which brings up the spare in
        milliseconds)."""
        device = self.run_device()
        return device not in self.devices.ever_ready and self.devices.states.get(device) in NOT_STARTED

    def action_run(self) -> None:
        if self.current is None:
            return
        self.coach.flush_draft()
        self.coach.activity.touch()
        self.editor.error_line = None
        self.results.hint = None
        if self.worker_waiting():
            self.queued = self.current
            device = self.run_device()
            self.devices.started_at.setdefault(device, time.monotonic())  # after a release: now
            if self.devices.states.get(device) == RELEASED:
                self.devices.note_state(device, "starting")  # the header says so now, not when the pool does
                self.update_header()
            self.results.shown = self._waiting()
            self._tick_every_100ms()
            self.devices.ensure_ready(self.run_device())  # its "ready" starts the run
            return
        self._start_run()

    def _start_run(self) -> None:
        self.queued = None
        assert self.current is not None
        self.runs.start(self.current, self.editor.text)
        self.results.shown = self.running_shown()
        self._tick_every_100ms()

    def running_shown(self, stopping: bool = False) -> Running:
        """The run in progress as the pane shows it: elapsed time and what it has shown so far."""
        live = self.runs.live.snapshot()
        return Running(self.run_device(), self.runs.elapsed_s if self.show_timings else None,
                       stopping=stopping or self.runs.stopping, live=None if live.empty else live)

    def on_run_controller_heard(self, message: RunController.Heard) -> None:
        if message.run_id != self.runs.run_id or not self.runs.running:
            return
        wait = self._last_repaint + REPAINT_S - time.monotonic()
        if wait <= 0:
            self._repaint_live()
        elif self._repaint_timer is None:
            self._repaint_timer = self.set_timer(wait, self._repaint_live)

    def _repaint_live(self) -> None:
        self._repaint_timer = None
        self._last_repaint = time.monotonic()
        if self.runs.running and self.queued is None:
            self.results.shown = self.running_shown()

    def _waiting(self) -> Waiting:
        device = self.run_device()
        started = self.devices.started_at.get(device)
        elapsed = time.monotonic() - started if started is not None and self.show_timings else None
        return Waiting(device, self.starting_words(device), elapsed)

    def _tick_every_100ms(self) -> None:
        if not self.show_timings:
            return
        if self._elapsed_timer is None:
            self._elapsed_timer = self.set_interval(0.1, self._tick_elapsed)
        else:
            self._elapsed_timer.resume()

    def _tick_elapsed(self) -> None:
        if self.queued is not None:
            self.results.shown = self._waiting()
        elif self.runs.running:
            self._last_repaint = time.monotonic()  # the tick draws what the run has shown too
            self.results.shown = self.running_shown()

    def _run_ended(self) -> None:
        if self._elapsed_timer is not None:
            self._elapsed_timer.pause()

    def start_queued_run(self) -> None:
        """The worker is ready: the run F5 asked for starts now (if its exercise is still open)."""
        if self.queued is not None and self.is_open(self.queued) and not self.worker_waiting():
            self._start_run()

    def action_stop(self) -> None:
        if self.queued is not None:
            self.queued = None
            self._run_ended()
            self.results.shown = Broken("Run cancelled", f"{first_key('run')} runs your code once the worker is ready.")
            return
        if self.runs.stop():
            self.results.shown = self.running_shown(stopping=True)

    def stop_run(self) -> None:
        """Stop the run in progress (or forget the queued one), if any: its report would be stale."""
        self.queued = None
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
        # No "Passed!" notification: the verdict says it and names the next exercise, and a toast
        # sat over the results pane's last lines (at 80x24, over the next exercise's report too).

    def on_run_controller_failed(self, message: RunController.Failed) -> None:
        current = self.runs.end(message)
        if current:
            self._run_ended()
        if not current or not self.is_open(message.exercise):
            return
        self.results.shown = Broken(FAILURE_TITLES[message.kind], message.reason)
