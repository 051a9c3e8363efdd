"""Time spent on an exercise, counted from activity so a tutor left open overnight adds no hours."""

from __future__ import annotations

import time
from typing import Callable

IDLE_CAP = 120.0  # seconds: a longer gap between two keystrokes counts as this much


class ActivityClock:
    def __init__(self, now: Callable[[], float] = time.monotonic, idle_cap: float = IDLE_CAP) -> None:
        self._now = now
        self._idle_cap = idle_cap
        self._last: float | None = None
        self._pending = 0.0

    def start(self) -> None:
        self._last = self._now()
        self._pending = 0.0

    def touch(self) -> None:
        """The learner did something: the time since the last touch (capped) was spent."""
        now = self._now()
        if self._last is not None:
            self._pending += min(max(now - self._last, 0.0), self._idle_cap)
        self._last = now

    def take(self) -> float:
        """Seconds gathered since the last take (touching first), ready to add to the store."""
        self.touch()
        seconds, self._pending = self._pending, 0.0
        return seconds
