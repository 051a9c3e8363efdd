"""The `curve` check: a list the learner's code filled while it trained, judged by what must hold
of it (it fell, it ended below or above a bound, it ended near the reference's) and kept for a plot.

A loss that never falls is the most common silent failure of a training loop; the message says
what it usually means.
"""

from __future__ import annotations

import math

import numpy as np

from tutor.checking.verdict import CheckResult, CurveData, LessonBug
from tutor.lessons.model import CurveCheck
from tutor.sandbox.values import TensorValue

FINAL_WINDOW = 5  # the final value is the mean of this many last points (one noisy step is not the end)

STUCK = ("A loss that does not fall usually means: a learning rate too small (or too large: then it "
         "jumps about or becomes NaN), a missing optimizer.zero_grad() (gradients pile up), a missing "
         "optimizer.step(), or the loss fed the wrong tensors (CrossEntropyLoss wants raw logits and "
         "class indices).")


def series(value: object) -> tuple[float, ...] | None:
    """The points of a curve: a list or tuple of numbers (0-d tensors too), or a 1-D tensor."""
    if isinstance(value, TensorValue):
        if value.array is None or len(value.shape) != 1:
            return None
        return tuple(float(v) for v in np.asarray(value.array, dtype=np.float64))
    if isinstance(value, (list, tuple)):
        points = []
        for item in value:
            if isinstance(item, TensorValue) and item.shape == () and item.array is not None:
                item = float(item.array)
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                return None
            points.append(float(item))
        return tuple(points)
    return None


def judge_curve(check: CurveCheck, got: object, want: object) -> CheckResult:
    name = check.name
    yours, reference = series(got), series(want)
    if reference is None:
        raise LessonBug(f"the reference solution's `{name}` is not a list of numbers")
    if yours is None:
        return _fail(check, f"`{name}` should be a list of numbers (e.g. append `loss.item()` each step), "
                            f"but it is {_what(got)}.", None)
    plot = CurveData(name, yours, reference)
    if not yours:
        return _fail(check, f"`{name}` is empty: append a value each step of your loop.", plot)
    bad = next((i for i, v in enumerate(yours) if not math.isfinite(v)), None)
    if bad is not None:
        return _fail(check, f"`{name}` became {yours[bad]} at point {bad}: the training diverged. "
                            "Try a smaller learning rate.", plot)
    final = _final(yours)
    if check.decreasing is not None:
        window = min(check.decreasing, max(len(yours) // 2, 1))
        start, end = float(np.mean(yours[:window])), float(np.mean(yours[-window:]))
        if len(yours) < 2 or not end < start:
            return _fail(check, f"`{name}` did not fall: it started around {start:.4g} and ended around "
                                f"{end:.4g}. {STUCK}", plot)
    if check.final_below is not None and not final < check.final_below:
        return _fail(check, f"`{name}` ended at {final:.4g}; it should end below {check.final_below:g}."
                            + (f" {STUCK}" if check.decreasing is not None else ""), plot)
    if check.final_above is not None and not final > check.final_above:
        return _fail(check, f"`{name}` ended at {final:.4g}; it should end above {check.final_above:g}.", plot)
    if check.within is not None:
        target = _final(reference)
        low, high = sorted((target / check.within, target * check.within))
        if not low <= final <= high:
            return _fail(check, f"`{name}` ended at {final:.4g}, the reference's at {target:.4g}: yours should "
                                f"be within a factor {check.within:g} of it.", plot)
    return CheckResult("curve", name, True, curve=plot)


def _final(points: tuple[float, ...]) -> float:
    return float(np.mean(points[-FINAL_WINDOW:]))


def _fail(check: CurveCheck, message: str, plot: CurveData | None) -> CheckResult:
    if check.message:
        message = f"{check.message} {message}"
    return CheckResult("curve", check.name, False, message, curve=plot)


def _what(value: object) -> str:
    if isinstance(value, TensorValue):
        return f"a tensor of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} that holds something other than numbers"
    return f"a {type(value).__name__}"
