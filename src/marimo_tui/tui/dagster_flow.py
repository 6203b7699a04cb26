"""Dagster in the app: the poller feeds the runs pane and an open run's screen; launch,
relaunch and terminate (after a confirmation) go through the client. Connection state is in
the status bar; going down and coming back are one notice each.

Every background task here is supervised (`supervisor.Streak`): a failure of one is one notice,
the pane and the status bar say "error" until it works again, and it is tried again after a
growing pause — a bug never leaves the pane frozen under a status bar saying "connected".
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from marimo_tui.dagster.errors import DagsterError
from marimo_tui.supervisor import Streak
from marimo_tui.tui.launch_flow import launch_again, open_launch_dialog

if TYPE_CHECKING:
    from marimo_tui.config import Config
    from marimo_tui.dagster.client import DagsterClient
    from marimo_tui.dagster.model import LocationStamp, Run, Workspace
    from marimo_tui.dagster.pairs import Pair
    from marimo_tui.dagster.poller import PollState, PollUpdate, RunPoller
    from marimo_tui.tui.app import WorkbenchApp
    from marimo_tui.tui.screens.dialogs import ChoiceScreen
    from marimo_tui.tui.screens.run_detail import RunScreen
    from marimo_tui.tui.widgets.runs_pane import RunsPane

SERVICE = "dagster"
WORKSPACE_RETRY = 10.0
CELL_WAIT = 10.0  # seconds for a notebook opened at its failing cell to be read


class DagsterFlows:
    def __init__(self, app: WorkbenchApp, pane: RunsPane) -> None:
        self.app = app
        self.pane = pane
        self.client: DagsterClient | None = None
        self.poller: RunPoller | None = None
        self.workspace: Workspace | None = None
        self.pairs: list[Pair] = []
        self.screen: RunScreen | None = None
        self._logs: dict[str, str | None] = {}  # file key -> cursor, for the open run
        self._was_connected: bool | None = None
        self.failures: dict[str, str] = {}  # task -> its error, while it fails
        self._logs_streak = Streak("reading run logs", self._health)
        self._workspace_streak = Streak("reading the workspace", self._health, first=2.0)
        self._told_errors: set[str] = set()

    @property
    def config(self) -> Config:
        return self.app.workbench.config

    def start(self) -> None:
        from marimo_tui.dagster.connect import client_for
        from marimo_tui.dagster.poller import RunPoller

        self.client = client_for(self.config)
        self.poller = RunPoller(
            self.client,
            interval=self.config.dagster.poll_interval,
            listener=self._polled,
            on_health=self._health,
        )
        self.poller.start()
        self.read_workspace()

    async def stop(self) -> None:
        if self.poller is not None:
            await self.poller.stop()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.close()

    def read_workspace(self) -> None:
        """(Re-)read the workspace in the background; a newer read replaces a pending one."""
        self.app.run_worker(
            self._load_workspace(), group="dagster-workspace", exclusive=True, exit_on_error=False
        )

    async def _load_workspace(self) -> None:
        """The assets and their pairs; tried again while Dagster is unreachable or failing."""
        from marimo_tui.dagster.pairs import find_pairs

        assert self.client is not None
        while True:
            try:
                workspace = await self.client.workspace()
                self.pairs = find_pairs(self.config.pairs, self.config.root, workspace)
            except DagsterError as exc:
                if not exc.down:
                    await asyncio.sleep(self._workspace_streak.failed(exc))
                    continue
                await asyncio.sleep(WORKSPACE_RETRY)
                continue
            except Exception as exc:
                await asyncio.sleep(self._workspace_streak.failed(exc))
                continue
            break
        self._workspace_streak.succeeded()
        self.workspace = workspace
        self.pane.paired = {p.key for p in self.pairs}
        self._watch_assets()
        self._show_notes()
        if self.poller is not None:
            self.pane.refresh_runs(self.poller.state)

    def _watch_assets(self) -> None:
        """Tell the poller what the asset view shows: "all" is every asset of the workspace (a
        list: it asks the ones that may have changed, and a few in turn), else the paired ones."""
        if self.poller is None:
            return
        keys = self.pane.asset_keys()
        if keys is None and self.workspace is not None:
            keys = [a.key for a in self.workspace.assets]
        self.poller.watch_assets(self.pane.view == "assets", keys)

    def _location_errors(self) -> dict[str, str]:
        """Code locations that do not load, by name: as the last poll saw them."""
        state = self.poller.state if self.poller is not None else None
        if state is not None and state.locations:
            return {n: loc.error for n, loc in state.locations.items() if loc.error}
        locations = self.workspace.locations if self.workspace is not None else ()
        return {loc.name: loc.error for loc in locations if loc.error}

    def _show_notes(self) -> None:
        """What is wrong stays in the pane until fixed: failing tasks, locations that do not
        load (a notice says so once, when it starts)."""
        errors = self._location_errors()
        for name in errors.keys() - self._told_errors:
            self.app.notify(
                f"Dagster location {name} does not load (see the runs pane)", severity="error"
            )
        self._told_errors = set(errors)
        notes = [
            f"✗ {task} failed: {error} (trying again)" for task, error in self.failures.items()
        ]
        notes += [f"✗ location {name}: {error} · R reloads" for name, error in errors.items()]
        self.pane.set_notes(notes)

    # -- health ----------------------------------------------------------------------------
    def _health(self, task: str, error: str | None) -> None:
        """A supervised task failed (once per streak) or works again."""
        if error is not None:
            self.failures[task] = error
            self.app.notify(f"dagster: {task} failed: {error} (trying again)", severity="error")
        else:
            self.failures.pop(task, None)
            self.app.notify(f"dagster: {task} works again", timeout=4)
        self._show_connection()
        self._show_notes()
        if error is None and self.poller is not None:
            self.pane.refresh_runs(self.poller.state)

    def _show_connection(self) -> None:
        status = self.app.status
        state = self.poller.state if self.poller is not None else None
        if self.failures:
            status.set_service(SERVICE, "error", False)
            self.pane.set_connection("✗ error")
        elif state is None or state.connected is None:
            return
        elif state.connected:
            status.set_service(SERVICE, "connected", True)
            self.pane.set_connection("● connected")
        else:
            status.set_service(SERVICE, "disconnected", False)
            self.pane.set_connection(f"✗ disconnected: {state.error}")

    # -- the poller ------------------------------------------------------------------------
    def _polled(self, state: PollState, update: PollUpdate) -> None:
        self._show_connection()
        if state.connected:
            if self._was_connected is False:
                self.app.notify("Dagster is back", timeout=4)
                if self.workspace is None:
                    self.read_workspace()
        elif self._was_connected is not False:
            self.app.notify(state.error, severity="warning", timeout=8)
        self._was_connected = state.connected
        if update.locations_changed:
            self._show_notes()
            if self.workspace is not None:
                self.read_workspace()  # a location was reloaded: its assets may have changed
        if (
            update.runs
            or update.stats_changed
            or update.connection_changed
            or update.assets_changed
        ):
            self.pane.refresh_runs(state)
        if self.poller is not None:
            self.poller.show(r.run_id for r in self.pane.visible_runs()[:20])
        screen = self.screen
        if screen is not None and screen.is_attached and state.selected == screen.run_id:
            run = state.runs.get(screen.run_id)
            screen.show_run(run, state.stats.get(screen.run_id), state.selected_error)
            screen.add_events(update.events)
            for event in update.events:
                if event.log_key and event.log_key not in self._logs:
                    self._logs[event.log_key] = None
            if self._logs and state.connected:
                self.app.run_worker(
                    self._read_logs(screen),
                    group="dagster-logs",
                    exclusive=True,
                    exit_on_error=False,
                )

    async def _read_logs(self, screen: RunScreen) -> None:
        """The open run's captured output since the last read; the next poll tries again."""
        assert self.client is not None
        try:
            for key, cursor in list(self._logs.items()):
                logs = await self.client.captured_logs(screen.run_id, key, cursor)
                self._logs[key] = logs.cursor
                screen.add_logs(logs.stdout, logs.stderr)
        except DagsterError:
            return  # the poll says when the server is down
        except Exception as exc:
            self._logs_streak.failed(exc)
        else:
            self._logs_streak.succeeded()

    # -- actions ---------------------------------------------------------------------------
    def handle(self, action: str, run_id: str | None) -> None:
        if action in ("view", "reload"):
            self._pane_action(action)
        elif action == "launch":
            self.app.run_guarded(self.launch_current(), group="dagster-action")
        elif action == "launch_dialog":
            self.app.run_guarded(open_launch_dialog(self, run_id), group="dagster-dialog")
        elif run_id is None:
            self.app.notify("no run selected", severity="warning")
        elif action == "open":
            self.open(run_id)
        elif action == "cell":
            self.app.run_guarded(self.goto_failed_cell(run_id), group="dagster-action")
        elif action == "relaunch":
            self.app.run_guarded(launch_again(self, run_id, "ALL_STEPS"), group="dagster-action")
        elif action == "from_failure":
            self.app.run_guarded(launch_again(self, run_id, "FROM_FAILURE"), group="dagster-action")
        elif action == "terminate":
            self.app.run_guarded(self.terminate(run_id), group="dagster-action")

    def _pane_action(self, action: str) -> None:
        if action == "view":
            self._watch_assets()
        else:
            self.app.run_guarded(self.reload_locations(), group="dagster-action")

    async def reload_locations(self) -> None:
        """`R`: reload a code location, picked when there are several (failing ones first, and
        "every location", as Dagster's UI offers); the workspace is read again when the next
        poll sees it reloaded."""
        assert self.client is not None and self.poller is not None
        stamps = self.poller.state.locations
        names = list(stamps) or [
            loc.name for loc in (self.workspace.locations if self.workspace else ())
        ]
        if not names:
            self.app.notify(
                "no code location to reload (Dagster not reached yet)", severity="warning"
            )
            return
        if len(names) > 1:
            picked = await self.app.push_screen_wait(location_choice(names, stamps))
            if picked is None:
                return
            names = names if picked == ALL_LOCATIONS else [picked]
        for name in names:
            try:
                entry = await self.client.reload_location(name)
            except DagsterError as exc:
                self.app.notify(str(exc), severity="error", timeout=10)
                continue
            if entry.error:
                self.app.notify(f"reloaded {name}: it does not load", severity="error")
            else:
                self.app.notify(f"reloaded {name}", timeout=4)
        self.poller.ask_locations()

    def open(self, run_id: str) -> None:
        from marimo_tui.tui.screens.run_detail import RunScreen

        assert self.poller is not None
        self._logs = {}
        self.screen = RunScreen(run_id)
        self.poller.select(run_id)

        def closed(_: None) -> None:
            self.screen = None
            if self.poller is not None:
                self.poller.select(None)

        screen = self.screen
        self.app.push_screen(screen, closed)
        state = self.poller.state
        self.app.call_after_refresh(
            screen.show_run, state.runs.get(run_id), state.stats.get(run_id)
        )

    async def goto_failed_cell(self, run_id: str) -> None:
        """`c` on a failed notebook run: that notebook in the cell view, at the failing cell."""
        screen = self.screen
        failed = screen.failed if screen is not None and screen.run_id == run_id else None
        if failed is None:
            self.app.notify("this run names no failing notebook cell", severity="warning")
            return
        path = failed.notebook
        if not path.is_absolute():
            path = self.config.root / path
        if not path.is_file():
            self.app.notify(f"{failed.notebook} is not here", severity="warning")
            return
        if screen is not None:
            screen.dismiss(None)
        self.app.open_notebook(path)
        view = self.app.cell_view
        deadline = asyncio.get_running_loop().time() + CELL_WAIT
        while asyncio.get_running_loop().time() < deadline:
            notebook = view.notebook
            if notebook is not None and notebook.path == path.resolve() and not notebook.pending:
                cell = notebook.find(failed.ref)
                if cell is not None:
                    view.select_id(cell.id)
                    self.app.action_show_pane("cells")
                    return
                break
            await asyncio.sleep(0.05)
        self.app.notify(f"{failed.label}: no such cell now", severity="warning")

    async def launch_current(self) -> None:
        from marimo_tui.dagster.commands import launch
        from marimo_tui.dagster.pairs import launchable, pair_for

        current = self.app.workbench.current
        if current is None:
            self.app.notify("no notebook is open: nothing to launch", severity="warning")
            return
        try:
            assert self.client is not None and self.poller is not None
            if self.workspace is None:
                await self._load_workspace()
            asset = launchable(pair_for(self.pairs, current), current, self.config.root)
            run = await launch(self.client, asset)
        except DagsterError as exc:
            if exc.kind == "PartitionMissing":  # a partitioned asset: pick one in the dialog
                await open_launch_dialog(self, None)
                return
            self.app.notify(str(exc), severity="error", timeout=10)
            return
        self._launched(run, f"launched {asset.name}")

    def _launched(self, run: Run, what: str) -> None:
        """List the new run at once, with the cursor on it."""
        assert self.poller is not None
        self.poller.track(run)
        self.pane.refresh_runs(self.poller.state)
        self.pane.select_run(run.run_id)
        self.app.notify(f"{what}: run {run.run_id[:8]}")

    async def terminate(self, run_id: str) -> None:
        from marimo_tui.tui.screens.dialogs import ConfirmScreen

        assert self.client is not None and self.poller is not None
        run = self.poller.state.runs.get(run_id)
        if run is not None and run.finished:
            self.app.notify(f"run {run_id[:8]} already finished ({run.status.lower()})")
            return
        question = f"Terminate run {run_id[:8]} ({run.target if run else '?'})?"
        if not await self.app.push_screen_wait(ConfirmScreen(question, "Terminate")):
            return
        try:
            await self.client.terminate(run_id)
        except DagsterError as exc:
            self.app.notify(str(exc), severity="error", timeout=10)
            return
        self.poller.wake()
        self.app.notify(f"terminating run {run_id[:8]}")


ALL_LOCATIONS = "\0all"  # not a location name: Dagster's names are Python identifiers


def location_choice(names: list[str], stamps: dict[str, LocationStamp]) -> ChoiceScreen:
    """The `R` picker: locations that fail to load first, each with its state."""
    from marimo_tui.tui.screens.dialogs import ChoiceScreen

    def line(name: str) -> str:
        stamp = stamps.get(name)
        if stamp is None:
            return name
        if stamp.error:
            return f"✗ {name} · does not load: {stamp.error}"
        return f"{name} · {stamp.status.lower()}"

    failing = sorted(names, key=lambda n: not (stamps.get(n) and stamps[n].error))
    choices = [(ALL_LOCATIONS, "every location"), *((name, line(name)) for name in failing)]
    return ChoiceScreen("Reload which code location?", choices)
