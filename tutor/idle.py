"""Idle release: after a while without a run, a learner's workers are stopped, so an idle learner
on a shared server holds only the tutor's own ~70 MB (no torch, no CUDA context). The next run
starts them again."""

from __future__ import annotations

import threading
import time
from typing import Callable


class IdleWatch:
    """Calls `on_idle` once after `limit_s` seconds without `touch()`, then waits for the next touch.
    An `on_idle` that returns False (it could not release: a run is in progress) is asked again
    `limit_s` later."""

    def __init__(self, limit_s: float, on_idle: Callable[[], bool | None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit_s = limit_s
        self._on_idle = on_idle
        self._clock = clock
        self._last = clock()
        self._idle = False
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def touch(self) -> None:
        self._last = self._clock()
        self._idle = False
        if self._thread is None and self.limit_s > 0:
            self._thread = threading.Thread(target=self._watch, name="ptref-idle", daemon=True)
            self._thread.start()

    @property
    def idle(self) -> bool:
        return self._idle

    def _watch(self) -> None:
        while not self._closed:
            left = self._last + self.limit_s - self._clock()
            if left > 0 or self._idle:
                self._wake.wait(min(max(left, 0.05), 30.0) if not self._idle else 30.0)
                self._wake.clear()
                continue
            try:
                released = self._on_idle() is not False
            except Exception:
                released = True  # releasing is a saving, never a reason to fail: do not retry in a loop
            if released:
                self._idle = True
            else:
                self._last = self._clock()

    def close(self) -> None:
        self._closed = True
        self._wake.set()
