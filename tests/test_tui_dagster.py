"""The runs pane with Pilot against a real Dagster webserver on 127.0.0.1 (tests/dagster_project):
launch from the open notebook, follow a run to SUCCESS, open it, terminate one, and ride out the
webserver going away and coming back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import RichLog, TabbedContent

from marimo_tui.config import load_config
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.screens.dialogs import ConfirmScreen
from marimo_tui.tui.screens.run_detail import RunScreen
from marimo_tui.workbench import Workbench
from tests.conftest import HANG
from tests.dagster_support import DagsterServer, serve_paired
from tests.tui_support import isolate_user_config, painted_text, wait_until

RUN = 3 * HANG  # a wait that covers a whole Dagster run (a worker process, marimo, an export)


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DagsterServer]]:
    yield from serve_paired(tmp_path_factory.mktemp("pane"), "  poll_interval: 0.3\n")


def make_app(root: Path, notebook: str) -> WorkbenchApp:
    wb = Workbench(load_config(start=root, environ={}))
    initial = wb.quick_open(root / "notebooks" / notebook)
    return WorkbenchApp(wb, initial, watch=False, run=False)


def statuses(app: WorkbenchApp) -> list[str]:
    assert app.dagster is not None
    state = app.dagster.pane.state
    return [r.status for r in app.dagster.pane.visible_runs()] if state else []


async def test_launch_follow_and_open_a_run(project: tuple[Path, DagsterServer]) -> None:
    root, _ = project
    app = make_app(root, "sales.py")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: app.status.services["dagster"][0] == "connected")
        await wait_until(lambda: app.dagster is not None and bool(app.dagster.pairs))
        await pilot.press("4")
        await pilot.press("l")
        await wait_until(lambda: len(statuses(app)) == 1, what="the launched run")
        await wait_until(lambda: statuses(app) == ["SUCCESS"], timeout=RUN, what="SUCCESS")
        assert app.dagster is not None
        pane = app.dagster.pane

        def painted() -> str:
            return painted_text(app, pane)

        # On screen as painted, which follows the state at the next refresh: in a pane this
        # narrow the status is its glyph.
        await wait_until(
            lambda: any(r.split()[:2] == ["✓", "marimo/sales"] for r in painted().splitlines())
        )
        run_id = pane.selected_run_id()
        assert run_id is not None
        await wait_until(lambda: str(pane.table.get_cell(run_id, "steps")) == "✓1")
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, RunScreen), what="the run screen")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await wait_until(lambda: bool(screen._materialized), what="the materialization")
        assert "3 rows" in screen._materialized[0]
        # The step's captured output: the asset's log lines go to stderr.
        screen.query_one(TabbedContent).active = "stderr"  # as a click on the tab does
        stderr = screen.query_one("#stderr-log", RichLog)
        await wait_until(
            lambda: any("marimo: running" in str(line.text) for line in stderr.lines),
            what="the captured stderr",
        )
        await pilot.press("r")  # relaunch from the run screen
        await wait_until(lambda: len(statuses(app)) == 2, what="the relaunched run")
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, RunScreen))
        await wait_until(lambda: statuses(app)[0] == "SUCCESS", timeout=RUN, what="2nd SUCCESS")


async def test_terminate_with_confirmation(project: tuple[Path, DagsterServer]) -> None:
    root, _ = project
    app = make_app(root, "slow.py")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: app.dagster is not None and bool(app.dagster.pairs))
        await pilot.press("4")
        await pilot.press("a")  # all runs: the slow one is the newest
        await pilot.press("l")
        await wait_until(lambda: statuses(app)[:1] == ["STARTED"], timeout=RUN, what="STARTED")
        await pilot.press("x")
        await wait_until(lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await wait_until(lambda: statuses(app)[:1] == ["CANCELED"], timeout=RUN, what="CANCELED")


async def test_the_pane_says_disconnected_and_resumes(project: tuple[Path, DagsterServer]) -> None:
    root, server = project
    app = make_app(root, "sales.py")
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: app.status.services["dagster"][0] == "connected")
        server.stop()
        await wait_until(lambda: app.status.services["dagster"][0] == "disconnected")
        pane = app.dagster.pane if app.dagster is not None else None
        assert pane is not None
        await wait_until(lambda: "disconnected" in painted_text(app, pane), what="it painted")
        server.start()
        await wait_until(lambda: app.status.services["dagster"][0] == "connected", what="resumed")
        await pilot.pause()
        assert app.is_running


async def test_open_with_dagster_and_no_definitions_says_so_and_keeps_running(
    tmp_path: Path,
) -> None:
    from tests.tui_support import make_project

    notebook = make_project(tmp_path / "plain")
    wb = Workbench(load_config(start=notebook.parent, environ={}))
    initial = wb.quick_open(notebook)
    app = WorkbenchApp(wb, initial, watch=False, run=False, serve_dagster=True)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: app.status.services["dagster"][0] == "failed")
        await wait_until(
            lambda: (
                "✗ dagster: no Dagster definitions in" in painted_text(app, app.query_one("#runs"))
            ),
        )
        assert app.dagster is None and wb.config.dagster.url is None
        await pilot.press("1")  # still at work
        assert app.is_running


async def test_c_on_a_failed_notebook_run_opens_its_failing_cell(
    project: tuple[Path, DagsterServer],
) -> None:
    root, _ = project
    app = make_app(root, "sales.py")  # another notebook is open: `c` opens broken.py
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: app.dagster is not None and bool(app.dagster.pairs))
        flows = app.dagster
        assert flows is not None and flows.client is not None and flows.workspace is not None
        poller = flows.poller
        assert poller is not None
        broken = flows.workspace.asset(("marimo", "broken"))
        assert broken is not None
        run = await flows.client.launch_assets(broken.location, broken.repository, [broken.key])
        await pilot.press("4")
        await wait_until(lambda: run.run_id in flows.pane._rows, what="the run listed")
        await wait_until(
            lambda: (r := poller.state.runs.get(run.run_id)) is not None and r.finished,
            timeout=RUN,
            what="the run's end",
        )
        assert poller.state.runs[run.run_id].status == "FAILURE"
        flows.pane.select_run(run.run_id)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, RunScreen), what="the run screen")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await wait_until(lambda: screen.failed is not None, what="the failing cell named")
        assert screen.failed is not None and screen.failed.ref == "load_rows"
        await pilot.press("c")
        await wait_until(lambda: not isinstance(app.screen, RunScreen), what="the screen closed")

        def at_cell() -> bool:
            view = app.cell_view
            selected = view.selected
            return (
                view.notebook is not None
                and view.notebook.path.name == "broken.py"
                and selected is not None
                and selected.name == "load_rows"
            )

        await wait_until(at_cell, what="broken.py at load_rows")
        assert app.cell_view.has_focus
