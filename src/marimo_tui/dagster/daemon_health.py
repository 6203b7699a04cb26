"""Is a `dagster-daemon` launching backfills on the server we talk to?

A backfill is only registered by the webserver; the daemon's BACKFILL loop launches its runs.
Against a webserver with no daemon (a user's own `dagster-webserver`) a backfill waits forever
and nothing says why, so a launch asks Dagster for the BACKFILL daemon's heartbeat and says so.

Dagster calls a daemon healthy for 30 min after its last heartbeat (its heartbeat tolerance);
a daemon beats every 30 s, so one silent for STALE_AFTER has stopped, whatever Dagster says.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marimo_tui.dagster.client import DagsterClient

STALE_AFTER = 180.0  # six heartbeats missed: gone, not busy
NOT_RUNNING = "no dagster-daemon is running, so it will not start until one does"


@dataclass(frozen=True)
class DaemonHealth:
    required: bool  # false where the instance runs no daemons (ephemeral): nothing to say
    healthy: bool
    last_heartbeat: float | None  # seconds since the epoch, the server's clock

    def running(self, now: float | None = None) -> bool:
        if not self.required:
            return True
        if not self.healthy or self.last_heartbeat is None:
            return False
        return (now if now is not None else time.time()) - self.last_heartbeat < STALE_AFTER


def parse_health(data: Mapping[str, Any]) -> DaemonHealth:
    """From the data of `documents/daemon.graphql`; KeyError/TypeError when it is not that."""
    status = data["instance"]["daemonHealth"]["daemonStatus"]
    beat = status.get("lastHeartbeatTime")
    return DaemonHealth(
        bool(status["required"]), bool(status.get("healthy")), float(beat) if beat else None
    )


async def backfill_daemon(client: DagsterClient) -> DaemonHealth:
    """The BACKFILL daemon's health; DagsterError when it cannot be read."""
    return parse_health(await client.execute("daemon", {}, "reading the daemon's health"))


async def backfill_waits(client: DagsterClient, backfill_id: str) -> str | None:
    """The one line to show after registering a backfill no daemon will launch; None when a
    daemon runs, or when its health cannot be read (the launch itself succeeded: an unreadable
    health is no reason to warn, nor to fail)."""
    from marimo_tui.dagster.errors import DagsterError

    try:
        health = await backfill_daemon(client)
    except (DagsterError, KeyError, TypeError):  # TypeError/KeyError: a schema of its own
        return None
    return None if health.running() else f"backfill {backfill_id} registered; {NOT_RUNNING}"
