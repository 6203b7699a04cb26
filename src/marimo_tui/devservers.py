"""`marimo-tui dev`: a Dagster webserver and the marimo sidecar for the project, in one
terminal (a tmux split), until Ctrl-C.

The webserver gets an instance of its own under `.marimo-tui/dagster/` that starts a launched
run at once, and a `dagster-daemon` over the same instance, as `dagster dev` has, which runs
backfills, schedules and sensors; it listens on the port of `dagster.url` when that is a
loopback URL, so the workbench in the next split finds it. The servers are followed: a state
change prints one line, a webserver or daemon that dies is started again (the sidecar restarts
itself). A daemon that will not run leaves the webserver serving, and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from marimo_tui.config_schema import Config
from marimo_tui.dagster.client import web_url
from marimo_tui.dagster.daemon_keeper import DaemonKeeper
from marimo_tui.dagster.webserver import Webserver, WebserverError, project_webserver
from marimo_tui.redaction import child_env
from marimo_tui.runtime.manager import sidecar_options
from marimo_tui.runtime.sidecar import Sidecar, SidecarState

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
HEALTH_EVERY = 1.0
RESTARTS = 5  # webserver restarts in a row before giving up (the daemon's: DaemonKeeper)


def _dagster_port(config: Config) -> int:
    url = config.dagster.url
    if url:
        parts = urlsplit(url)
        if parts.hostname in ("127.0.0.1", "localhost") and parts.port:
            return parts.port
    return 0


async def run_dev(config: Config, echo: Callable[[str], None]) -> int:
    try:
        webserver = project_webserver(
            config.root, config.state_dir, _dagster_port(config), env=child_env(config)
        )
    except WebserverError as exc:
        echo(f"error: {exc}")
        return EXIT_USAGE

    def sidecar_changed(state: SidecarState, detail: str) -> None:
        # The ready line is the browser URL with its token: shown on a terminal, never
        # written to a file or pipe.
        if not sys.stdout.isatty():
            detail = sidecar.redact(detail)
        echo(f"marimo: {state}" + (f" {detail}" if detail else ""))

    sidecar = Sidecar(sidecar_options(config), sidecar_changed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    code = EXIT_OK
    try:
        sidecar.start()
        echo(f"dagster: starting {webserver.describe()} (log: {webserver.options.log})")
        try:
            await _until(webserver.start(), stop)
        except WebserverError as exc:
            echo(f"dagster: failed: {exc}")
            return EXIT_FAILURE
        if stop.is_set():
            return EXIT_OK
        echo(f"dagster: ready {webserver.url}")
        if web_url(config.dagster.url or "") != webserver.url:
            echo(f"  (for the workbench: dagster.url: {webserver.url} in marimo-tui.yaml)")
        echo(f"dagster-daemon: starting (log: {webserver.options.daemon_log})")
        heartbeat = asyncio.ensure_future(_daemon_heartbeat(webserver, stop, echo))
        try:
            code = await _follow(webserver, stop, echo)
        finally:
            heartbeat.cancel()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        echo("stopping…")
        await asyncio.gather(webserver.stop(), sidecar.stop())
        echo("stopped")
    return code


async def _until(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    """Run `work` unless `stop` is set first (then cancel it)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if task not in done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return
    task.result()


async def _daemon_heartbeat(
    webserver: Webserver, stop: asyncio.Event, echo: Callable[[str], None]
) -> None:
    """Say when the daemon is at work: its first heartbeat, not merely its process (which
    still imports Dagster and loads the code location)."""
    from marimo_tui.dagster.client import DagsterClient
    from marimo_tui.dagster.daemon_health import backfill_daemon
    from marimo_tui.dagster.errors import DagsterError

    async with DagsterClient(webserver.url, timeout=30.0) as client:
        while not stop.is_set():
            with contextlib.suppress(DagsterError, KeyError, TypeError):
                health = await backfill_daemon(client)
                # A heartbeat of an earlier `dev` on this instance is not this daemon's.
                beat = health.last_heartbeat or 0.0
                if health.running() and beat >= webserver.daemon_started - 1.0:
                    echo("dagster-daemon: running (backfills, schedules, sensors)")
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEALTH_EVERY)


async def _follow(webserver: Webserver, stop: asyncio.Event, echo: Callable[[str], None]) -> int:
    failures = 0
    daemon = DaemonKeeper(webserver)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HEALTH_EVERY)
        if stop.is_set():
            continue
        told = await daemon.check()
        if told is not None:
            echo(told)
        if webserver.alive:
            continue
        echo(f"dagster: exited ({webserver.last_log_line()}); starting it again")
        failures += 1
        if failures > RESTARTS:
            echo(f"dagster: gave up after {RESTARTS} restarts (log: {webserver.options.log})")
            return EXIT_FAILURE
        try:
            await _until(webserver.start(), stop)
            echo(f"dagster: ready {webserver.url}")
            failures = 0
        except WebserverError as exc:
            echo(f"dagster: failed: {exc}")
            await asyncio.sleep(min(2.0 * failures, 10.0))
    return EXIT_OK
