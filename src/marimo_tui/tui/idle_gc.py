"""Python's full garbage collections at moments nobody waits for.

The workbench holds a large heap (Textual, marimo's messages, caches of rendered rows), and a
full (generation 2) collection walks all of it: 70-180 ms each in the follow benchmark, about
every 5 s, a frame frozen whenever one fell inside an edit. So once the workbench has been idle
a moment, it collects everything and freezes what survives (`gc.freeze`: the survivors are not
walked again). While it works, what survived the young collections is frozen too, every couple
of seconds, so the full collections that come then walk only the last seconds' objects. Frozen
garbage cycles are not lost: each idle collection unfreezes first, and a workbench kept busy
for a whole minute collects everything anyway.
"""

from __future__ import annotations

import gc
import math
import time

IDLE_AFTER = 1.0  # s without input, disk or kernel activity
MIN_GAP = 15.0  # s between two idle collections
FREEZE_EVERY = 2.0  # s, while busy
BUSY_LIMIT = 60.0  # s of work at most between two whole collections
CHECK_EVERY = 0.5  # s


class IdleCollector:
    def __init__(self) -> None:
        self.last_activity = self.started = time.monotonic()
        self.last_collect = self.last_freeze = -math.inf
        self.pending = True  # something happened since the last collection
        self.collections = 0

    def activity(self) -> None:
        self.last_activity = time.monotonic()
        self.pending = True

    def tick(self) -> None:
        now = time.monotonic()
        if not self.pending:
            return
        idle = now - self.last_activity >= IDLE_AFTER
        overdue = now - max(self.last_collect, self.started) >= BUSY_LIMIT
        if (idle and now - self.last_collect >= MIN_GAP) or overdue:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.last_collect = self.last_freeze = time.monotonic()
            self.pending = False
            self.collections += 1
        elif not idle and now - self.last_freeze >= FREEZE_EVERY:
            gc.freeze()
            self.last_freeze = now
