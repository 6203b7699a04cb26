"""`marimo-tui open --dagster` on a `dg` project (tests/dagster_projects/dg_project): the
workbench starts the project's webserver as `dg dev` would load it, and pairs the notebook
asset of its `defs/` folder with the open notebook."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from marimo_tui.config import load_config
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.workbench import Workbench
from tests.conftest import HANG, REPO
from tests.sidecar_support import kill_group
from tests.tui_support import isolate_user_config, wait_until

pytest.importorskip("dagster_webserver")


def serving_app(tmp_path: Path, project: str, notebook: str) -> tuple[Path, WorkbenchApp]:
    """A copy of tests/dagster_projects/PROJECT, and the workbench on NOTEBOOK with
    `--dagster` (it runs the project's webserver and daemon)."""
    isolate_user_config(tmp_path)
    root = tmp_path / project
    shutil.copytree(
        REPO / "tests" / "dagster_projects" / project,
        root,
        ignore=shutil.ignore_patterns("__pycache__", ".marimo-tui"),
    )
    (root / "marimo-tui.yaml").write_text("notebooks:\n  folder: notebooks\n")
    wb = Workbench(load_config(start=root, environ={}))
    path = root / "notebooks" / notebook
    return root, WorkbenchApp(wb, wb.quick_open(path), watch=False, run=False, serve_dagster=True)


async def connected(app: WorkbenchApp) -> None:
    await wait_until(
        lambda: app.status.services["dagster"][0] == "connected",
        timeout=3 * HANG,
        what="the project's webserver",
    )


async def test_open_with_dagster_serves_a_dg_project_and_pairs_its_notebook(
    tmp_path: Path,
) -> None:
    root, app = serving_app(tmp_path, "dg_project", "daily_report.py")
    notebook = root / "notebooks" / "daily_report.py"
    async with app.run_test(size=(200, 50)):
        await connected(app)
        await wait_until(lambda: app.dagster is not None and bool(app.dagster.pairs))
        assert app.dagster is not None and app.dagster.workspace is not None
        workspace = app.dagster.workspace
        assert [(loc.name, loc.error) for loc in workspace.locations] == [("dg-project", None)]
        assert {a.name for a in workspace.assets} == {
            "orders",
            "regions",
            "daily_report",
            "report_total",
        }
        assert [(p.notebook, p.key) for p in app.dagster.pairs] == [
            (notebook.resolve(), ("daily_report",))
        ]
        # `--dagster` runs the daemon too (backfills, schedules, sensors), as `dev` does.
        webserver = app.dagster_start.webserver
        assert webserver is not None and webserver.daemon is not None and webserver.daemon_alive
        # A daemon that dies is told in one line and started again; the webserver serves on.
        first = webserver.daemon.pid
        kill_group(first)
        await wait_until(
            lambda: any("; started it again" in str(n.message) for n in app._notifications),
            timeout=3 * HANG,
            what="the daemon started again",
        )
        [told] = [str(n.message) for n in app._notifications if "dagster-daemon" in str(n.message)]
        assert told.startswith("dagster: dagster-daemon is not running (killed by SIGKILL)"), told
        assert webserver.daemon_alive and webserver.daemon.pid != first
        assert webserver.alive
        # The instance of its own, and the workspace file written as `dg dev` writes one.
        written = (root / ".marimo-tui" / "dagster" / "workspace.yaml").read_text()
        assert "module_name: dg_project.definitions" in written


async def test_r_reloads_the_location_picked_of_a_workspace_yaml(tmp_path: Path) -> None:
    from textual.widgets import OptionList

    from marimo_tui.tui.screens.dialogs import ChoiceScreen

    _, app = serving_app(tmp_path, "two_locations", "weekly.py")
    async with app.run_test(size=(200, 50)) as pilot:
        await connected(app)
        flows = app.dagster
        assert flows is not None and flows.poller is not None
        state = flows.poller.state
        await wait_until(lambda: set(state.locations) == {"reports", "warehouse"})
        before = {name: stamp.updated for name, stamp in state.locations.items()}
        await pilot.press("4")  # the runs pane
        await pilot.press("R")
        await wait_until(lambda: isinstance(app.screen, ChoiceScreen), what="the picker")
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert shown[0] == "every location"
        assert sorted(shown[1:]) == ["reports · loaded", "warehouse · loaded"]
        picked = next(i for i, line in enumerate(shown) if line.startswith("warehouse"))
        options.highlighted = picked
        await pilot.press("enter")
        await wait_until(
            lambda: state.locations["warehouse"].updated > before["warehouse"],
            timeout=3 * HANG,
            what="warehouse reloaded",
        )
        polls = state.polls
        await wait_until(lambda: state.polls >= polls + 2, what="two more polls")
        assert state.locations["reports"].updated == before["reports"]  # not reloaded
        # Escape leaves every location as it was.
        await pilot.press("R")
        await wait_until(lambda: isinstance(app.screen, ChoiceScreen), what="the picker")
        await pilot.press("escape")
        assert not isinstance(app.screen, ChoiceScreen)
