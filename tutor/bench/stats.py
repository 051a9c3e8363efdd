"""Medians with min and max, the form every figure of the benchmark is reported in."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def summarise(samples_ms: list[float]) -> dict:
    if not samples_ms:
        return {"p50": None, "min": None, "max": None, "n": 0}
    return {"p50": round(statistics.median(samples_ms), 4), "min": round(min(samples_ms), 4),
            "max": round(max(samples_ms), 4), "n": len(samples_ms)}


def time_ms(action: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)
