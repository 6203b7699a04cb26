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
from marimo_tui.dagster.model import FINISHED, Run
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


async def launch(
    server: DagsterServer, asset: str, tags: dict[str, str] | None = None, **config: Any
) -> Run:
    """Launch one asset (one partition with a `dagster/partition` tag) over the client."""
    async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
        run_config = {"ops": {asset: {"config": config}}} if config else None
        return await client.launch_assets(
            "definitions.py", "__repository__", [[asset]], run_config=run_config, tags=tags
        )


def painted_row(app: WorkbenchApp, name: str) -> str:
    """The first row of the runs pane's table naming `name`, as painted ('' when none)."""
    assert app.dagster is not None
    rows = painted_text(app, app.dagster.pane.table).splitlines()
    return next((" ".join(row.split()) for row in rows if name in row), "")


def squashed(app: WorkbenchApp, widget: Any) -> str:
    """The painted text without its spaces and line breaks: a note wraps in a narrow pane."""
    return "".join(painted_text(app, widget).split())


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
        assert "error" in painted_text(app, pane) and "injected" in squashed(app, pane)
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
            await wait_until(lambda s=seen: len(log.lines) > s or ended(), RUN, "more lines")
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


async def test_the_asset_view_shows_staleness_partitions_and_checks_in_one_request_a_poll(
    project: tuple[Path, DagsterServer],
) -> None:
    root, server = project
    app, _ = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)  # `a`: every asset, none is paired
        assert app.dagster is not None and app.dagster.poller is not None
        poller = app.dagster.poller
        pane = app.dagster.pane
        await pilot.press("s")
        await wait_until(lambda: len(poller.state.assets) == 5, what="every asset's status")

        def row(name: str) -> list[str]:
            assert app.dagster is not None
            rows = painted_text(app, app.dagster.pane.assets_table).splitlines()
            return next((r.split() for r in rows if f" {name} " in r), [])

        # Never materialized (no test before this one launches it): missing, checks not run.
        await wait_until(lambda: row("checked") == ["○", "checked", "?2"], what="missing")
        runs = [
            await launch(server, "checked"),
            await launch(server, "daily", tags={"dagster/partition": "2026-11-03"}),
            await launch(server, "regions", tags={"dagster/partition": "north"}),
            await launch(server, "regions", tags={"dagster/partition": "east"}),
        ]
        for run in runs:
            await wait_until(lambda r=run: status_of(app, r.run_id) in FINISHED, RUN, "the runs")

        # Painted: staleness glyph, name, materialized/total with the failed, checks ✓/✗.
        await wait_until(lambda: row("checked") == ["●", "checked", "✓1", "✗1"], what="checks")
        await wait_until(lambda: row("daily") == ["●", "daily", "1/7"], what="daily 1 of 7")
        await wait_until(lambda: row("regions") == ["●", "regions", "1/3", "✗1"], what="regions")
        assert poller.state.assets[("regions",)].partitions is not None
        assert poller.state.assets[("regions",)].partitions.missing == 1
        # Enter on an asset opens the run of its latest materialization.
        pane.assets_table.focus()
        pane.assets_table.move_cursor(row=pane._assets.index(("checked",)))
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, RunScreen), what="the run screen")
        assert isinstance(app.screen, RunScreen) and app.screen.run_id == runs[0].run_id
        await pilot.press("escape")
        # Still one request a poll, the asset view on: every request is a poll (one may be
        # on its way when counting starts or stops).
        client = poller.client
        sent: list[str] = []
        execute = client.execute

        async def spy(name: str, *args: Any) -> Any:
            sent.append(name)
            return await execute(name, *args)

        client.execute = spy  # type: ignore[method-assign]
        polls = poller.state.polls
        await wait_until(lambda: poller.state.polls >= polls + 5, what="five polls")
        done = poller.state.polls - polls
        assert set(sent) == {"poll"} and abs(len(sent) - done) <= 1, (sent, done)


BROKEN = "import dagster as dg\n\nraise RuntimeError('definitions broken on purpose')\n"
ADDED = (
    '@dg.asset(group_name="view")\ndef added() -> int:\n    return 2\n\n\n'
    "defs = dg.Definitions(\n    assets=[added, "
)


def with_added(definitions: str) -> str:
    """The definitions with one more asset, `added`."""
    fixed = definitions.replace("defs = dg.Definitions(\n    assets=[", ADDED)
    assert fixed != definitions
    return fixed


async def test_a_load_error_stays_in_the_pane_until_fixed_and_r_reloads(
    project: tuple[Path, DagsterServer],
) -> None:
    # Last in the module: it edits the served definitions (and puts them back).
    root, _ = project
    definitions = root / "definitions.py"
    original = definitions.read_text()
    app, notices = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert app.dagster is not None and app.dagster.poller is not None
        flows, pane, poller = app.dagster, app.dagster.pane, app.dagster.poller
        await wait_until(lambda: flows.workspace is not None, what="the workspace")
        try:
            definitions.write_text(BROKEN)
            await pilot.press("R")
            await wait_until(lambda: "brokenonpurpose" in squashed(app, pane), RUN, "the note")
            polls = poller.state.polls
            await wait_until(lambda: poller.state.polls >= polls + 10, what="ten more polls")
            assert "brokenonpurpose" in squashed(app, pane), "the note went away"
            assert sum("does not load" in n for n in notices) == 2  # R's answer, and the note's
            definitions.write_text(with_added(original))
            await pilot.press("R")
            await wait_until(lambda: not pane.notes, RUN, "the note gone once fixed")
            # The workspace is read again: the new asset can be launched.
            await wait_until(
                lambda: flows.workspace is not None and flows.workspace.asset(("added",)),
                what="the reloaded workspace",
            )
        finally:
            definitions.write_text(original)
            assert app.dagster.client is not None
            await app.dagster.client.reload_location("definitions.py")
