"""What a run tells the tutor while it runs: progress (tqdm, or the `progress` helper) and the
points of the curves its checks watch (a list of losses growing as it trains).

Events travel on the control pipe as frames of their own, before the run's reply, at most one
per kind every 50 ms, so a hot loop cannot flood the pipe. tqdm is replaced in the worker by a
subclass that draws nothing on the terminal (the tutor draws the bar) and reports its state.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable, Iterable

from tutor.sandbox.runspec import CurveEvent, ProgressEvent

MIN_INTERVAL = 0.05  # seconds between two events of one kind
SAMPLE_INTERVAL = 0.1  # seconds between two looks at the watched curves
MAX_POINTS = 10_000  # per curve and run: what a plot can show, and a bound on the traffic


class Events:
    def __init__(self, send: Callable[[dict], None]) -> None:
        self._send = send  # writes one frame on the control pipe (thread-safe)
        self._lock = threading.Lock()
        self._request_id: str | None = None
        self._last_progress = 0.0
        self._namespace: dict | None = None
        self._curves: dict[str, int] = {}  # name -> points sent
        self._sampler: threading.Thread | None = None
        self._stop = threading.Event()

    # -- a run ----------------------------------------------------------------------------------------
    def begin(self, request_id: str | None) -> None:
        with self._lock:
            self._request_id = request_id if isinstance(request_id, str) else None
            self._last_progress = 0.0

    def end(self) -> None:
        self.stop_watching()
        with self._lock:
            self._request_id = None

    def _emit(self, event: ProgressEvent | CurveEvent) -> None:
        with self._lock:
            if self._request_id is None:
                return
            frame = dict(event.to_wire(), id=self._request_id)
        self._send(frame)

    # -- progress -------------------------------------------------------------------------------------
    def progress(self, label: str, n: float, total: float | None, elapsed_s: float, rate: float | None,
                 done: bool = False) -> None:
        now = time.monotonic()
        if not done and now - self._last_progress < MIN_INTERVAL:
            return
        self._last_progress = now
        self._emit(ProgressEvent(label=label[:80], n=_number(n), total=_number(total) if total else None,
                                 elapsed_s=_number(elapsed_s), rate=_number(rate) if rate else None, done=done))
        self.sample_curves()  # a training loop's progress is a good moment to look at its losses

    # -- curves ---------------------------------------------------------------------------------------
    def watch(self, names: Iterable[str], namespace: dict) -> None:
        """Send the new points of these lists in `namespace` as the code appends to them."""
        names = tuple(names)
        if not names:
            return
        self._namespace = namespace
        self._curves = {name: 0 for name in names}
        self._stop.clear()
        self._sampler = threading.Thread(target=self._sample_forever, name="ptref-curves", daemon=True)
        self._sampler.start()

    def stop_watching(self) -> None:
        if self._sampler is not None:
            self._stop.set()
            self._sampler.join(timeout=1.0)
            self._sampler = None
            self.sample_curves()  # the last points
        self._namespace = None
        self._curves = {}

    def _sample_forever(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self.sample_curves()

    def sample_curves(self) -> None:
        namespace = self._namespace
        if not namespace:
            return
        for name, sent in list(self._curves.items()):
            values = namespace.get(name)
            if not isinstance(values, list) or len(values) <= sent or sent >= MAX_POINTS:
                continue
            new = [_point(value) for value in values[sent:MAX_POINTS]]  # a slice: a copy, taken at once
            self._curves[name] = sent + len(new)
            self._emit(CurveEvent(name=name, start=sent, values=tuple(new)))


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _point(value: object) -> float:
    """A curve's point as a float; NaN for what is not a number (shown as a gap, never a crash)."""
    try:
        if hasattr(value, "item") and getattr(value, "numel", lambda: 1)() == 1:
            value = value.item()  # a 0-d tensor: the common `losses.append(loss)` slip
        return float(value)  # type: ignore[arg-type]
    except Exception:
        return math.nan


def install_tqdm(events: Events) -> bool:
    """Make tqdm (and `tqdm.auto`, `trange`) report to the tutor instead of drawing on stderr,
    where its carriage returns would garble the results pane. False when tqdm is not installed."""
    try:
        import tqdm
        import tqdm.auto
        import tqdm.std
    except ImportError:
        return False

    class TutorTqdm(tqdm.std.tqdm):
        monitor_interval = 0  # no monitor thread: a thread left running taints the worker

        def __init__(self, *args, **kwargs) -> None:
            kwargs["file"] = _Discard()
            kwargs.setdefault("mininterval", MIN_INTERVAL)
            super().__init__(*args, **kwargs)

        def display(self, msg=None, pos=None) -> bool:
            self._report(done=False)
            return True

        def close(self) -> None:
            closing = not getattr(self, "disable", True)
            super().close()
            if closing:
                self._report(done=True)

        def _report(self, done: bool) -> None:
            state = self.format_dict
            events.progress(str(state.get("prefix") or ""), state.get("n", 0), state.get("total"),
                            state.get("elapsed", 0.0), state.get("rate"), done=done)

    def trange(*args, **kwargs):
        return TutorTqdm(range(*args), **kwargs)

    for module in (tqdm, tqdm.std, tqdm.auto):
        module.tqdm = TutorTqdm
        module.trange = trange
    return True


def progress_helper(events: Events) -> Callable:
    """`progress(iterable, total=None, desc=None)`, given to every run's namespace (tqdm or not)."""

    def progress(iterable, total: int | None = None, desc: str | None = None):
        """Iterate over `iterable`, showing a progress bar with its rate and time left in the tutor."""
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)
        label, started, n = str(desc or ""), time.monotonic(), 0
        try:
            for item in iterable:
                yield item
                n += 1
                elapsed = time.monotonic() - started
                events.progress(label, n, total, elapsed, n / elapsed if elapsed > 0 else None)
        finally:
            elapsed = time.monotonic() - started
            events.progress(label, n, total, elapsed, n / elapsed if elapsed > 0 else None, done=True)

    return progress


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
