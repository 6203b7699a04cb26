"""Launch a `LaunchRequest` or a `Reexecution`: the one way the CLI, the runs pane and the agent
start anything in Dagster.

Before a launch of assets it checks their partitions against Dagster's (a partitioned asset
launched without one, or with a key Dagster does not know, would be accepted and then fail in
the run). When the answer to a launch is lost — a timeout on a busy machine, a dropped
connection — it looks for the request's launch-id tag before calling it a failure: a launch is
never reported failed when it happened, and a script that retries never launches twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.daemon_health import backfill_waits
from marimo_tui.dagster.errors import DagsterError, result_error
from marimo_tui.dagster.launch_request import (
    LAUNCH_ID_TAG,
    MULTI_SEPARATOR,
    PARTITION_TAG,
    LaunchRequest,
    Reexecution,
    RequestError,
)
from marimo_tui.dagster.model import ASSET_JOB, Run, Workspace, key_text
from marimo_tui.dagster.pairs import asset_named
from marimo_tui.dagster.parse import parse_run

T = TypeVar("T")
RECOVERY_POLL = 1.0
SHOWN_KEYS = 8


@dataclass(frozen=True)
class Launched:
    what: str
    launch_id: str
    run: Run | None = None  # None for a backfill
    backfill_id: str | None = None
    recovered: bool = False  # the answer was lost; the launch was found by its launch id
    # One line for the user beside the launch: a backfill that no daemon will launch.
    note: str | None = None

    @property
    def run_id(self) -> str | None:
        return self.run.run_id if self.run is not None else None


@dataclass(frozen=True)
class Target:
    location: str
    repository: str
    job: str
    assets: tuple[tuple[str, ...], ...] = ()

    def selector(self) -> dict[str, Any]:
        selector: dict[str, Any] = {
            "repositoryLocationName": self.location,
            "repositoryName": self.repository,
            "jobName": self.job,
        }
        if self.assets:
            selector["assetSelection"] = [{"path": list(k)} for k in self.assets]
        return selector


@dataclass(frozen=True)
class Partitions:
    """An asset's partitions as Dagster lists them (`kind`: STATIC, TIME_WINDOW, …)."""

    key: tuple[str, ...]
    partitioned: bool
    keys: tuple[str, ...] = ()
    kind: str = ""
    # MULTIPARTITIONED: its dimensions' names, in the order of the values in a key (`a|b`)
    dimensions: tuple[str, ...] = ()

    def sample(self) -> str:
        if len(self.keys) <= SHOWN_KEYS:
            return ", ".join(self.keys)
        return f"{len(self.keys)} partitions, {self.keys[0]} … {self.keys[-1]}"


def target_of(workspace: Workspace, request: LaunchRequest) -> Target:
    """Where the request runs; a one-line DagsterError when Dagster has no such thing."""
    if request.job:
        jobs = [j for j in workspace.jobs if j.name == request.job]
        if not jobs:
            names = sorted({j.name for j in workspace.jobs if j.name != ASSET_JOB}) or ["none"]
            raise DagsterError(
                f"no job {request.job!r} in the workspace (jobs: {', '.join(names)})"
            )
        if len(jobs) > 1:
            where = ", ".join(f"{j.location}/{j.repository}" for j in jobs)
            raise DagsterError(f"job {request.job!r} is defined in several places: {where}")
        return Target(jobs[0].location, jobs[0].repository, request.job)
    assets = [asset_named(workspace, key_text(k)) for k in request.assets]
    places = {(a.location, a.repository) for a in assets}
    if len(places) > 1:
        raise DagsterError(
            "one run cannot launch assets of several code locations: "
            + "; ".join(f"{a.name} in {a.location}" for a in assets)
        )
    location, repository = places.pop()
    return Target(location, repository, ASSET_JOB, request.assets)


