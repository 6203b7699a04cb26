"""Which assets a poll asks the status of, with the asset view on: only those that may have
changed, so that most polls ask none.

What an asset's status costs the webserver is mostly a fixed price per request, not per asset:
with the SQLite storage `marimo-tui dev` uses, the latest materializations (and staleness, which
reads the same asset records), the partition counts and the check results are each one batched
storage read, and each read opens a connection and inspects the schema first (~20-30 ms a
request for 4 assets, ~1 ms more per asset; bench/dagster_poll.py). Asking a few assets on every
poll, in turn, paid that price on every poll and still took ~100 s to come back to an asset.

So a poll asks an asset's status when something that changes it happened:
- a run that materializes it started or finished (the poll sees every run that changed: its
  asset selection is known), or the selected run's events show it materialized;
- an asset it depends on materialized (staleness): the assets that depend on it directly
  (`dependedByKeys` of each answer) are asked together with it. Dagster judges staleness by
  direct dependencies only (`CachingStaleStatusResolver._get_stale_causes_materialized`: a
  newer materialization or data version of a dependency), except through virtual assets,
  which it looks through to their ancestors: that rare case is left to the sweep;
- a code location was reloaded (code versions, hence staleness, may differ): every asset again.
What no poll sees — a materialization reported outside a run, one in the middle of a run that
is not selected (its end is seen), the passing of time for time partitions — a sweep catches:
every SWEEP_EVERY polls, SWEEP_ASSETS more assets in turn.
"""

from __future__ import annotations

from collections.abc import Iterable

from marimo_tui.dagster.model import AssetStatus

Key = tuple[str, ...]

SWEEP_EVERY = 5  # polls between two sweeps
SWEEP_ASSETS = 10  # assets a sweep asks (200 assets: all of them every 100 polls, ~200 s)
DUE_PER_POLL = 40  # at most this many due assets a poll: a run of 200 assets is spread out


class AssetWatch:
    """The asset view's assets, which are due, and the sweep's turn."""

    def __init__(self) -> None:
        self.on = False
        self.keys: list[Key] | None = None  # None: every asset
        self.generation = 0  # counts changes of what is watched: older answers are dropped
        self._filled = False  # a poll has answered for every watched asset
        self._known: list[Key] = []  # the watched keys (learnt from the first answer for None)
        self._watched: set[Key] = set()
        self._due: dict[Key, None] = {}  # an ordered set: the oldest reason first
        self._downstream: dict[Key, tuple[Key, ...]] = {}
        self._turn = 0
        self._sweep_in = SWEEP_EVERY

    def watch(self, on: bool, keys: Iterable[Key] | None) -> bool:
        """True when that changes what is watched (the statuses so far are then void)."""
        listed = None if keys is None else sorted(set(keys))
        if (on, listed) == (self.on, self.keys):
            return False
        self.on, self.keys = on, listed
        self._filled, self._due, self._known = False, {}, list(listed or ())
        self._watched = set(self._known)
        self.generation += 1
        return True

    def to_ask(self) -> tuple[list[Key] | None, bool] | None:
        """The assets this poll asks about (None: every asset) and whether that is all of
        them; None when it asks none."""
        if not self.on:
            return None
        if not self._filled:
            return self.keys, True
        due = list(self._due)[:DUE_PER_POLL]
        self._sweep_in -= 1
        if self._sweep_in > 0:
            return (due, False) if due else None
        self._sweep_in = SWEEP_EVERY
        keys = self._known
        start = self._turn % len(keys) if keys else 0
        turn = [k for k in keys[start:] + keys[:start] if k not in due][:SWEEP_ASSETS]
        self._turn += len(turn)
        asked = due + turn
        return (asked, False) if asked else None

    def changed(self, keys: Iterable[Key]) -> None:
        """These assets may have changed (a run of theirs, a materialization): they are due,
        and so are the assets that depend on them directly, for their staleness."""
        for key in list(keys):
            for due in (key, *self._downstream.get(key, ())):
                if due in self._watched:
                    self._due[due] = None

    def everything_changed(self) -> None:
        """A code location was reloaded: every asset is due (a few polls' worth)."""
        self.changed(self._known)

    def answered(
        self, old: dict[Key, AssetStatus], answer: list[AssetStatus], every: bool
    ) -> dict[Key, AssetStatus]:
        """The statuses after this answer (`every`: it answered for every watched asset)."""
        statuses = {a.key: a for a in answer}
        for status in answer:
            self._downstream[status.key] = status.downstream
            self._due.pop(status.key, None)
        if every:
            self._filled = True
            if self.keys is None:
                self._known = sorted(statuses)
                self._watched = set(self._known)
            # The sweep starts half a period after the code locations are read: not both on
            # the same poll.
            self._sweep_in = SWEEP_EVERY // 2 + 1
            return statuses
        asked = set(statuses)
        for status in answer:
            before = old.get(status.key)
            # A newer materialization found by the sweep: the assets that depend on it were not
            # asked with it, and are due now.
            moved = before is not None and (before.materialized, before.run_id) != (
                status.materialized,
                status.run_id,
            )
            if moved:
                for key in status.downstream:
                    if key in self._watched and key not in asked:
                        self._due[key] = None
        return old | statuses
