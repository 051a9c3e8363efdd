"""The run pipeline: one run at a time, in a thread, reported by message.

RunController.start() hands the learner's code to a thread that calls the blocking Session.check;
the thread never touches widgets, it posts Finished or Failed to the host (the main screen). Each
run gets its own cancel token and number: a stopped or replaced run can still report, and its
report is then only used to refresh progress.

While it runs, what it prints, its loops' progress and its curves' points gather in the run's
LiveLog (tutor/app/live.py); the thread posts Heard when there is something new and nothing new
was pending, so a flood of output costs one message per repaint.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import partial
from typing import Literal

from textual.dom import DOMNode
from textual.message import Message

from tutor.app.live import LiveLog
from tutor.checking.verdict import Verdict
from tutor.lessons.model import CurveCheck, Exercise
from tutor.sandbox.runspec import RunEvent
from tutor.session import LessonBug, Session, WorkerStartError

FailureKind = Literal["lesson", "worker", "internal"]


class RunController:
    @dataclass
    class Finished(Message):
        """A run ended with a verdict (passed, failed, error, timeout, crashed, or stopped)."""

        run_id: int
        exercise: Exercise
        verdict: Verdict
        check_ms: float  # Session.check, as the run's thread timed it

    @dataclass
    class Failed(Message):
        """A run could not be judged: the lesson is broken, no worker could start, or the tutor failed."""

        run_id: int
        exercise: Exercise
        reason: str
        kind: FailureKind

    @dataclass
    class Heard(Message):
        """The run has shown something new (output, progress, curve points): its LiveLog has it."""

        run_id: int

    def __init__(self, host: DOMNode, session: Session) -> None:
        self.host = host  # runs the threads and receives the messages
        self.session = session
        self.run_id = 0
        self._token: threading.Event | None = None  # set: the run in progress is to stop
        self._started: float | None = None
        self.last_round_trip_ms: float | None = None  # key press handled -> verdict handled
        self.last_check_ms: float | None = None
        self.live = LiveLog()  # the run in progress so far

    @property
    def running(self) -> bool:
        return self._token is not None

    @property
    def stopping(self) -> bool:
        return self._token is not None and self._token.is_set()

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._started if self._started is not None else 0.0

    def start(self, exercise: Exercise, code: str) -> int:
        """Check `code` in the background (a run in progress is replaced); the new run's number."""
        if self._token is not None:
            self._token.set()
        self.run_id += 1
        self._token = threading.Event()
        self._started = time.monotonic()
        self.live = LiveLog()
        self.host.run_worker(partial(self._check, self.run_id, exercise, code, self._token, self.live), thread=True,
                             exclusive=True, group="runner", exit_on_error=False)
        return self.run_id

    def _check(self, run_id: int, exercise: Exercise, code: str, token: threading.Event, live: LiveLog) -> None:
        """On the run's own thread."""
        started = time.perf_counter()

        def hear(event: RunEvent) -> None:  # on the session's threads: never a widget, only a message
            if live.hear(event):
                self.host.post_message(self.Heard(run_id))

        try:
            if self._reference_curves(exercise, live):
                self.host.post_message(self.Heard(run_id))
            verdict = self.session.check(exercise, code, cancel=token, on_event=hear)
        except LessonBug as exc:
            self.host.post_message(self.Failed(run_id, exercise, str(exc), "lesson"))
        except WorkerStartError as exc:
            self.host.post_message(self.Failed(run_id, exercise, str(exc), "worker"))
        except Exception as exc:  # noqa: BLE001 - the learner sees it; the app carries on
            self.host.post_message(self.Failed(run_id, exercise, f"{type(exc).__name__}: {exc}", "internal"))
        else:
            self.host.post_message(self.Finished(run_id, exercise, verdict, (time.perf_counter() - started) * 1000))

    def _reference_curves(self, exercise: Exercise, live: LiveLog) -> bool:
        """The reference's curve of each list a curve check watches, so the learner's grows against
        it (the reference run is cached: Session.check needs it first anyway). False when none."""
        indices = [index for index, check in enumerate(exercise.checks) if isinstance(check, CurveCheck)]
        if not indices:
            return False
        try:
            record = self.session.reference(exercise)
        except Exception:  # noqa: BLE001 - the check itself reports a broken lesson or worker
            return False
        from tutor.checking.curves import series  # on a run's thread, with numpy: not at start

        told = False
        for index in indices:
            found = record.result(index)
            values = series(found.value) if found is not None and not found.missing else None
            if values is not None:
                told = live.set_reference(exercise.checks[index].name, values) or told
        return told

    def stop(self) -> bool:
        """The learner asked to stop the run in progress; False when there is none. Its verdict
        ("stopped") still comes, as Finished."""
        if self._token is None:
            return False
        self._token.set()
        return True

    def forget(self) -> None:
        """Stop the run in progress, if any, and forget it: its report will be stale."""
        if self._token is not None:
            self._token.set()
            self._end()

    def end(self, report: Finished | Failed) -> bool:
        """Leave the running state if this reports the run in progress; False for a stale report."""
        if report.run_id != self.run_id or self._token is None:
            return False
        if isinstance(report, RunController.Finished):
            self.last_round_trip_ms = self.elapsed_s * 1000
            self.last_check_ms = report.check_ms
        self._end()
        return True

    def _end(self) -> None:
        self._token = None
        self._started = None
