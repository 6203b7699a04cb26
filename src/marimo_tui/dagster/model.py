"""What the client reads from Dagster, as plain frozen dataclasses (no gql types leak out)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

IN_FLIGHT = frozenset({"QUEUED", "NOT_STARTED", "MANAGED", "STARTING", "STARTED", "CANCELING"})
FINISHED = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
ASSET_JOB = "__ASSET_JOB"


def key_text(path: tuple[str, ...] | list[str]) -> str:
    """An asset key as Dagster's UI writes it: `sales/report`."""
    return "/".join(path)


def key_path(text: str) -> tuple[str, ...]:
    """`sales/report` (or `sales.report`, or `["sales", "report"]` as JSON) as a key path."""
    text = text.strip()
    if text.startswith("["):
        return tuple(str(p) for p in json.loads(text))
    sep = "/" if "/" in text else "."
    return tuple(p for p in text.split(sep) if p)


@dataclass(frozen=True, slots=True)
class Metadata:
    label: str
    kind: str  # text, md, path, url, json, float, int, bool, timestamp, other
    value: Any

    def text(self) -> str:
        if self.kind == "json":
            return json.dumps(self.value, indent=1)
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Asset:
    key: tuple[str, ...]
    location: str
    repository: str
    group: str
    description: str = ""
    op: str = ""  # the op that computes it: run config for the asset goes under ops.<op>
    jobs: tuple[str, ...] = ()
    materializable: bool = True
    kinds: tuple[str, ...] = ()
    metadata: tuple[Metadata, ...] = ()

    @property
    def name(self) -> str:
        return key_text(self.key)

    def meta(self, label: str) -> Any:
        return next((m.value for m in self.metadata if m.label == label), None)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    location: str
    repository: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Location:
    name: str
    status: str  # LOADING | LOADED
    error: str | None = None  # the code location failed to load: its one-line error
    repositories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Workspace:
    locations: tuple[Location, ...]
    assets: tuple[Asset, ...]
    jobs: tuple[Job, ...]

    def asset(self, key: tuple[str, ...]) -> Asset | None:
        return next((a for a in self.assets if a.key == key), None)


@dataclass(frozen=True, slots=True)
class Run:
    run_id: str
    status: str
    job: str
    created: float
    started: float | None = None
    ended: float | None = None
    updated: float | None = None
    assets: tuple[tuple[str, ...], ...] = ()
    can_terminate: bool = False
    tags: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def in_flight(self) -> bool:
        return self.status in IN_FLIGHT

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def target(self) -> str:
        """What the run materializes or executes: its assets, else its job."""
        if self.assets:
            return ", ".join(key_text(a) for a in self.assets)
        return self.job

    def duration(self, now: float) -> float | None:
        if self.started is None:
            return None
        return (self.ended or now) - self.started


@dataclass(frozen=True, slots=True)
class RunStats:
    steps_succeeded: int
    steps_failed: int
    materializations: int


@dataclass(frozen=True, slots=True)
class RunEvent:
    kind: str  # the GraphQL type, e.g. ExecutionStepSuccessEvent
    timestamp: float  # seconds
    level: str
    message: str
    step: str | None = None
    event_type: str | None = None
    error: str | None = None  # one line, with the class
    stack: str = ""
    asset: tuple[str, ...] | None = None
    metadata: tuple[Metadata, ...] = ()
    log_key: str | None = None  # LogsCapturedEvent: the file key of its stdout/stderr


@dataclass(frozen=True, slots=True)
class CapturedLogs:
    stdout: str
    stderr: str
    cursor: str | None


@dataclass(frozen=True, slots=True)
class LocationStamp:
    """A code location as each poll sees it: a new `updated` means it was reloaded."""

    name: str
    status: str  # LOADING | LOADED
    updated: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PartitionCounts:
    total: int
    materialized: int
    failed: int
    materializing: int

    @property
    def missing(self) -> int:
        return max(0, self.total - self.materialized - self.failed - self.materializing)


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: str | None  # SUCCEEDED, FAILED, EXECUTION_FAILED, IN_PROGRESS, SKIPPED; None: not run


@dataclass(frozen=True, slots=True)
class AssetStatus:
    """What the asset view shows of one asset: its latest materialization, whether it is stale,
    its partitions' counts and its checks' latest results."""

    key: tuple[str, ...]
    stale: str | None = None  # FRESH | STALE | MISSING
    materialized: float | None = None  # seconds
    run_id: str | None = None  # of the latest materialization
    partitions: PartitionCounts | None = None
    checks: tuple[CheckResult, ...] = ()
    downstream: tuple[tuple[str, ...], ...] = ()  # the assets that depend on it

    @property
    def name(self) -> str:
        return key_text(self.key)
