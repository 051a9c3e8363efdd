"""A Textual driver for the start-up bench (tutor/bench/startup.py): the bench launches the real
`ptref-tutor app` command, as a learner does, with TEXTUAL_DRIVER naming this class (Textual's own
way to choose a driver). Everything a learner's start does runs unchanged (the command line, site
defaults, the lesson packs, the store, the template, the app); only the screen is not a terminal.

The first screen is the app's first write of a whole frame (rendered to text as for a terminal); then, on a thread, the driver waits for the
worker to be ready and the spare too, prints the timeline (ms since PTREF_BENCH_LAUNCHED, the
parent's wall clock when it started this process) as one `FIGURES {json}` line, and ends the app.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from textual.drivers.headless_driver import HeadlessDriver

from tutor.sandbox.template import TEMPLATES

LAUNCHED_ENV = "PTREF_BENCH_LAUNCHED"


# Modules the first screen has no use for (tutor/app/app.py imports them after it): the probe
# says which of them were loaded all the same, so a test can hold the first screen light.
NOT_FOR_THE_FIRST_SCREEN = ("numpy", "tutor.checking.judge", "tutor.render.verdict", "tutor.sandbox.record",
                            "tutor.app.screens.help", "tutor.linting.prove", "tutor.lessons.loader", "tomllib")
FRAME = 1000  # characters: smaller writes are control sequences (the pointer's shape), not a frame


class StartupProbeDriver(HeadlessDriver):
    _first_frame_at: float | None = None

    @property
    def is_headless(self) -> bool:
        return False  # so the app renders every frame to text and writes it, as it would to a terminal

    def write(self, data: str) -> None:
        if self._first_frame_at is None and len(data) >= FRAME:
            self._first_frame_at = time.monotonic()
            self._first_frame_cpu = time.process_time()
            self._loaded_early = [name for name in NOT_FOR_THE_FIRST_SCREEN if name in sys.modules]
            self._modules_at_first_frame = len(sys.modules)
            threading.Thread(target=self._finish, name="ptref-startup-probe", daemon=True).start()

    def _finish(self) -> None:
        app = self._app
        try:
            marks = startup_marks(app, self._first_frame_at)
            # The UI process's CPU time until then: what a busy machine stretches, not what it adds
            marks["first screen cpu"] = round(self._first_frame_cpu * 1000, 1)
            marks["loaded before the first screen"] = self._loaded_early
            marks["modules at the first screen"] = self._modules_at_first_frame
            marks["loaded once ready"] = [name for name in NOT_FOR_THE_FIRST_SCREEN if name in sys.modules]
        except Exception as exc:  # the bench reports it; the app must still end
            marks = {"error": f"{type(exc).__name__}: {exc}"}
        # sys.__stdout__: while the app runs, Textual captures print() (this is not a headless driver)
        sys.__stdout__.write("FIGURES " + json.dumps(marks) + "\n")
        sys.__stdout__.flush()
        app.call_from_thread(app.exit)


def startup_marks(app, first_frame_at: float) -> dict:
    launched = float(os.environ.get(LAUNCHED_ENV, "nan"))
    offset = time.time() - time.monotonic()

    def since(stamp: float | None) -> float | None:  # a monotonic stamp -> ms since launch
        return round((stamp + offset - launched) * 1000, 1) if stamp is not None else None

    marks: dict = {"first screen": since(first_frame_at)}
    hello = app.session.ready()
    marks["ready"] = since(time.monotonic())
    pool = app.session.pool()
    pool.wait_spare()
    worker = pool._active
    template = next(iter(TEMPLATES._templates.values()), None)
    if template is not None:
        marks["template spawned"] = since(template.spawned_at)
        marks["torch imported"] = since(template.ready_at)
    started = since(worker.spawned_at)
    marks["worker forked" if hello.get("forked") else "worker started"] = started
    for name, ms in hello.get("timeline_ms", {}).items():
        if name != "torch imported" or template is None:
            marks["worker: " + name] = round(started + ms, 1)
    spare = pool._spare
    marks["spare ready"] = since(spare.ready_at) if spare is not None and spare.ready_at else None
    marks["forked"] = bool(hello.get("forked"))
    return marks
