"""Python's full garbage collections at moments nobody waits for.

The workbench holds a large heap (Textual, marimo's messages, caches of rendered rows), and a
full (generation 2) collection walks all of it: 70-180 ms each in the follow benchmark, about
every 5 s, a frame frozen whenever one fell inside an edit. So once the workbench has been idle
a moment, it collects everything and freezes what survives (`gc.freeze`: the survivors are not
walked again), and the collections that come during work walk only what came since. Each idle
collection unfreezes first, so a garbage cycle among once-frozen objects is freed at the next
idle moment, not kept.
"""

from __future__ import annotations

import gc
import math
import time

IDLE_AFTER = 1.0  # s without input, disk or kernel activity
MIN_GAP = 15.0  # s between two idle collections
CHECK_EVERY = 0.5  # s


class IdleCollector:
    def __init__(self) -> None:
        self.last_activity = time.monotonic()
        self.last_collect = -math.inf
        self.pending = True  # something happened since the last collection
        self.collections = 0

    def activity(self) -> None:
        self.last_activity = time.monotonic()
        self.pending = True

    def tick(self) -> None:
        now = time.monotonic()
        if not self.pending or now - self.last_activity < IDLE_AFTER:
            return
        if now - self.last_collect < MIN_GAP:
            return
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.last_collect = time.monotonic()
        self.pending = False
        self.collections += 1
