"""Polls Dagster for the runs pane: one request per interval, whatever the number of runs.

Each poll asks for the runs updated since the last one (new runs and status changes), the step
counts of the runs on screen, and the events of the selected run after its cursor — all in one
GraphQL document (`documents/poll.graphql`). While the server is down it backs off and keeps
trying; when it answers again, it reloads the list and carries on by itself. Any other failure —
a bug in a poll or in the listener — is one failure of its `Streak` (told once to `on_health`),
and polling goes on after a growing pause: the task never dies of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from marimo_tui.dagster.asset_watch import AssetWatch
from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.errors import DagsterError
from marimo_tui.dagster.model import AssetStatus, LocationStamp, Run, RunEvent, RunStats
from marimo_tui.supervisor import HealthListener, Streak, stop

MAX_BACKOFF = 30.0
RECENT = 50  # runs listed at first and after a reconnect
CHANGED_LIMIT = 500  # runs that may change between two polls
EVENTS_KEPT = 5000
# Step counts cost the webserver ~2-5 ms a run (it opens that run's event log): a poll asks for
# a few of the runs on screen, in turn, and a finished run's counts only once more.
STATS_PER_POLL = 3
# With the asset view on, the first poll asks every asset on it; after that a poll asks only the
# assets that may have changed, and a few more in turn now and then (`asset_watch.AssetWatch`).
# The code locations (~8 ms of the webserver's time): every few polls, and on the poll after
# `ask_locations` (a reload from here).
LOCATIONS_EVERY = 5
# Dagster keeps update times to the microsecond, stored and compared as floats: ask from a
# little before the newest one seen and drop what did not change.
OVERLAP = 1.0


@dataclass
class PollState:
    connected: bool | None = None  # None: not asked yet
    error: str = ""  # why it is disconnected, one line
    runs: dict[str, Run] = field(default_factory=dict)
    stats: dict[str, RunStats] = field(default_factory=dict)
    selected: str | None = None
    selected_error: str = ""
    events: list[RunEvent] = field(default_factory=list)
    cursor: str | None = None
    polls: int = 0
    last_poll_ms: float = 0.0
    stats_asked: list[str] = field(default_factory=list)  # runs the last poll counted steps of
    locations: dict[str, LocationStamp] = field(default_factory=dict)
    assets: dict[tuple[str, ...], AssetStatus] = field(default_factory=dict)  # asset view on
    assets_asked: list[tuple[str, ...]] = field(default_factory=list)  # by the last poll

    def newest(self, limit: int | None = None) -> list[Run]:
        runs = sorted(self.runs.values(), key=lambda r: r.created, reverse=True)
        return runs[:limit] if limit else runs


@dataclass(frozen=True)
class PollUpdate:
    """What changed in one poll (for listeners that redraw only what changed)."""

    runs: tuple[Run, ...] = ()
    events: tuple[RunEvent, ...] = ()
    connection_changed: bool = False
    stats_changed: bool = False
    locations_changed: bool = False  # loaded, reloaded, failed to load or fixed
    assets_changed: bool = False


Listener = Callable[[PollState, PollUpdate], None]


class RunPoller:
    def __init__(
        self,
        client: DagsterClient,
        *,
        interval: float = 2.0,
        listener: Listener | None = None,
        recent: int = RECENT,
        on_health: HealthListener | None = None,
    ) -> None:
        self.client = client
        self.interval = interval
        self.listener = listener
        self.recent = recent
        self.state = PollState()
        self._since: float | None = None
        self._shown: list[str] = []
        self._final: set[str] = set()  # finished runs whose last step counts we have
        self._turn = 0
        self._assets = AssetWatch()
        self._locations_in = 0  # polls until the code locations are read again
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.streak = Streak("polling runs", on_health, first=interval, most=MAX_BACKOFF)

    # -- what to ask about ---------------------------------------------------------------
    def select(self, run_id: str | None) -> None:
        """Follow this run's events from its first one (None: no run)."""
        if run_id != self.state.selected:
            self.state.selected = run_id
            self.state.events = []
            self.state.cursor = None
            self.state.selected_error = ""
            self.wake()

    def show(self, run_ids: Iterable[str]) -> None:
        """The runs on screen: their step counts come with each poll."""
        self._shown = list(run_ids)

    def watch_assets(self, on: bool, keys: Iterable[tuple[str, ...]] | None = None) -> None:
        """The asset view: with `on`, each poll asks the status of `keys` (None: every asset)."""
        if self._assets.watch(on, keys):
            self.state.assets = {}
            if on:
                self.wake()

    @property
    def watched_assets(self) -> list[tuple[str, ...]] | None:
        """The asset view's assets (None: every asset), whether it is on or not."""
        return self._assets.keys

    def ask_locations(self) -> None:
        """Read the code locations on the next poll (they were just reloaded), and poll now."""
        self._locations_in = 0
        self.wake()

    def track(self, run: Run) -> None:
        """A run we just launched: list it before the next poll confirms it."""
        self.state.runs[run.run_id] = run
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    # -- polling -------------------------------------------------------------------------
    async def poll_once(self) -> PollUpdate:
        """One request. DagsterError when the server cannot answer (state says so too)."""
        state = self.state
        changed = {"updatedAfter": self._since - OVERLAP} if self._since is not None else {}
        limit = CHANGED_LIMIT if self._since is not None else self.recent
        shown = state.stats_asked = self._stats_to_ask()
        asking = self._assets.to_ask()
        assets, every_asset = asking or (None, False)
        watch = self._assets.generation
        locations = self._locations_in <= 0
        was = state.connected
        started = time.perf_counter()
        try:
            answer = await self.client.poll(
                changed=changed,
                limit=limit,
                in_flight=self._since is None,
                shown=shown,
                selected=state.selected,
                after=state.cursor,
                assets=assets,
                with_assets=asking is not None,
                locations=locations,
            )
        except DagsterError as exc:
            state.connected = False
            state.error = str(exc)
            if exc.down:
                self._since = None  # a restarted server: list the runs again
            update = PollUpdate(connection_changed=was is not False)
            self._tell(update)
            raise
        state.last_poll_ms = (time.perf_counter() - started) * 1000
        self._locations_in = LOCATIONS_EVERY - 1 if locations else self._locations_in - 1
        state.polls += 1
        state.connected, state.error = True, ""
        fresh = [r for r in answer.changed if state.runs.get(r.run_id) != r]
        for run in fresh:
            state.runs[run.run_id] = run
        stamps = [r.updated for r in answer.changed if r.updated is not None]
        if stamps:
            self._since = max(stamps) if self._since is None else max(self._since, *stamps)
        elif self._since is None:
            self._since = 0.0  # nothing yet: from now on, everything is "changed"
        stats_changed = any(state.stats.get(k) != v for k, v in answer.stats.items())
        state.stats.update(answer.stats)
        self._final.update(i for i in answer.stats if i in state.runs and state.runs[i].finished)
        if answer.selected is not None:
            state.runs[answer.selected.run_id] = answer.selected
        state.selected_error = answer.selected_error or ""
        if answer.cursor is not None and state.selected is not None:
            state.cursor = answer.cursor
            state.events.extend(answer.events)
            del state.events[:-EVENTS_KEPT]
        if answer.has_more:
            self.wake()
        locations_changed = False
        if answer.locations is not None:
            seen = {loc.name: loc for loc in answer.locations}
            locations_changed = seen != state.locations
            if locations_changed and state.locations:
                self._assets.everything_changed()  # reloaded: code versions may differ
            state.locations = seen
        assets_changed = False
        state.assets_asked = [a.key for a in answer.assets or ()]
        if answer.assets is not None and self._assets.on and watch == self._assets.generation:
            statuses = self._assets.answered(state.assets, answer.assets, every_asset)
            assets_changed = statuses != state.assets
            state.assets = statuses
        # What may have changed an asset's status since: its runs that started or finished,
        # its materializations among the selected run's new events. Asked on the next poll.
        if not (every_asset and answer.assets is not None):  # else they were just asked
            self._assets.changed(key for run in fresh for key in run.assets)
            self._assets.changed(e.asset for e in answer.events if e.asset is not None)
        update = PollUpdate(
            runs=tuple(fresh),
            events=tuple(answer.events),
            connection_changed=was is not True,
            stats_changed=stats_changed,
            locations_changed=locations_changed,
            assets_changed=assets_changed,
        )
        self._tell(update)
        return update

    def _stats_to_ask(self) -> list[str]:
        """Up to STATS_PER_POLL of the runs on screen whose counts may still change, in turn."""
        runs = self.state.runs
        shown = self._shown or [r.run_id for r in self.state.newest(20)]
        open_ = [i for i in shown if i not in self._final and i in runs]
        if len(open_) <= STATS_PER_POLL:
            return open_
        start = self._turn % len(open_)
        self._turn += STATS_PER_POLL
        return (open_[start:] + open_[:start])[:STATS_PER_POLL]

    def _tell(self, update: PollUpdate) -> None:
        if self.listener is not None:
            self.listener(self.state, update)

    async def run(self) -> None:
        """Poll forever: every `interval`, sooner when woken, backing off while down or broken."""
        down = 0
        while True:
            self._wake.clear()
            try:
                await self.poll_once()
            except DagsterError:
                down += 1
                pause = min(self.interval * 2 ** min(down - 1, 5), MAX_BACKOFF)
            except Exception as exc:
                pause = self.streak.failed(exc)
            else:
                down = 0
                pause = self.interval
                self.streak.succeeded()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.run())

    async def stop(self) -> None:
        await stop(self._task)
        self._task = None
