"""The runs pane's launch dialog (`L`) and relaunches, with Pilot, against a real Dagster
webserver over tests/dagster_projects/launch_kinds: a partition picked from Dagster's keys, a
backfill, run config prefilled from Dagster's defaults (and Dagster's validation errors shown in
the dialog), several assets and a job; `r` and `f` keep the run's config, partition and tags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static, TextArea

from marimo_tui.config import load_config
from marimo_tui.dagster.model import Run
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.screens.launch_dialog import LaunchDialog
from marimo_tui.tui.screens.run_detail import RunScreen
from marimo_tui.workbench import Workbench
from tests.conftest import HANG
from tests.dagster_support import DagsterServer
from tests.launch_support import graphql, serve_launch_kinds, written
from tests.tui_support import CHAIN, isolate_user_config, render, wait_until

RUN = 3 * HANG  # a wait that covers a whole Dagster run


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DagsterServer]]:
    root = tmp_path_factory.mktemp("pane-kinds")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "main.py").write_text(render(CHAIN))
    # The open notebook is paired with the partitioned `colour`: `l` asks for a partition.
    settings = "  poll_interval: 0.3\npairs:\n  notebooks/main.py: colour\n"
    for server in serve_launch_kinds(root, settings):
        yield root, server


def make_app(root: Path) -> WorkbenchApp:
    wb = Workbench(load_config(start=root, environ={}))
    initial = wb.quick_open(root / "notebooks" / "main.py")
    return WorkbenchApp(wb, initial, watch=False, run=False)


def runs(app: WorkbenchApp) -> list[Run]:
    assert app.dagster is not None and app.dagster.poller is not None
    return app.dagster.poller.state.newest()


def newest(app: WorkbenchApp, count: int) -> Run | None:
    listed = runs(app)
    return listed[0] if len(listed) >= count else None


async def open_dialog(app: WorkbenchApp, pilot: object, target: str) -> LaunchDialog:
    await pilot.press("L")  # type: ignore[attr-defined]
    await wait_until(lambda: isinstance(app.screen, LaunchDialog), what="the launch dialog")
    dialog = app.screen
    assert isinstance(dialog, LaunchDialog)
    field = dialog.query_one("#launch-target", Input)
    field.value = target
    field.focus()
    await pilot.press("enter")  # type: ignore[attr-defined]
    return dialog


async def ready(app: WorkbenchApp, pilot: object) -> None:
    await wait_until(lambda: app.status.services["dagster"][0] == "connected")
    await wait_until(lambda: app.dagster is not None and app.dagster.workspace is not None)
    await pilot.press("4", "a")  # type: ignore[attr-defined]  # all runs: none are paired


async def test_a_partition_picked_from_dagsters_keys_and_a_backfill(
    kinds: tuple[Path, DagsterServer],
) -> None:
    root, server = kinds
    app = make_app(root)
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        known = len(runs(app))
        dialog = await open_dialog(app, pilot, "colour")
        picker = dialog.query_one("#partitions", OptionList)
        await wait_until(lambda: picker.option_count == 3, what="colour's three partitions")
        dialog.query_one("#partition", Input).focus()
        await pilot.press("g", "r")  # the search narrows the picker
        await wait_until(lambda: picker.option_count == 1, what="the search")
        picker.focus()
        picker.highlighted = 0
        await pilot.press("enter")
        assert dialog.query_one("#partition", Input).value == "green"
        dialog.query_one("#tags", Input).value = "team=pane"
        await pilot.press("ctrl+l")
        await wait_until(lambda: not isinstance(app.screen, LaunchDialog), what="launched")
        await wait_until(lambda: newest(app, known + 1) is not None, what="the run")
        run = newest(app, known + 1)
        assert run is not None
        assert run.tags["dagster/partition"] == "green" and run.tags["team"] == "pane"
        await wait_until(
            lambda: (r := newest(app, known + 1)) is not None and r.status == "SUCCESS",
            timeout=RUN,
            what="SUCCESS",
        )
        assert written(root, "colour") == {"partition": "green"}

        # A first and a last partition: a backfill of the range.
        dialog = await open_dialog(app, pilot, "daily")
        picker = dialog.query_one("#partitions", OptionList)
        await wait_until(lambda: picker.option_count == 31, what="daily's partitions")
        dialog.query_one("#partition", Input).value = "2024-01-10"
        dialog.query_one("#partition-end", Input).value = "2024-01-12"
        dialog.query_one("#tags", Input).value = "from=pane-backfill"
        await pilot.press("ctrl+l")
        await wait_until(lambda: not isinstance(app.screen, LaunchDialog), what="launched")
        # This webserver has no daemon: the notice says the backfill waits for one.
        await wait_until(
            lambda: any(
                "registered; no dagster-daemon is running" in str(n.message)
                for n in app._notifications
            ),
            what="the notice that no daemon runs",
        )
    backfills = graphql(
        server.url,
        "{ partitionBackfillsOrError { ... on PartitionBackfills { results {"
        " partitionNames tags { key value } } } } }",
    )["partitionBackfillsOrError"]["results"]
    ours = [
        b["partitionNames"]
        for b in backfills
        if {"key": "from", "value": "pane-backfill"} in b["tags"]
    ]
    assert ours == [["2024-01-10", "2024-01-11", "2024-01-12"]]


async def test_run_config_prefilled_errors_shown_and_a_relaunch_keeps_it(
    kinds: tuple[Path, DagsterServer],
) -> None:
    root, _ = kinds
    app = make_app(root)
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(app, pilot)
        known = len(runs(app))
        dialog = await open_dialog(app, pilot, "configured")
        editor = dialog.query_one("#run-config", TextArea)
        await wait_until(lambda: "label: plain" in editor.text, what="Dagster's default config")
        # The default, and the required field without one, left empty to fill.
        assert (
            "ops:\n  configured:\n    config:\n      label: plain\n      rows: null" in editor.text
        )
        await pilot.press("ctrl+l")  # launched as it is: Dagster's error, in the dialog
        error = dialog.query_one("#launch-error", Static)
        await wait_until(lambda: "RUNTIME_TYPE_MISMATCH" in str(error.render()), what="error")
        assert "ops.configured.config.rows" in str(error.render())
        assert isinstance(app.screen, LaunchDialog)
        editor.load_text("ops:\n  configured:\n    config:\n      rows: 4\n")
        await pilot.press("ctrl+l")
        await wait_until(lambda: not isinstance(app.screen, LaunchDialog), what="launched")
        await wait_until(
            lambda: (r := newest(app, known + 1)) is not None and r.status == "SUCCESS",
            timeout=RUN,
            what="SUCCESS",
        )
        assert written(root, "configured") == {"label": "plain", "rows": 4}
        (root / "out" / "configured.json").unlink()
        pane = app.dagster.pane if app.dagster is not None else None
        assert pane is not None
        launched = newest(app, known + 1)
        assert launched is not None and pane.selected_run_id() == launched.run_id
        await pilot.press("r")  # relaunch: the same config
        await wait_until(
            lambda: (r := newest(app, known + 2)) is not None and r.status == "SUCCESS",
            timeout=RUN,
            what="the relaunch's SUCCESS",
        )
        assert written(root, "configured") == {"label": "plain", "rows": 4}


async def test_several_assets_a_job_and_from_failure(kinds: tuple[Path, DagsterServer]) -> None:
    root, _ = kinds
    app = make_app(root)
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(app, pilot)
        known = len(runs(app))
        dialog = await open_dialog(app, pilot, "job greet_job")
        editor = dialog.query_one("#run-config", TextArea)
        await wait_until(lambda: "name: null" in editor.text, what="the job's required config")
        assert editor.text == "ops:\n  greet:\n    config:\n      name: null\n"
        editor.load_text("ops:\n  greet:\n    config:\n      name: Pane\n")
        await pilot.press("ctrl+l")
        await wait_until(lambda: not isinstance(app.screen, LaunchDialog), what="launched")
        await wait_until(
            lambda: (r := newest(app, known + 1)) is not None and r.status == "SUCCESS",
            timeout=RUN,
            what="the job's SUCCESS",
        )
        assert written(root, "greet") == {"name": "Pane"}

        dialog = await open_dialog(app, pilot, "flaky_first, flaky")
        await wait_until(lambda: dialog.loads >= 1, what="what Dagster has for them")
        assert dialog.query_one("#run-config", TextArea).text == ""  # nothing to configure
        dialog.query_one("#tags", Input).value = "team=resume"
        await pilot.press("ctrl+l")
        await wait_until(lambda: not isinstance(app.screen, LaunchDialog), what="launched")
        await wait_until(
            lambda: (r := newest(app, known + 2)) is not None and r.status == "FAILURE",
            timeout=RUN,
            what="the flaky run's FAILURE",
        )
        failed = newest(app, known + 2)
        assert failed is not None and sorted(failed.assets) == [("flaky",), ("flaky_first",)]
        (root / "out" / "flaky.ok").touch()
        assert app.dagster is not None
        app.dagster.open(failed.run_id)
        await wait_until(lambda: isinstance(app.screen, RunScreen), what="the run screen")
        await pilot.press("f")  # re-execute from the failure
        await wait_until(lambda: newest(app, known + 3) is not None, what="the resumed run")
        resumed = newest(app, known + 3)
        assert resumed is not None
        assert resumed.tags["dagster/parent_run_id"] == failed.run_id
        assert resumed.tags["team"] == "resume"
        await wait_until(
            lambda: (r := newest(app, known + 3)) is not None and r.status == "SUCCESS",
            timeout=RUN,
            what="the resumed run's SUCCESS",
        )


async def test_l_on_a_partitioned_asset_asks_for_the_partition(
    kinds: tuple[Path, DagsterServer],
) -> None:
    root, _ = kinds
    app = make_app(root)
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        await wait_until(lambda: app.dagster is not None and bool(app.dagster.pairs))
        known = len(runs(app))
        await pilot.press("l")
        await wait_until(lambda: isinstance(app.screen, LaunchDialog), what="the launch dialog")
        dialog = app.screen
        assert isinstance(dialog, LaunchDialog)
        assert dialog.query_one("#launch-target", Input).value == "colour"
        picker = dialog.query_one("#partitions", OptionList)
        await wait_until(lambda: picker.option_count == 3, what="colour's partitions")
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, LaunchDialog), what="cancelled")
        await pilot.pause()
        assert len(runs(app)) == known  # nothing launched without a partition
