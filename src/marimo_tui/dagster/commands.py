"""`marimo-tui discover` and `marimo-tui run`: the Dagster side of the CLI, without the UI."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from marimo_tui.config import Config
from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.connect import client_for, run_url
from marimo_tui.dagster.errors import DagsterError
from marimo_tui.dagster.launch_request import LaunchRequest, Reexecution, RequestError, merge_config
from marimo_tui.dagster.launcher import Launched
from marimo_tui.dagster.model import ASSET_JOB, Asset, Run, RunEvent, Workspace, key_text
from marimo_tui.dagster.pairs import Pair, asset_named, find_pairs, launchable, pair_for
from marimo_tui.dagster.params import run_config
from marimo_tui.dagster.poller import RunPoller

Echo = Callable[[str], None]
EXIT_OK, EXIT_FAILURE = 0, 1


async def read_workspace(config: Config) -> tuple[Workspace, list[Pair]]:
    async with client_for(config) as client:
        workspace = await client.workspace()
    return workspace, find_pairs(config.pairs, config.root, workspace)


def _rel(path: Path, root: Path) -> str:
    return os.path.relpath(path, root)


async def discover(config: Config, echo: Echo, *, as_json: bool = False) -> int:
    """Locations (with load errors), jobs and assets, and which notebook each asset pairs with.
    Exit 1 when a code location failed to load."""
    workspace, pairs = await read_workspace(config)
    by_key = {p.key: p for p in pairs}
    if as_json:
        echo(
            json.dumps(
                {
                    "url": config.dagster.url,
                    "locations": [asdict(loc) for loc in workspace.locations],
                    "jobs": [asdict(j) for j in workspace.jobs if j.name != ASSET_JOB],
                    "assets": [
                        {
                            "key": a.name,
                            "location": a.location,
                            "repository": a.repository,
                            "group": a.group,
                            "description": a.description,
                            "notebook": _rel(by_key[a.key].notebook, config.root)
                            if a.key in by_key
                            else None,
                        }
                        for a in workspace.assets
                    ],
                    "pairs": [
                        {
                            "notebook": _rel(p.notebook, config.root),
                            "asset": key_text(p.key),
                            "defined": p.asset is not None,
                            "source": p.source,
                        }
                        for p in pairs
                    ],
                },
                indent=2,
            )
        )
    else:
        echo(f"Dagster at {config.dagster.url}")
        for location in workspace.locations:
            if location.error:
                echo(f"✗ location {location.name}: failed to load: {location.error}")
                continue
            echo(f"● location {location.name} ({location.status.lower()})")
            assets = [a for a in workspace.assets if a.location == location.name]
            for asset in sorted(assets, key=lambda a: a.name):
                pair = by_key.get(asset.key)
                paired = f"  ⇄ {_rel(pair.notebook, config.root)}" if pair else ""
                echo(f"    asset {asset.name}  [{asset.group}]{paired}")
            jobs = [
                j for j in workspace.jobs if j.location == location.name and j.name != ASSET_JOB
            ]
            for job in sorted(jobs, key=lambda j: j.name):
                echo(f"    job   {job.name}")
        for pair in pairs:
            if pair.asset is None:
                echo(
                    f"! pair {_rel(pair.notebook, config.root)} ⇄ {key_text(pair.key)}: "
                    "no loaded location defines that asset"
                )
        if not workspace.locations:
            echo("no code locations")
    return EXIT_FAILURE if any(loc.error for loc in workspace.locations) else EXIT_OK


def pick_asset(
    workspace: Workspace, pairs: list[Pair], root: Path, notebook: Path | None, key: str | None
) -> Asset:
    if key is not None:
        return asset_named(workspace, key)
    assert notebook is not None
    return launchable(pair_for(pairs, notebook), notebook.resolve(), root)


async def launch(
    client: DagsterClient, asset: Asset, run_config: Mapping[str, Any] | None = None
) -> Run:
    """Materialize one asset with this run config (the runs pane's and the agent's old way)."""
    from marimo_tui.dagster.launcher import launch as send

    request = LaunchRequest(assets=(asset.key,), run_config=dict(run_config or {}))
    launched = await send(client, request)
    assert launched.run is not None
    return launched.run


def describe_event(event: RunEvent) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.timestamp)) if event.timestamp else ""
    step = f" {event.step}" if event.step else ""
    text = event.error or event.message or event.kind
    return f"{stamp}{step} {event.event_type or event.kind}: {' '.join(text.split())}"


def build_request(
    config: Config,
    workspace: Workspace,
    *,
    notebook: Path | None,
    asset_keys: Sequence[str],
    params: Mapping[str, Any],
    **fields: Any,
) -> LaunchRequest:
    """The request for a notebook's paired asset or named assets (or a job, in `fields`), with
    the notebook parameters merged into its run config."""
    keys: list[tuple[str, ...]] = []
    if notebook is not None:
        pairs = find_pairs(config.pairs, config.root, workspace)
        keys.append(pick_asset(workspace, pairs, config.root, notebook, None).key)
    keys += [asset_named(workspace, k).key for k in asset_keys]
    if params:
        if len(keys) != 1:
            raise RequestError("notebook parameters need one notebook asset (its mo.cli_args())")
        asset = workspace.asset(keys[0])
        assert asset is not None
        fields["run_config"] = merge_config(
            fields.get("run_config") or {}, run_config(asset, params)
        )
    return LaunchRequest(assets=tuple(keys), **fields)


async def run(
    config: Config,
    echo: Echo,
    *,
    notebook: Path | None = None,
    asset_keys: Sequence[str] = (),
    params: Mapping[str, Any] | None = None,
    reexecute: Reexecution | None = None,
    wait: bool = False,
    as_json: bool = False,
    **fields: Any,
) -> int:
    """Launch assets, a job, a backfill or a re-execution (`fields` are LaunchRequest's: job,
    partition, partition_range, run_config, tags); with `wait`, follow the run: 0 on SUCCESS,
    1 on FAILURE/CANCELED."""
    from marimo_tui.dagster.launcher import launch as send
    from marimo_tui.dagster.launcher import patiently

    async with client_for(config) as client:
        request: LaunchRequest | Reexecution
        workspace = None
        if reexecute is not None:
            request = reexecute
        else:
            workspace = await patiently(client, client.workspace)
            request = build_request(
                config,
                workspace,
                notebook=notebook,
                asset_keys=asset_keys,
                params=params or {},
                **fields,
            )
        launched = await send(client, request, workspace)
        report_launched(config, echo, launched, as_json=as_json)
        if not wait or launched.run is None:
            return EXIT_OK
        final = await follow(
            client,
            launched.run.run_id,
            echo,
            as_json=as_json,
            interval=min(config.dagster.poll_interval, 1.0),
        )
    if as_json:
        echo(json.dumps({"type": "finished", "run_id": final.run_id, "status": final.status}))
    else:
        echo(f"run {final.run_id}: {final.status}")
    return EXIT_OK if final.status == "SUCCESS" else EXIT_FAILURE


def report_launched(config: Config, echo: Echo, launched: Launched, *, as_json: bool) -> None:
    if launched.run is not None:
        url = run_url(config, launched.run.run_id)
        what = f"run {launched.run.run_id}"
    else:
        url = run_url(config, f"b/{launched.backfill_id}")  # Dagster's page of a backfill
        what = f"backfill {launched.backfill_id}"
    if as_json:
        run = launched.run
        echo(
            json.dumps(
                {
                    "type": "launched",
                    "run_id": launched.run_id,
                    "backfill_id": launched.backfill_id,
                    "asset": run.target if run is not None else launched.what,
                    "what": launched.what,
                    "launch_id": launched.launch_id,
                    "recovered": launched.recovered,
                    "url": url,
                    "note": launched.note,
                }
            )
        )
    else:
        found = " (found by its launch id after the answer was lost)" if launched.recovered else ""
        echo(f"launched {launched.what}: {what} ({url}){found}")
        if launched.note:
            echo(launched.note)


async def follow(
    client: DagsterClient, run_id: str, echo: Echo, *, as_json: bool, interval: float
) -> Run:
    """Print the run's events as they come until it finishes; ride out a server restart."""
    poller = RunPoller(client, interval=interval)
    poller.select(run_id)
    poller.show([run_id])
    down_told = False
    while True:
        try:
            update = await poller.poll_once()
        except DagsterError as exc:
            if not exc.down:
                raise
            if not down_told:
                echo(
                    json.dumps({"type": "disconnected", "error": str(exc)})
                    if as_json
                    else f"! {exc} (retrying)"
                )
                down_told = True
            await asyncio.sleep(interval)
            continue
        if down_told:
            echo(json.dumps({"type": "reconnected"}) if as_json else "reconnected")
            down_told = False
        for event in update.events:
            if as_json:
                echo(json.dumps({"type": "event", **_event_json(event)}))
            else:
                echo(describe_event(event))
        if poller.state.selected_error:
            raise DagsterError(poller.state.selected_error)
        current = poller.state.runs.get(run_id)
        if current is not None and current.finished and not update.events:
            return current
        if not update.events:
            await asyncio.sleep(interval)


def _event_json(event: RunEvent) -> dict[str, Any]:
    data = asdict(event)
    data["metadata"] = [
        {"label": m.label, "kind": m.kind, "value": m.value} for m in event.metadata
    ]
    return data
