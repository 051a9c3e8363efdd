"""What a run has shown so far, gathered from the session's threads for the results pane to draw.

The run's listener (RunController, on the tutor's threads) hands every event to `LiveLog.hear`;
the screen takes a `LiveView` with `snapshot()` when it repaints. `hear` says when the screen must
be told: only the first event after a snapshot, so a flood of output posts one message per repaint,
not one per chunk. Nothing here touches a widget or imports Textual.

Everything in it came from learner code: the output is kept raw (carriage returns are applied over
the whole tail, so a progress line split between two chunks still rewrites itself) and made safe
(tutor/render/safe.py `printed`) when a snapshot is taken.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from tutor.render.safe import printed
from tutor.safetext import visible
from tutor.sandbox.runspec import CurveEvent, OutputEvent, ProgressEvent, RunEvent

MAX_OUTPUT_CHARS = 32_000  # the tail kept while it runs; the verdict brings the whole (capped) output
MAX_CURVE_POINTS = 100_000  # as the engine's own cap on one event
MAX_LABELS = 8  # progress bars and curves drawn at once (a loop per item would flood the pane)


@dataclass(frozen=True)
class Bar:
    """A loop's progress as last heard."""

    label: str
    n: float
    total: float | None
    rate: float | None  # per second
    done: bool

    @property
    def eta_s(self) -> float | None:
        if self.total is None or not self.rate or self.rate <= 0 or self.done:
            return None
        return max(0.0, (self.total - self.n) / self.rate)


@dataclass(frozen=True)
class Curve:
    name: str
    yours: tuple[float, ...]
    reference: tuple[float, ...] | None


@dataclass(frozen=True)
class LiveView:
    """The run so far, as the results pane draws it."""

    output: str  # safe to draw
    bars: tuple[Bar, ...] = ()
    curves: tuple[Curve, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.output or self.bars or self.curves)


class LiveLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._output = ""
        self._bars: dict[str, Bar] = {}
        self._curves: dict[str, list[float]] = {}
        self._references: dict[str, tuple[float, ...]] = {}
        self._dirty = False

    def hear(self, event: RunEvent) -> bool:
        """Take one event (any thread). True when the screen should be told: nothing new was
        pending since its last snapshot."""
        with self._lock:
            if isinstance(event, OutputEvent):
                self._add_output(event.text)
            elif isinstance(event, ProgressEvent):
                self._add_progress(event)
            elif isinstance(event, CurveEvent):
                self._add_points(event)
            else:
                return False
            return self._mark()

    def set_reference(self, name: str, values: tuple[float, ...]) -> bool:
        """The reference solution's curve for a watched list (drawn dotted from the start)."""
        with self._lock:
            if len(self._references) >= MAX_LABELS:
                return False
            self._references[name] = tuple(values[:MAX_CURVE_POINTS])
            self._curves.setdefault(name, [])
            return self._mark()

    def snapshot(self) -> LiveView:
        with self._lock:
            self._dirty = False
            output = self._output
            bars = tuple(self._bars.values())
            curves = tuple(Curve(visible(name), tuple(points), self._references.get(name))
                           for name, points in self._curves.items())
        return LiveView(printed(output).rstrip("\n"), bars, curves)

    # -- under the lock -----------------------------------------------------------------------------
    def _mark(self) -> bool:
        was_clean = not self._dirty
        self._dirty = True
        return was_clean

    def _add_output(self, text: str) -> None:
        output = self._output + text
        if len(output) > MAX_OUTPUT_CHARS:
            output = output[-MAX_OUTPUT_CHARS:]
            cut = output.find("\n")
            output = output[cut + 1:] if 0 <= cut < 200 else output  # start on a whole line
        self._output = output

    def _add_progress(self, event: ProgressEvent) -> None:
        label = visible(event.label)[:60] or "progress"
        if label not in self._bars and len(self._bars) >= MAX_LABELS:
            return
        total = event.total if event.total is not None and math.isfinite(event.total) and event.total > 0 else None
        rate = event.rate if event.rate is not None and math.isfinite(event.rate) else None
        n = event.n if math.isfinite(event.n) else 0.0
        self._bars[label] = Bar(label, n, total, rate, event.done)

    def _add_points(self, event: CurveEvent) -> None:
        if event.name not in self._curves and len(self._curves) >= MAX_LABELS:
            return
        points = self._curves.setdefault(event.name, [])
        start = min(event.start, len(points))  # a gap (never sent) is not invented
        points[start:] = event.values  # the list from `start` on, as it is now
        del points[MAX_CURVE_POINTS:]
