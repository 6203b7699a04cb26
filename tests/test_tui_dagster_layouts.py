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
from tests.tui_support import isolate_user_config, wait_until

pytest.importorskip("dagster_webserver")


async def test_open_with_dagster_serves_a_dg_project_and_pairs_its_notebook(
    tmp_path: Path,
) -> None:
    isolate_user_config(tmp_path)
    root = tmp_path / "dg"
    shutil.copytree(
        REPO / "tests" / "dagster_projects" / "dg_project",
        root,
        ignore=shutil.ignore_patterns("__pycache__", ".marimo-tui"),
    )
    (root / "marimo-tui.yaml").write_text("notebooks:\n  folder: notebooks\n")
    wb = Workbench(load_config(start=root, environ={}))
    notebook = root / "notebooks" / "daily_report.py"
    app = WorkbenchApp(wb, wb.quick_open(notebook), watch=False, run=False, serve_dagster=True)
    async with app.run_test(size=(200, 50)):
        await wait_until(
            lambda: app.status.services["dagster"][0] == "connected",
            timeout=3 * HANG,
            what="the dg project's webserver",
        )
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
        assert app._webserver is not None and app._webserver.daemon_alive
        # The instance of its own, and the workspace file written as `dg dev` writes one.
        written = (root / ".marimo-tui" / "dagster" / "workspace.yaml").read_text()
        assert "module_name: dg_project.definitions" in written