async def partitions_of(
    client: DagsterClient, keys: Sequence[tuple[str, ...]]
) -> dict[tuple[str, ...], Partitions]:
    data = await client.execute(
        "partitions",
        {"assetKeys": [{"path": list(k)} for k in keys]},
        "reading the assets' partitions",
    )
    found: dict[tuple[str, ...], Partitions] = {}
    for node in data["assetNodes"]:
        key = tuple(node["assetKey"]["path"])
        definition = node.get("partitionDefinition") or {}
        kind = str(definition.get("type") or "")
        dimensions = (definition.get("dimensionTypes") or ()) if kind == "MULTIPARTITIONED" else ()
        found[key] = Partitions(
            key,
            bool(node["isPartitioned"]),
            tuple(node.get("partitionKeys") or ()),
            kind,
            tuple(str(d["name"]) for d in dimensions),
        )
    return found


async def check_partitions(client: DagsterClient, request: LaunchRequest) -> dict[str, str]:
    """DagsterError (kind PartitionKeyNotFound / PartitionMissing) for a launch that Dagster
    would accept and its run would fail. The tags a run of one partition of a two-dimensional
    asset needs besides `dagster/partition` (`dagster/partition/<dimension>`, as Dagster's UI
    sets them): without them its key reaches the asset as a plain string, not a
    MultiPartitionKey."""
    tags: dict[str, str] = {}
    if request.job:
        return tags
    found = await partitions_of(client, request.assets)
    wanted = (
        [request.partition]
        if request.partition is not None
        else list(request.partition_range or ())
    )
    for key in request.assets:
        info = found.get(key, Partitions(key, False))
        name = key_text(key)
        if not info.partitioned:
            if wanted:
                raise DagsterError(
                    f"{name} is not partitioned: launch it without a partition",
                    kind="NotPartitioned",
                )
            continue
        if not wanted:
            example = info.keys[-1] if info.keys else "KEY"
            raise DagsterError(
                f"{name} is partitioned ({info.sample()}): give a partition (e.g. {example}) "
                "or a partition range",
                kind="PartitionMissing",
            )
        for partition in wanted:
            if partition not in info.keys:
                raise DagsterError(
                    f"PartitionKeyNotFound: {name} has no partition {partition!r} "
                    f"(its partitions: {info.sample()})",
                    kind="PartitionKeyNotFound",
                )
        if request.partition is not None and info.dimensions:
            values = request.partition.split(MULTI_SEPARATOR)
            tags |= {
                f"{PARTITION_TAG}/{d}": v for d, v in zip(info.dimensions, values, strict=True)
            }
    return tags


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


# -- launching -----------------------------------------------------------------------------------
async def launch(
    client: DagsterClient,
    request: LaunchRequest | Reexecution,
    workspace: Workspace | None = None,
    *,
    patience: float | None = None,
) -> Launched:
    """Launch it; a `LaunchRequest` needs the workspace (read when not given). `patience`:
    how long to look for a launch whose answer was lost (default: three request timeouts)."""
    if isinstance(request, Reexecution):
        doing = f"launching {request.describe()}"
        again: dict[str, Any] = {
            "parentRunId": request.run_id,
            "strategy": request.strategy,
            "extraTags": _tags(request.all_tags()),
        }
        return await _recoverable(
            client,
            request.launch_id,
            doing,
            lambda: _run_answer(client, "reexecute", {"reexecutionParams": again}, doing),
            patience,
        )
    if workspace is None:
        workspace = await patiently(client, client.workspace, patience)
    target = target_of(workspace, request)
    dimensions = await patiently(client, lambda: check_partitions(client, request), patience)
    doing = f"launching {request.describe()}"
    if request.partition_range is not None:
        start, end = request.partition_range
        backfill: dict[str, Any] = {
            "partitionsByAssets": [
                {
                    "assetKey": {"path": list(k)},
                    "partitions": {"range": {"start": start, "end": end}},
                }
                for k in request.assets
            ],
            "tags": _tags(request.all_tags()),
        }
        if request.run_config:
            backfill["runConfigData"] = dict(request.run_config)
        registered = await _recoverable(
            client,
            request.launch_id,
            doing,
            lambda: _backfill_answer(client, backfill, doing),
            patience,
        )
        note = await backfill_waits(client, registered.backfill_id or "")
        return replace(registered, note=note)
    params: dict[str, Any] = {
        "selector": target.selector(),
        "runConfigData": dict(request.run_config),
        "executionMetadata": {"tags": _tags(dimensions | request.all_tags())},
    }
    return await _recoverable(
        client,
        request.launch_id,
        doing,
        lambda: _run_answer(client, "launch", {"executionParams": params}, doing),
        patience,
    )


