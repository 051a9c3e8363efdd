"""Full garbage collections while the learner reads, not while a key waits for its answer.

A full (generation 2) collection walks every object the collector tracks. With what lives for the
whole session frozen out of its sight once the first screen is up (tutor/app/app.py), the
rendered exercises, the palette's screens and their caches still made it 50-120 ms, and Python
starts one whenever enough objects have survived the younger collections: in the middle of a key
(the palette's open, a jump to another exercise: the slowest presses of the key bench).

So automatic full collections are off (the young generations are still collected as they fill:
they are cheap), and:
- once the app has had no input for a moment, a full collection runs, and what survives it is
  frozen too: the next one walks only what came after;
- should input not pause that long, one runs in the first short gap between keys once garbage
  has piled up (a bounded number of young collections), and regardless after four times that
  (each cheap as well: the survivors of earlier ones are frozen);
- after a long pause (the learner is reading, or away), everything is unfrozen and collected
  once, so that objects frozen while alive and dropped since (in reference cycles, which only the
  collector frees) are not kept for the whole session; and at the next pause of a couple of
  seconds already once many objects have been frozen since (a learner who never stops for long),
  so memory stays bounded. A whole-heap collection takes ~175 ms: a key pressed during one waits
  for it, so it waits for pauses long enough to make that unlikely.
"""

from __future__ import annotations

import gc
import time

QUIET_FOR = 0.5  # seconds without input before a collection runs
SHORT_GAP = 0.1  # seconds: a gap between keys (after the last one is answered) a piled-up collection may take
LONG_QUIET_FOR = 30.0  # seconds without input before the whole heap is collected once (~175 ms)
GROWN_QUIET_FOR = 2.0  # seconds without input that a whole-heap collection brought forward may take
CHECK_EVERY = 0.4  # seconds
NEVER = 1_000_000  # generation 2's threshold: no automatic full collection
GROWN_BY = 300_000  # objects frozen since the last whole-heap collection that bring the next one forward
AT_MOST = 5  # young (generation 1) collections before a collection takes a short gap


class IdleCollector:
    def __init__(self) -> None:
        self.last_input = time.monotonic()
        self.collections = 0  # full collections run here (the tests read these)
        self.deep_collections = 0
        self._frozen_since_deep = False
        self._frozen_at_deep = gc.get_freeze_count()
        self._previous_threshold: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._previous_threshold is None:
            self._previous_threshold = gc.get_threshold()
        young, middle, _ = self._previous_threshold
        gc.set_threshold(young, middle, NEVER)

    def stop(self) -> None:
        """Python's own thresholds back (tests run many apps in one process)."""
        if self._previous_threshold is not None:
            gc.set_threshold(*self._previous_threshold)
            self._previous_threshold = None

    def input_seen(self) -> None:
        self.last_input = time.monotonic()

    def tick(self) -> None:
        """Called every CHECK_EVERY seconds on the UI thread."""
        quiet = time.monotonic() - self.last_input
        grown = gc.get_freeze_count() - self._frozen_at_deep >= GROWN_BY
        if self._frozen_since_deep and (quiet >= LONG_QUIET_FOR or (grown and quiet >= GROWN_QUIET_FOR)):
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.deep_collections += 1
            self._frozen_since_deep = False
            self._frozen_at_deep = gc.get_freeze_count()
            return
        pending = gc.get_count()[2]  # generation 1 collections since the last full one
        if pending and (quiet >= QUIET_FOR or (pending >= AT_MOST and quiet >= SHORT_GAP)
                        or pending >= 4 * AT_MOST):
            gc.collect()
            gc.freeze()
            self.collections += 1
            self._frozen_since_deep = True
