"""The runs pane as SVG snapshots at 160 and 200 columns (where the workbench gives it a fifth of
the width): every column readable, the asset view, a load error's note.

The state is set by hand (fixed runs and assets, no clock on screen): the poller and the
workspace read are kept from starting, and the Dagster URL refuses. Update after an intended
change with `pytest tests/test_snapshots_runs.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from marimo_tui.dagster.model import (
    AssetStatus,
    CheckResult,
    LocationStamp,
    PartitionCounts,
    Run,
    RunStats,
)
from marimo_tui.dagster.poller import PollState, RunPoller
from marimo_tui.tui.dagster_flow import DagsterFlows
from tests.tui_support import analysed, isolate_user_config, make_app, make_project, wait_until

T = 1_796_000_000.0  # the runs' times: only durations show, never a clock


@pytest.fixture(autouse=True)
def _quiet_dagster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_user_config(tmp_path)
    monkeypatch.setattr(RunPoller, "start", lambda self: None)
    monkeypatch.setattr(DagsterFlows, "read_workspace", lambda self: None)


def state() -> PollState:
    runs = [
        Run("r1", "SUCCESS", "__ASSET_JOB", T, T + 1, T + 13.4, assets=(("marimo", "sales"),)),
        Run("r2", "FAILURE", "__ASSET_JOB", T + 20, T + 21, T + 95, assets=(("marimo", "broken"),)),
        Run("r3", "CANCELED", "__ASSET_JOB", T + 30, T + 31, T + 40, assets=(("marimo", "slow"),)),
        Run("r4", "QUEUED", "daily_refresh", T + 40),
        Run(
            "r5",
            "SUCCESS",
            "__ASSET_JOB",
            T + 50,
            T + 51,
            T + 3725,
            assets=(("warehouse", "orders_by_region_daily"), ("warehouse", "orders")),
        ),
    ]
    stats = {
        "r1": RunStats(1, 0, 1),
        "r2": RunStats(1, 1, 0),
        "r3": RunStats(0, 0, 0),
        "r5": RunStats(2, 0, 2),
    }
    assets = [
        AssetStatus(("marimo", "sales"), "FRESH", T + 13, "r1"),
        AssetStatus(("marimo", "broken"), "STALE", T - 900, "r0"),
        AssetStatus(
            ("warehouse", "orders_by_region_daily"),
            "FRESH",
            T + 3725,
            "r5",
            PartitionCounts(30, 27, 2, 1),
        ),
        AssetStatus(
            ("warehouse", "orders"),
            "MISSING",
            checks=(CheckResult("rows_positive", "SUCCEEDED"), CheckResult("no_nulls", "FAILED")),
        ),
    ]
    broken = LocationStamp("etl", "LOADED", T, "ModuleNotFoundError: No module named 'pandas'")
    return PollState(
        connected=True,
        runs={r.run_id: r for r in runs},
        stats=stats,
        assets={a.key: a for a in assets},
        locations={"etl": broken, "notebooks": LocationStamp("notebooks", "LOADED", T)},
    )


def runs_pane(assets: bool = False) -> Any:
    async def show(pilot: Pilot[Any]) -> None:
        app: Any = pilot.app
        await wait_until(lambda: analysed(app) and app.dagster is not None, what="the pane")
        flows = app.dagster
        assert flows.poller is not None
        flows.poller.state = state()
        flows.pane.show_all = True
        flows._polled(flows.poller.state, _all_changed())
        await pilot.press("4")
        if assets:
            await pilot.press("s")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()

    return show


def _all_changed() -> Any:
    from marimo_tui.dagster.poller import PollUpdate

    return PollUpdate(connection_changed=True, locations_changed=True, assets_changed=True)


def project(tmp_path: Path) -> Path:
    # The project folder's name shows in the status bar: keep it the same on every run.
    return make_project(tmp_path / "demo", dagster="{url: 'http://127.0.0.1:9'}")


@pytest.mark.parametrize("width", [160, 200])
def test_runs_pane(snap_compare: Any, tmp_path: Path, width: int) -> None:
    path = project(tmp_path)
    app = make_app(path.parent.parent, path, watch=False)
    assert snap_compare(app, terminal_size=(width, 40), run_before=runs_pane())


@pytest.mark.parametrize("width", [160, 200])
def test_asset_view(snap_compare: Any, tmp_path: Path, width: int) -> None:
    path = project(tmp_path)
    app = make_app(path.parent.parent, path, watch=False)
    assert snap_compare(app, terminal_size=(width, 40), run_before=runs_pane(assets=True))
