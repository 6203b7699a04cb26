"""The agent's Dagster tools: list assets, launch a paired notebook's asset, read a run.

They are offered only when `dagster.url` is set. Launching is an action with effects outside
the project, so it asks for approval like a write does (and read-only mode refuses it).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.tool_base import (
    NOTEBOOK,
    Tool,
    ToolContext,
    ToolFailure,
    ToolOutcome,
    consent,
    done,
    notebook_path,
    schema,
)
from marimo_tui.dagster.errors import DagsterError
from marimo_tui.dagster.model import key_text

if TYPE_CHECKING:
    from marimo_tui.dagster.client import DagsterClient
    from marimo_tui.dagster.model import Workspace

RUN_WAIT_LIMIT = 600
EVENT_ERRORS = 10


def _client(ctx: ToolContext) -> DagsterClient:
    from marimo_tui.dagster.connect import client_for

    try:
        return client_for(ctx.workbench.config)
    except DagsterError as exc:
        raise ToolFailure(str(exc)) from None


def _rel(ctx: ToolContext, path: Any) -> str:
    return ctx.workbench.store.relative(path)


async def list_assets(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    from marimo_tui.dagster.pairs import find_pairs

    config = ctx.workbench.config
    try:
        async with _client(ctx) as client:
            workspace = await client.workspace()
    except DagsterError as exc:
        raise ToolFailure(str(exc)) from None
    pairs = {p.key: p for p in find_pairs(config.pairs, config.root, workspace)}
    assets = [
        {
            "key": a.name,
            "group": a.group,
            "description": a.description[:200],
            "notebook": _rel(ctx, pairs[a.key].notebook) if a.key in pairs else None,
        }
        for a in workspace.assets
    ]
    broken = [
        {"location": loc.name, "error": loc.error} for loc in workspace.locations if loc.error
    ]
    data: dict[str, Any] = {"assets": assets}
    if broken:
        data["locations_failing_to_load"] = broken
    paired = sum(1 for a in assets if a["notebook"])
    return done(
        data,
        f"{len(assets)} assets, {paired} paired"
        + (f", {len(broken)} broken locations" if broken else ""),
    )


def _request(ctx: ToolContext, args: dict[str, Any], workspace: Workspace) -> Any:
    """The LaunchRequest (or Reexecution) the arguments ask for."""
    from marimo_tui.dagster.commands import build_request
    from marimo_tui.dagster.launch_request import Reexecution, Strategy, parse_range

    tags = {str(k): str(v) for k, v in (args.get("tags") or {}).items()}
    if args.get("relaunch"):
        strategy: Strategy = "FROM_FAILURE" if args.get("from_failure") else "ALL_STEPS"
        return Reexecution(str(args["relaunch"]), strategy, tags=tags)
    names = [str(a) for a in [args.get("asset"), *(args.get("assets") or ())] if a]
    job = str(args["job"]) if args.get("job") else None
    span = args.get("partition_range")
    return build_request(
        ctx.workbench.config,
        workspace,
        # Neither assets nor a job: the notebook's (the open one by default).
        notebook=notebook_path(ctx, args) if not names and not job else None,
        asset_keys=names,
        params=dict(args.get("params") or {}),
        job=job,
        partition=str(args["partition"]) if args.get("partition") else None,
        partition_range=parse_range(str(span)) if span else None,
        run_config=dict(args.get("config") or {}),
        tags=tags,
    )


async def launch_asset(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    from marimo_tui.dagster.connect import run_url
    from marimo_tui.dagster.launch_request import LaunchRequest, RequestError
    from marimo_tui.dagster.launcher import launch

    config = ctx.workbench.config
    try:
        async with _client(ctx) as client:
            workspace = await client.workspace()
            try:
                request = _request(ctx, args, workspace)
            except RequestError as exc:
                raise ToolFailure(str(exc)) from None
            what = request.describe()
            shown = ""
            if isinstance(request, LaunchRequest) and request.run_config:
                shown = f" with run config {json.dumps(request.run_config)[:300]}"
            await consent(ctx, "launch_asset", what, f"launch {what} in Dagster{shown}")
            launched = await launch(client, request, workspace)
    except DagsterError as exc:
        raise ToolFailure(str(exc)) from None
    data: dict[str, Any] = {"launched": launched.what, "launch_id": launched.launch_id}
    if launched.run is not None:
        data |= {
            "run_id": launched.run.run_id,
            "asset": launched.run.target,
            "status": launched.run.status,
            "url": run_url(config, launched.run.run_id),
        }
        return done(data, f"launched {launched.what} · run {launched.run.run_id[:8]}")
    data["backfill_id"] = launched.backfill_id
    if launched.note:
        data["note"] = launched.note
        return done(data, f"launched {launched.what} · {launched.note}")
    return done(data, f"launched {launched.what} · backfill {launched.backfill_id}")


async def run_status(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    from marimo_tui.dagster.poller import RunPoller

    run_id = str(args["run_id"])
    wait = float(args.get("wait") or 0)
    deadline = time.monotonic() + min(wait, RUN_WAIT_LIMIT)
    try:
        async with _client(ctx) as client:
            poller = RunPoller(client, interval=1.0)
            poller.select(run_id)
            poller.show([run_id])
            while True:
                update = await poller.poll_once()
                state = poller.state
                if state.selected_error:
                    raise ToolFailure(state.selected_error)
                run = state.runs.get(run_id)
                more = bool(update.events) and len(update.events) >= 500
                if run is not None and (run.finished or time.monotonic() >= deadline) and not more:
                    break
                if not more:
                    await asyncio.sleep(1.0)
    except DagsterError as exc:
        raise ToolFailure(str(exc)) from None
    assert run is not None
    stats = state.stats.get(run_id)
    errors = [f"{e.step or 'run'}: {e.error}" for e in state.events if e.error][:EVENT_ERRORS]
    materialized: list[dict[str, Any]] = []
    for event in state.events:
        if event.kind == "MaterializationEvent" and event.asset:
            meta = {
                m.label: m.value
                for m in event.metadata
                if m.kind in ("md", "text", "path", "url", "float", "int")
            }
            if isinstance(meta.get("summary"), str):
                meta["summary"] = meta["summary"][:2000]
            materialized.append({"asset": key_text(event.asset), "metadata": meta})
    duration = run.duration(time.time())
    data: dict[str, Any] = {
        "run_id": run_id,
        "status": run.status,
        "target": run.target,
        "duration_s": round(duration, 1) if duration is not None else None,
    }
    if stats is not None:
        data["steps_succeeded"], data["steps_failed"] = stats.steps_succeeded, stats.steps_failed
    if errors:
        data["errors"] = errors
    if materialized:
        data["materialized"] = materialized
    return done(
        data, f"run {run_id[:8]} {run.status}" + (f" · {len(errors)} errors" if errors else "")
    )


DAGSTER_TOOLS: tuple[Tool, ...] = (
    Tool(
        ToolSpec(
            "list_assets",
            "Dagster's assets, the notebook each is paired with, and code locations that fail "
            "to load.",
            schema([]),
        ),
        list_assets,
    ),
    Tool(
        ToolSpec(
            "launch_asset",
            "Only when the user asks: launch in Dagster a notebook's paired asset, `asset`/"
            "`assets` keys (one run) or a `job`; `partition_range` 'A...B' is a backfill; "
            "`relaunch` a run id (with `from_failure`) keeps its config. Follow with run_status.",
            schema(
                [],
                notebook=NOTEBOOK,
                asset={"type": "string"},
                assets={"type": "array", "items": {"type": "string"}},
                job={"type": "string"},
                partition={"type": "string"},
                partition_range={"type": "string"},
                config={"type": "object", "description": "run config"},
                params={"type": "object", "description": "the notebook's mo.cli_args()"},
                tags={"type": "object"},
                relaunch={"type": "string"},
                from_failure={"type": "boolean"},
            ),
        ),
        launch_asset,
    ),
    Tool(
        ToolSpec(
            "run_status",
            "A Dagster run's status, errors and what it materialized; `wait` seconds for its end.",
            schema(
                ["run_id"],
                run_id={"type": "string"},
                wait={"type": "number", "minimum": 0, "maximum": RUN_WAIT_LIMIT},
            ),
        ),
        run_status,
    ),
)
