"""The `dagster-daemon` we started is kept running: one that dies is told in one line and
started again, as `dagster dev` would not (it exits), because a workbench left open for a day
should not lose its backfills, schedules and sensors to one crash. A crash loop is not chased:
after RESTARTS deaths in a row the webserver serves on without a daemon, and that is said once.
`dev` and the workbench's `--dagster` share this policy."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marimo_tui.dagster.webserver import Webserver

RESTARTS = 5  # daemon deaths in a row before giving up
SETTLED = 300.0  # seconds up after which a daemon's death is not counted as in a row


class DaemonKeeper:
    def __init__(self, webserver: Webserver) -> None:
        self.webserver = webserver
        self.failures = 0  # deaths in a row

    @property
    def gave_up(self) -> bool:
        return self.failures > RESTARTS

    async def check(self) -> str | None:
        """Restart a dead daemon; the one line to tell of it, or None when it runs (or was
        given up on, which was told already)."""
        webserver = self.webserver
        trouble = webserver.daemon_trouble()
        if trouble is None or self.gave_up:
            return None
        if time.time() - webserver.daemon_started > SETTLED:
            self.failures = 0  # it had run well: a crash now and then is no crash loop
        self.failures += 1
        if self.gave_up:
            return f"{trouble}; gave up after {RESTARTS} restarts"
        await webserver.start_daemon()
        return f"{trouble}; started it again"
