"""The daemon restart policy `dev` and `--dagster` share: restarted after each death, given up
after five deaths in a row, and a death after a long good run is not counted as in a row.
(The real daemon is killed and restarted in test_dagster_asset.py and
test_tui_dagster_layouts.py; here its deaths are counted without waiting minutes for them.)"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from marimo_tui.dagster import daemon_keeper
from marimo_tui.dagster.daemon_keeper import RESTARTS, DaemonKeeper


class DyingDaemon:
    """A webserver whose daemon is dead every time it is looked at."""

    def __init__(self) -> None:
        self.daemon_started = 0.0
        self.starts = 0
        self.dead = True

    def daemon_trouble(self) -> str | None:
        return "dagster-daemon is not running (exit code 1)" if self.dead else None

    async def start_daemon(self) -> None:
        self.starts += 1


def test_a_crash_loop_is_restarted_five_times_then_given_up_once(monkeypatch: Any) -> None:
    clock = [1000.0]
    monkeypatch.setattr(daemon_keeper.time, "time", lambda: clock[0])
    server = DyingDaemon()
    server.daemon_started = clock[0]
    keeper = DaemonKeeper(cast(Any, server))
    told = [asyncio.run(keeper.check()) for _ in range(RESTARTS + 3)]
    assert told[:RESTARTS] == ["dagster-daemon is not running (exit code 1); started it again"] * 5
    assert told[RESTARTS] == "dagster-daemon is not running (exit code 1); gave up after 5 restarts"
    assert told[RESTARTS + 1 :] == [None, None]  # said once
    assert server.starts == RESTARTS and keeper.gave_up


def test_a_daemon_that_ran_for_a_while_is_not_counted_as_a_crash_loop(monkeypatch: Any) -> None:
    clock = [1000.0]
    monkeypatch.setattr(daemon_keeper.time, "time", lambda: clock[0])
    server = DyingDaemon()
    keeper = DaemonKeeper(cast(Any, server))
    for _ in range(3 * RESTARTS):
        server.daemon_started = clock[0]
        clock[0] += daemon_keeper.SETTLED + 1  # each run lasted over five minutes
        assert asyncio.run(keeper.check()) is not None
    assert server.starts == 3 * RESTARTS and not keeper.gave_up
    server.dead = False
    assert asyncio.run(keeper.check()) is None
