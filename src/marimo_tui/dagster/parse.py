"""Dagster's GraphQL answers as our model (`model.py`): no gql or dict leaves this module."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from marimo_tui.dagster.errors import python_error, result_error
from marimo_tui.dagster.model import (
    Asset,
    AssetStatus,
    CheckResult,
    Job,
    Location,
    LocationStamp,
    Metadata,
    PartitionCounts,
    Run,
    RunEvent,
    RunStats,
    Workspace,
)


class PollAnswer:
    """What one poll returned: changed runs, stats by run id, the selected run and its events."""

    __slots__ = (
        "assets",
        "changed",
        "cursor",
        "events",
        "has_more",
        "locations",
        "selected",
        "selected_error",
        "stats",
    )

    def __init__(self) -> None:
        self.locations: list[LocationStamp] | None = None  # None: not asked
        self.assets: list[AssetStatus] | None = None
        self.changed: list[Run] = []
        self.stats: dict[str, RunStats] = {}
        self.selected: Run | None = None
        self.selected_error: str | None = None
        self.events: list[RunEvent] = []
        self.cursor: str | None = None
        self.has_more = False


def parse_poll(data: Mapping[str, Any], selected: str | None) -> PollAnswer:
    answer = PollAnswer()
    changed = data["changed"]
    if changed["__typename"] != "Runs":
        raise result_error(changed, "polling runs")
    answer.changed = [parse_run(r) for r in changed["results"]]
    in_flight = data.get("inFlight")
    if in_flight is not None:
        if in_flight["__typename"] != "Runs":
            raise result_error(in_flight, "polling runs")
        listed = {r.run_id for r in answer.changed}
        answer.changed += [parse_run(r) for r in in_flight["results"] if r["runId"] not in listed]
    shown = data.get("shown")
    if shown and shown["__typename"] == "Runs":
        for r in shown["results"]:
            stats = r.get("stats") or {}
            if stats.get("__typename") == "RunStatsSnapshot":
                answer.stats[r["runId"]] = RunStats(
                    stats["stepsSucceeded"], stats["stepsFailed"], stats["materializations"]
                )
    one = data.get("selected")
    if selected is not None and one is not None:
        if one["__typename"] == "Run":
            answer.selected = parse_run(one)
            connection = one["eventConnection"]
            answer.events = [parse_event(e) for e in connection["events"]]
            answer.cursor = connection["cursor"]
            answer.has_more = bool(connection["hasMore"])
        else:
            answer.selected_error = str(result_error(one, f"reading run {selected[:8]}"))
    workspace = data.get("locations")
    if workspace is not None:
        if workspace["__typename"] != "Workspace":
            raise result_error(workspace, "polling the code locations")
        answer.locations = [parse_location_stamp(e) for e in workspace["locationEntries"]]
    nodes = data.get("assets")
    if nodes is not None:
        answer.assets = [parse_asset_status(n) for n in nodes]
    return answer


def parse_location_stamp(entry: Mapping[str, Any]) -> LocationStamp:
    loaded = entry.get("locationOrLoadError") or {}
    error = python_error(loaded) if loaded.get("__typename") == "PythonError" else None
    return LocationStamp(
        entry["name"], entry["loadStatus"], float(entry["updatedTimestamp"]), error
    )


def parse_asset_status(node: Mapping[str, Any]) -> AssetStatus:
    stats = node.get("partitionStats")
    partitions = (
        PartitionCounts(
            stats["numPartitions"],
            stats["numMaterialized"],
            stats["numFailed"],
            stats["numMaterializing"],
        )
        if stats
        else None
    )
    latest = (node.get("assetMaterializations") or [None])[0]
    checks: list[CheckResult] = []
    found = node.get("assetChecksOrError") or {}
    for check in found.get("checks") or () if found.get("__typename") == "AssetChecks" else ():
        execution = check.get("executionForLatestMaterialization") or {}
        checks.append(CheckResult(check["name"], execution.get("status")))
    return AssetStatus(
        key=tuple(node["assetKey"]["path"]),
        stale=node.get("staleStatus"),
        # Dagster sends a materialization's time as milliseconds in a string.
        materialized=float(latest["timestamp"]) / 1000 if latest else None,
        run_id=latest["runId"] if latest else None,
        partitions=partitions,
        checks=tuple(checks),
        downstream=tuple(tuple(k["path"]) for k in node.get("dependedByKeys") or ()),
    )


def parse_run(r: Mapping[str, Any]) -> Run:
    return Run(
        run_id=r["runId"],
        status=r["status"],
        job=r["jobName"],
        created=float(r["creationTime"]),
        started=r.get("startTime"),
        ended=r.get("endTime"),
        updated=r.get("updateTime"),
        assets=tuple(tuple(k["path"]) for k in r.get("assetSelection") or ()),
        can_terminate=bool(r.get("canTerminate")),
        tags={t["key"]: t["value"] for t in r.get("tags") or ()},
    )


_METADATA_VALUE = {
    "TextMetadataEntry": ("text", "text"),
    "MarkdownMetadataEntry": ("md", "mdStr"),
    "PathMetadataEntry": ("path", "path"),
    "UrlMetadataEntry": ("url", "url"),
    "JsonMetadataEntry": ("json", "jsonString"),
    "FloatMetadataEntry": ("float", "floatValue"),
    "IntMetadataEntry": ("int", "intValue"),
    "BoolMetadataEntry": ("bool", "boolValue"),
    "TimestampMetadataEntry": ("timestamp", "timestamp"),
}


def parse_metadata(entries: Sequence[Mapping[str, Any]] | None) -> tuple[Metadata, ...]:
    out = []
    for e in entries or ():
        kind, field = _METADATA_VALUE.get(e["__typename"], ("other", ""))
        value: Any = e.get(field) if field else e["__typename"]
        if kind == "json" and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                kind = "text"
        out.append(Metadata(e["label"], kind, value))
    return tuple(out)


def parse_event(e: Mapping[str, Any]) -> RunEvent:
    error = e.get("error")
    metadata = e.get("metadataEntries")
    failure = e.get("failureMetadata")
    if failure:
        metadata = failure.get("metadataEntries")
    asset = e.get("assetKey")
    try:
        stamp = float(e.get("timestamp") or 0) / 1000  # Dagster sends milliseconds as a string
    except ValueError:
        stamp = 0.0
    return RunEvent(
        kind=e["__typename"],
        timestamp=stamp,
        level=e.get("level") or "INFO",
        message=e.get("message") or "",
        step=e.get("stepKey"),
        event_type=e.get("eventType"),
        error=python_error(error) if error else None,
        stack="".join(error.get("stack") or ()) if error else "",
        asset=tuple(asset["path"]) if asset else None,
        metadata=parse_metadata(metadata),
        log_key=e.get("fileKey"),
    )


def parse_workspace(result: Mapping[str, Any]) -> Workspace:
    locations: list[Location] = []
    assets: list[Asset] = []
    jobs: list[Job] = []
    for entry in result["locationEntries"]:
        loaded = entry.get("locationOrLoadError")
        if loaded is None:
            locations.append(Location(entry["name"], entry["loadStatus"]))
            continue
        if loaded["__typename"] == "PythonError":
            # A location that failed to load says so here, even with loadStatus LOADED.
            error = python_error(loaded)
            locations.append(Location(entry["name"], entry["loadStatus"], error=error))
            continue
        repos = loaded.get("repositories") or []
        locations.append(
            Location(
                entry["name"], entry["loadStatus"], repositories=tuple(r["name"] for r in repos)
            )
        )
        for repo in repos:
            for job in repo.get("jobs") or []:
                jobs.append(
                    Job(job["name"], entry["name"], repo["name"], job.get("description") or "")
                )
            for node in repo.get("assetNodes") or []:
                assets.append(
                    Asset(
                        key=tuple(node["assetKey"]["path"]),
                        location=entry["name"],
                        repository=repo["name"],
                        group=node.get("groupName") or "default",
                        description=(node.get("description") or "").strip(),
                        op=node.get("opName") or "",
                        jobs=tuple(node.get("jobNames") or ()),
                        materializable=bool(node.get("isMaterializable", True)),
                        kinds=tuple(node.get("kinds") or ()),
                        metadata=parse_metadata(node.get("metadataEntries")),
                    )
                )
    return Workspace(tuple(locations), tuple(assets), tuple(jobs))