async def patiently(
    client: DagsterClient, read: Callable[[], Awaitable[T]], patience: float | None = None
) -> T:
    """A read that a busy webserver answers late is asked again (reads change nothing), for
    `patience` seconds; a refused connection or a real error is not."""
    deadline = time.monotonic() + (patience if patience is not None else _patience(client))
    while True:
        try:
            return await read()
        except DagsterError as exc:
            if not exc.down or exc.kind == "Refused" or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(RECOVERY_POLL)


def _patience(client: DagsterClient) -> float:
    return max(30.0, 3 * client.timeout)


async def _run_answer(
    client: DagsterClient, document: str, variables: dict[str, Any], doing: str
) -> Launched:
    data = await client.execute(document, variables, doing)
    result = next(iter(data.values()))
    if result["__typename"] != "LaunchRunSuccess":
        raise result_error(result, doing)
    run = parse_run(result["run"])
    return Launched(doing.removeprefix("launching "), run.tags.get(LAUNCH_ID_TAG, ""), run)


async def _backfill_answer(client: DagsterClient, params: dict[str, Any], doing: str) -> Launched:
    data = await client.execute("backfill", {"backfillParams": params}, doing)
    result = data["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise result_error(result, doing)
    launch_id = next((t["value"] for t in params["tags"] if t["key"] == LAUNCH_ID_TAG), "")
    return Launched(doing.removeprefix("launching "), launch_id, backfill_id=result["backfillId"])


async def _recoverable(
    client: DagsterClient,
    launch_id: str,
    doing: str,
    send: Callable[[], Awaitable[Launched]],
    patience: float | None,
) -> Launched:
    try:
        return await send()
    except DagsterError as exc:
        # A refused connection reached nothing; any other lost answer may hide a launch.
        if not exc.down or exc.kind == "Refused":
            raise
        lost = exc
    wait = patience if patience is not None else _patience(client)
    found = await find_launched(client, launch_id, wait)
    if found is None:
        raise DagsterError(
            f"{lost} — and no run or backfill with launch id {launch_id} appeared in "
            f"{wait:g} s, so nothing was launched",
            down=True,
            kind=lost.kind,
        )
    return Launched(
        doing.removeprefix("launching "),
        launch_id,
        found if isinstance(found, Run) else None,
        backfill_id=found if isinstance(found, str) else None,
        recovered=True,
    )


async def find_launched(client: DagsterClient, launch_id: str, patience: float) -> Run | str | None:
    """The run (or the backfill's id) tagged with `launch_id`, looked for during `patience`
    seconds: the lost request may still be at work in the webserver."""
    deadline = time.monotonic() + patience
    tags = [{"key": LAUNCH_ID_TAG, "value": launch_id}]
    async with client.sibling(timeout=max(client.timeout, 10.0)) as looking:
        while True:
            try:
                data = await looking.execute("launched", {"tags": tags}, "looking for a launch")
            except DagsterError as exc:
                if not exc.down:
                    raise
                data = None
            if data is not None:
                found = _tagged(data, launch_id)
                if found is not None:
                    return found
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(RECOVERY_POLL)


def _tagged(data: dict[str, Any], launch_id: str) -> Run | str | None:
    runs = data["runsOrError"]
    if runs["__typename"] == "Runs" and runs["results"]:
        # A backfill's runs carry its tags too; its own id comes first below.
        listed = [parse_run(r) for r in runs["results"]]
        if not any(r.tags.get("dagster/backfill") for r in listed):
            return min(listed, key=lambda r: r.created)
    backfills = data["partitionBackfillsOrError"]
    if backfills["__typename"] == "PartitionBackfills":
        for backfill in backfills["results"]:
            tags = {t["key"]: t["value"] for t in backfill.get("tags") or ()}
            if tags.get(LAUNCH_ID_TAG) == launch_id:
                return str(backfill["id"])
    return None


__all__ = [
    "Launched",
    "Partitions",
    "RequestError",
    "Target",
    "check_partitions",
    "find_launched",
    "launch",
    "partitions_of",
    "patiently",
    "target_of",
]
