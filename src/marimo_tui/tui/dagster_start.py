"""How the runs pane comes up after the first frame: polling the configured `dagster.url`, or,
with `--dagster`, first the project's own webserver and daemon, owned here for as long as the
app runs (and watched: a daemon that dies is told in one line and started again)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from marimo_tui.dagster.errors import NOT_CONFIGURED
from marimo_tui.safe_text import one_line

if TYPE_CHECKING:
    from textual.timer import Timer

    from marimo_tui.dagster.daemon_keeper import DaemonKeeper
    from marimo_tui.dagster.webserver import Webserver
    from marimo_tui.tui.app import WorkbenchApp

DAEMON_CHECK = 5.0  # seconds between looks at the daemon we started


class DagsterStart:
    def __init__(self, app: WorkbenchApp) -> None:
        self.app = app
        self.webserver: Webserver | None = None
        self.daemon: DaemonKeeper | None = None
        self._daemon_watch: Timer | None = None

    async def serve(self) -> None:
        """`--dagster`: start the project's webserver (and daemon), then poll it."""
        from marimo_tui.dagster.daemon_keeper import DaemonKeeper
        from marimo_tui.dagster.webserver import WebserverError, project_webserver
        from marimo_tui.redaction import child_env

        app = self.app
        config = app.workbench.config
        try:
            self.webserver = project_webserver(config.root, config.state_dir, env=child_env(config))
            app.status.set_service("dagster", "starting the webserver…")
            await self.webserver.start()
        except WebserverError as exc:
            self.webserver = None
            app.status.set_service("dagster", "failed", False)
            app.query_one("#runs").mount(Static(one_line(f"✗ dagster: {exc}"), markup=False))
            app.notify(f"dagster: {exc}", severity="error", timeout=10)
        else:
            config.dagster.url = self.webserver.url
            self.connect()
            self.daemon = DaemonKeeper(self.webserver)
            self._daemon_watch = app.set_interval(DAEMON_CHECK, self._keep_daemon)
        app.autoplay_when_ready("dagster")

    async def _keep_daemon(self) -> None:
        """A daemon that died is told in one line and started again (backfills, schedules and
        sensors wait while it is down; the webserver serves on regardless)."""
        if self.daemon is None:
            return
        told = await self.daemon.check()
        if told is not None:
            given_up = self.daemon.gave_up
            self.app.notify(f"dagster: {told}", severity="error" if given_up else "warning")
            if given_up and self._daemon_watch is not None:
                self._daemon_watch.stop()

    def connect(self) -> None:
        """The runs pane and its poller, when a Dagster URL is configured (or just served)."""
        app = self.app
        if not app.workbench.config.dagster.url:
            # After the first frame, which should not wait on the dagster package's import.
            from marimo_tui.dagster.webserver import find_definitions

            if find_definitions(app.workbench.root) is not None:
                app.query_one("#runs", Static).update(
                    f"{NOT_CONFIGURED}.\n\nThis project has Dagster definitions: "
                    "`marimo-tui open --dagster` runs their webserver with the workbench."
                )
            return
        from marimo_tui.tui.dagster_flow import DagsterFlows
        from marimo_tui.tui.widgets.runs_pane import RunsPane

        pane = RunsPane(id="runs-pane")
        app.query_one("#runs").mount(pane)
        app.dagster = DagsterFlows(app, pane)
        app.dagster.start()

    async def stop(self) -> None:
        if self._daemon_watch is not None:
            self._daemon_watch.stop()
        if self.webserver is not None:
            await self.webserver.stop()
