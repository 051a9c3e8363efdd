"""The run pipeline: RunRequested -> a thread worker calls the blocking Session.check ->
RunFinished / RunFailed. Also the worker's state in the header, and switching device.

Workers never touch widgets; they post messages. Each run gets its own cancel token and number:
a stopped or replaced run can still report, and its report is then only used to refresh progress.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from textual import work

from tutor.app.messages import (DevicesProbed, RunFailed, RunFinished, RunRequested, SandboxStartFailed,
                                SandboxStateChanged)
from tutor.app.screens.device_picker import DevicePicker
from tutor.lessons.model import Exercise
from tutor.session import LessonBug, WorkerStartError

MAIN_SCREEN_ACTIONS = {"run", "hint", "next", "previous", "solution", "reset_code", "device",
                       "toggle_lessons", "external_editor", "save"}

if TYPE_CHECKING:
    from tutor.app.app import TutorApp

    _Base = TutorApp
else:
    _Base = object


class RunnerMixin(_Base):
    def init_runner(self) -> None:
        self.run_id = 0
        self.run_token: threading.Event | None = None
        self.run_started: float | None = None
        self.last_round_trip_ms: float | None = None
        self.last_check_ms: float | None = None
        self._elapsed_timer = None

    # -- run & check --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.run_token is not None

    def action_run(self) -> None:
        if self.current is None:
            return
        self.flush_draft()
        self.activity.touch()
        self.post_message(RunRequested(self.current.full_id, self.editor.text))

    def on_run_requested(self, message: RunRequested) -> None:
        if self.run_token is not None:
            self.run_token.set()  # a new run replaces the one in progress
        self.run_id += 1
        self.run_token = threading.Event()
        self.run_started = time.monotonic()
        self.editor.error_line = None
        self.results.show_running(self.run_device(), 0.0 if self.show_timings else None)
        if self.show_timings:
            if self._elapsed_timer is None:
                self._elapsed_timer = self.set_interval(0.1, self._tick_elapsed)
            else:
                self._elapsed_timer.resume()
        self.check_in_background(self.run_id, message.full_id, message.code, self.run_token)

    @work(thread=True, exclusive=True, group="runner", exit_on_error=False)
    def check_in_background(self, run_id: int, full_id: str, code: str, token: threading.Event) -> None:
        started = time.perf_counter()
        try:
            verdict = self.session.check(self.catalog.exercise(full_id), code, cancel=token)
        except LessonBug as exc:
            self.post_message(RunFailed(run_id, full_id, str(exc), "lesson"))
        except WorkerStartError as exc:
            self.post_message(RunFailed(run_id, full_id, str(exc), "worker"))
        except Exception as exc:  # noqa: BLE001 - the learner sees it; the app carries on
            self.post_message(RunFailed(run_id, full_id, f"{type(exc).__name__}: {exc}", "internal"))
        else:
            self.post_message(RunFinished(run_id, full_id, verdict, (time.perf_counter() - started) * 1000))

    def _end_run(self, run_id: int) -> bool:
        """Leave the running state if this is the current run; False for a stale report."""
        if run_id != self.run_id or self.run_token is None:
            return False
        self.run_token = None
        if self._elapsed_timer is not None:
            self._elapsed_timer.pause()
        return True

    def on_run_finished(self, message: RunFinished) -> None:
        if message.run_id == self.run_id and self.run_started is not None:
            # From the key press being handled to the verdict arriving here: what the learner waits.
            self.last_round_trip_ms = (time.monotonic() - self.run_started) * 1000
        current = self._end_run(message.run_id)
        self.refresh_progress()
        if not current or self.current is None or message.full_id != self.current.full_id:
            return
        self.last_check_ms = message.round_trip_ms  # Session.check, as the worker thread saw it
        verdict = message.verdict
        following = self.catalog.neighbour(self.current.full_id, +1)
        self.results.show_verdict(verdict, self.show_timings, following.title if following else None)
        if verdict.error is not None and verdict.error.line and verdict.status == "error":
            self.editor.error_line = verdict.error.line
        if verdict.passed:
            self.notify("Passed! ctrl+n opens the next exercise." if following else "Passed!",
                        title=self.current.title, timeout=4)

    def on_run_failed(self, message: RunFailed) -> None:
        current = self._end_run(message.run_id)
        if not current or self.current is None or message.full_id != self.current.full_id:
            return
        titles = {"lesson": "This exercise is broken", "worker": "The PyTorch worker could not start",
                  "internal": "The tutor hit a problem"}
        self.results.show_failure(titles[message.kind], message.reason)

    def _tick_elapsed(self) -> None:
        if self.run_started is not None and self.running:
            self.results.show_running(self.run_device(), time.monotonic() - self.run_started,
                                      stopping=self.run_token.is_set())

    def action_stop(self) -> None:
        if self.run_token is not None:  # nothing to stop otherwise
            self.run_token.set()
            self.results.show_running(self.run_device(), None if not self.show_timings else
                                      time.monotonic() - (self.run_started or time.monotonic()), stopping=True)

    def stop_run(self) -> None:
        """Stop the run in progress, if any, and forget it (its report will be stale)."""
        if self.run_token is not None:
            self.run_token.set()
            self._end_run(self.run_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1:
            return False  # behind a dialog (help, device, a question) these would act unseen
        return True

    # -- preparing the reference, worker state ------------------------------------------------------
    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def prepare_in_background(self, exercise: Exercise) -> None:
        self.session.prepare(exercise)  # the learner's first run then only runs their code

    @work(thread=True, exclusive=True, group="startup", exit_on_error=False)
    def wait_for_worker(self, device: str) -> None:
        try:
            self.session.pool(device).ready()
        except WorkerStartError as exc:
            self.post_message(SandboxStartFailed(device, str(exc)))
            return
        # Look for devices now, once the worker is up (both import torch: not at the same time on a
        # small machine), so the device picker opens with its list ready.
        if self.device_info is None:
            self.post_message(DevicesProbed(self._probe_safely()))

    def _probe_safely(self) -> dict:
        try:
            return self.probe()
        except Exception as exc:  # noqa: BLE001 - shown in the picker
            return {"devices": [], "error": str(exc)}

    def _worker_state_from_thread(self, device: str, state: str) -> None:
        """Called by the worker pool, on its own threads."""
        try:
            self.post_message(SandboxStateChanged(device, state))
        except RuntimeError:
            pass  # the app is shutting down and its loop is closed

    def on_sandbox_state_changed(self, message: SandboxStateChanged) -> None:
        self.worker_states[message.device] = message.state
        self.update_header()

    def on_sandbox_start_failed(self, message: SandboxStartFailed) -> None:
        self.worker_states[message.device] = "failed"
        self.update_header()
        self.notify(message.reason, title=f"No worker on {message.device}", severity="error", timeout=30)

    # -- device -------------------------------------------------------------------------------------
    def action_device(self) -> None:
        if isinstance(self.screen, DevicePicker):
            return
        if self.device_info is None:
            self.probe_in_background()
        self.push_screen(DevicePicker(self.session.device, self.device_info), self.switch_device)

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def probe_in_background(self) -> None:
        self.post_message(DevicesProbed(self._probe_safely()))

    def on_devices_probed(self, message: DevicesProbed) -> None:
        self.device_info = message.info
        if isinstance(self.screen, DevicePicker):
            self.screen.show_devices(message.info)

    def switch_device(self, device: str | None) -> None:
        if device is None or device == self.session.device:
            return
        self.stop_run()
        self.worker_states[device] = "starting"
        self.results.show_idle(f"Switching to {device}… your code stays as it is.")
        self.switch_device_in_background(device)
        self.update_header()

    @work(thread=True, exclusive=True, group="device", exit_on_error=False)
    def switch_device_in_background(self, device: str) -> None:
        self.session.set_device(device)  # stops the old device's workers, starts the new one's
        try:
            self.session.pool(device).ready()
        except WorkerStartError as exc:
            self.post_message(SandboxStartFailed(device, str(exc)))
            return
        exercise = self.current
        if exercise is not None:
            self.session.prepare(exercise)
