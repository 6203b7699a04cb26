"""The runs pane that cannot die, against a real Dagster webserver on 127.0.0.1
(tests/dagster_projects/asset_view), driven with Pilot: run screens opened and closed while a run
streams events, a failure injected into the polling task, and a long log read to its real end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marimo_tui.config import load_config
from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.model import Run
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.screens.run_detail import RunScreen
from marimo_tui.tui.widgets.follow_log import FollowLog
from marimo_tui.workbench import Workbench
from tests.conftest import HANG
from tests.dagster_support import CLIENT_TIMEOUT, DagsterServer, serve_asset_view
from tests.tui_support import isolate_user_config, painted_text, wait_until

RUN = 3 * HANG  # a wait that covers a whole Dagster run (a worker process starts)
SIZE = (200, 50)


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DagsterServer]]:
    yield from serve_asset_view(tmp_path_factory.mktemp("runs-pane"), "  poll_interval: 0.3\n")


def make_app(root: Path) -> tuple[WorkbenchApp, list[str]]:
    """The workbench over the project, and the notices it gives (each one, however brief)."""
    app = WorkbenchApp(Workbench(load_config(start=root, environ={})), watch=False, run=False)
    notices: list[str] = []
    notify = app.notify

    def spy(message: str, **options: Any) -> None:
        notices.append(message)
        notify(message, **options)

    app.notify = spy  # type: ignore[method-assign]
    return app, notices


async def launch(server: DagsterServer, asset: str, **config: Any) -> Run:
    async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
        run_config = {"ops": {asset: {"config": config}}} if config else None
        return await client.launch_assets(
            "definitions.py", "__repository__", [[asset]], run_config=run_config
        )


def painted_row(app: WorkbenchApp, name: str) -> str:
    """The first row of the runs pane's table naming `name`, as painted ('' when none)."""
    assert app.dagster is not None
    rows = painted_text(app, app.dagster.pane.table).splitlines()
    return next((" ".join(row.split()) for row in rows if name in row), "")


def dagster_state(app: WorkbenchApp) -> str:
    return app.status.services["dagster"][0]


def status_of(app: WorkbenchApp, run_id: str) -> str | None:
    assert app.dagster is not None and app.dagster.poller is not None
    run = app.dagster.poller.state.runs.get(run_id)
    return run.status if run else None


async def ready(app: WorkbenchApp, pilot: Any) -> None:
    await wait_until(lambda: dagster_state(app) == "connected", what="connected")
    await pilot.press("4")
    await pilot.press("a")  # all runs: none of these assets is paired with a notebook


async def test_opening_and_closing_run_screens_while_events_stream(
    project: tuple[Path, DagsterServer],
) -> None:
    root, server = project
    app, notices = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert app.dagster is not None and app.dagster.poller is not None
        poller = app.dagster.poller
        pane = app.dagster.pane
        run = await launch(server, "chatty", lines=400, pause=0.03)
        await wait_until(lambda: run.run_id in pane._rows, what="the run listed")
        await wait_until(lambda: status_of(app, run.run_id) == "STARTED", RUN, "STARTED")
        pane.select_run(run.run_id)
        opened = 0
        while status_of(app, run.run_id) == "STARTED" and opened < 40:
            await pilot.press("enter")
            if opened % 2:  # every other time, close before it has composed or polled
                await wait_until(lambda: isinstance(app.screen, RunScreen), what="the screen")
                await wait_until(lambda: poller.state.events != [], what="events")
            await pilot.press("escape")
            await wait_until(lambda: not isinstance(app.screen, RunScreen), what="closed")
            opened += 1
        assert opened >= 4, "the run ended before the screens were opened and closed"
        assert poller._task is not None and not poller._task.done()
        # The pane goes on: the run's end reaches it and it is painted.
        await wait_until(lambda: status_of(app, run.run_id) == "SUCCESS", RUN, "SUCCESS")
        await wait_until(lambda: painted_row(app, "chatty").startswith("✓"), what="✓ painted")
        assert dagster_state(app) == "connected"
        assert not [n for n in notices if "failed" in n], notices


async def test_a_failure_in_the_polling_task_is_one_notice_an_error_state_and_recovers(
    project: tuple[Path, DagsterServer],
) -> None:
    root, server = project
    app, notices = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert app.dagster is not None and app.dagster.poller is not None
        poller = app.dagster.poller
        pane = app.dagster.pane
        real_poll = poller.client.poll

        async def broken(**kwargs: Any) -> Any:
            raise RuntimeError("injected")

        poller.client.poll = broken  # type: ignore[method-assign]
        await wait_until(lambda: poller.streak.failures >= 3, what="three failed polls")
        assert dagster_state(app) == "error"
        assert "error" in painted_text(app, pane) and "injected" in painted_text(app, pane)
        failed = [n for n in notices if "polling runs failed" in n]
        assert len(failed) == 1 and "RuntimeError: injected" in failed[0], notices

        poller.client.poll = real_poll  # type: ignore[method-assign]
        await wait_until(lambda: dagster_state(app) == "connected", RUN, "recovered")
        assert any("works again" in n for n in notices)
        # And it keeps updating: a new run is listed and followed to its end.
        run = await launch(server, "plain")
        await wait_until(lambda: status_of(app, run.run_id) == "SUCCESS", RUN, "SUCCESS")
        await wait_until(lambda: run.run_id in pane._rows, what="listed")
        assert "error" not in painted_text(app, pane).splitlines()[0]


async def test_a_long_log_reaches_its_real_end_and_follows(
    project: tuple[Path, DagsterServer],
) -> None:
    root, server = project
    app, _ = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert app.dagster is not None
        pane = app.dagster.pane
        run = await launch(server, "chatty", lines=600, pause=0.01)
        await wait_until(lambda: run.run_id in pane._rows, what="the run listed")
        pane.select_run(run.run_id)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, RunScreen), what="the screen")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        log = screen.query_one("#event-log", FollowLog)

        def shown() -> str:
            return painted_text(app, log)

        def last_line() -> str:
            return log.lines[-1].text.strip() if log.lines else ""

        def ended() -> bool:
            return any("run success" in strip.text for strip in log.lines)

        # Followed while lines arrive: whenever the log has moved on, its newest line is painted.
        seen = checked = 0
        while not ended():
            await wait_until(lambda: len(log.lines) > seen or ended(), RUN, "more lines")
            seen = len(log.lines)
            await pilot.pause()
            if log.max_scroll_y and "chatty line" in last_line():
                await wait_until(lambda: last_line()[-20:] in shown(), what="the newest line shown")
                checked += 1
        assert checked >= 3, "the log was followed while it grew"
        assert log.max_scroll_y > 100, "a log longer than its frame"
        await wait_until(lambda: "run success" in shown(), what="RUN_SUCCESS painted")
        await pilot.press("home")
        await wait_until(lambda: "run success" not in shown(), what="the top")
        assert not log.following
        await pilot.press("end")
        await wait_until(lambda: "run success" in shown(), what="End: the real end")
        assert log.following and log.scroll_y == log.max_scroll_y
        # The log's last row is inside the run screen's frame, not below it.
        frame = screen.query_one("Vertical").content_region
        assert log.region.bottom <= frame.bottom
