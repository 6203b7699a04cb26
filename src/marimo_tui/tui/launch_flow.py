"""Launching from the runs pane beyond `l`: the launch dialog (`L`: partitions, run config,
tags, several assets or a job), and launching a run again — all its steps (`r`) or from its
failure (`f`) — with its config, partition and tags, through `dagster.launcher`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marimo_tui.dagster.errors import DagsterError
from marimo_tui.dagster.launch_request import LaunchRequest, Reexecution, Strategy
from marimo_tui.dagster.model import ASSET_JOB, key_text

if TYPE_CHECKING:
    from marimo_tui.dagster.launcher import Launched
    from marimo_tui.dagster.model import Workspace
    from marimo_tui.tui.dagster_flow import DagsterFlows
    from marimo_tui.tui.screens.launch_dialog import LaunchChoices


def dialog_target(flows: DagsterFlows, run_id: str | None) -> str:
    """What the dialog starts with: the open notebook's asset, else the selected run's."""
    from marimo_tui.dagster.pairs import pair_for

    current = flows.app.workbench.current
    pair = pair_for(flows.pairs, current) if current is not None else None
    if pair is not None:
        return key_text(pair.key)
    run = flows.poller.state.runs.get(run_id) if flows.poller and run_id else None
    if run is None:
        return ""
    if run.assets:
        return ", ".join(key_text(k) for k in run.assets)
    return f"job {run.job}" if run.job != ASSET_JOB else ""


async def open_launch_dialog(flows: DagsterFlows, run_id: str | None) -> None:
    from marimo_tui.dagster.config_defaults import default_run_config
    from marimo_tui.dagster.launcher import launch, partitions_of, target_of
    from marimo_tui.tui.screens.launch_dialog import LaunchChoices, LaunchDialog

    client = flows.client
    assert client is not None
    workspace: Workspace | None = None

    async def fresh() -> Workspace:
        # Read once a dialog: the code location may have been reloaded since the pane started.
        nonlocal workspace
        if workspace is None:
            workspace = await client.workspace()
        return workspace

    async def load(probe: LaunchRequest) -> LaunchChoices:
        try:
            target = target_of(await fresh(), probe)
            keys: tuple[str, ...] = ()
            if probe.assets:
                found = await partitions_of(client, probe.assets)
                keys = next((p.keys for p in found.values() if p.partitioned), ())
            return LaunchChoices(keys, await default_run_config(client, target))
        except DagsterError as exc:
            return LaunchChoices(error=str(exc))

    async def submit(request: LaunchRequest) -> str | None:
        try:
            launched = await launch(client, request, await fresh())
        except DagsterError as exc:
            return str(exc)
        shown(flows, launched)
        return None

    await flows.app.push_screen_wait(LaunchDialog(dialog_target(flows, run_id), load, submit))


async def launch_again(flows: DagsterFlows, run_id: str, strategy: Strategy) -> None:
    """Relaunch (ALL_STEPS) or re-execute from failure: Dagster keeps the run's config,
    partition and tags."""
    from marimo_tui.dagster.launcher import launch

    assert flows.client is not None and flows.poller is not None
    run = flows.poller.state.runs.get(run_id)
    if strategy == "FROM_FAILURE" and run is not None and run.status != "FAILURE":
        flows.app.notify(
            f"run {run_id[:8]} did not fail ({run.status.lower()}): nothing to resume",
            severity="warning",
        )
        return
    try:
        launched = await launch(flows.client, Reexecution(run_id, strategy))
    except DagsterError as exc:
        flows.app.notify(str(exc), severity="error", timeout=10)
        return
    shown(flows, launched)


def shown(flows: DagsterFlows, launched: Launched) -> None:
    if launched.run is not None:
        flows._launched(launched.run, f"launched {launched.what}")
    elif launched.note:
        flows.app.notify(launched.note, severity="warning", timeout=15)
    else:
        flows.app.notify(f"launched {launched.what}: backfill {launched.backfill_id}")
