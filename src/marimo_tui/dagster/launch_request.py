"""What to launch in Dagster, as one typed request that the CLI, the runs pane and the agent
all build: assets (several keys of one multi-asset, too) or a job, a partition or a partition
range (a backfill), run config and tags. Relaunches and re-executions from failure are a
`Reexecution`. `launcher.launch` sends either.

Every launch carries a client-side tag (`marimo-tui/launch-id`): when the answer to a launch is
lost (a timeout, a dropped connection) the runs list says whether it happened.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from marimo_tui.dagster.model import key_text

LAUNCH_ID_TAG = "marimo-tui/launch-id"
LAUNCHED_BY_TAG = "marimo-tui/launched-by"
PARTITION_TAG = "dagster/partition"
MULTI_SEPARATOR = "|"  # between the values of a two-dimensional key, as Dagster writes it
RANGE_SEPARATOR = "..."

Strategy = Literal["ALL_STEPS", "FROM_FAILURE"]


class RequestError(ValueError):
    """A request that cannot be sent as given (a usage error): one line."""


def new_launch_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class LaunchRequest:
    assets: tuple[tuple[str, ...], ...] = ()
    job: str | None = None
    partition: str | None = None
    partition_range: tuple[str, str] | None = None
    run_config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    launch_id: str = field(default_factory=new_launch_id)

    def __post_init__(self) -> None:
        if bool(self.assets) == bool(self.job):
            raise RequestError("launch assets or a job (one of them)")
        if self.partition is not None and self.partition_range is not None:
            raise RequestError("give a partition or a partition range, not both")
        if self.partition_range is not None and self.job:
            raise RequestError("a partition range (a backfill) launches assets, not a job")
        if len(set(self.assets)) != len(self.assets):
            raise RequestError("an asset is named twice")

    @property
    def is_backfill(self) -> bool:
        return self.partition_range is not None

    def describe(self) -> str:
        """`daily [2024-01-02]`, `job greet_job`, `pair/left, pair/right [a...b]`."""
        what = f"job {self.job}" if self.job else ", ".join(key_text(k) for k in self.assets)
        if self.partition is not None:
            what += f" [{self.partition}]"
        elif self.partition_range is not None:
            what += f" [{self.partition_range[0]}{RANGE_SEPARATOR}{self.partition_range[1]}]"
        return what

    def all_tags(self) -> dict[str, str]:
        """The user's tags, the partition's, and ours (which the user cannot override)."""
        tags = dict(self.tags)
        if self.partition is not None:
            tags[PARTITION_TAG] = self.partition
        tags[LAUNCHED_BY_TAG] = "marimo-tui"
        tags[LAUNCH_ID_TAG] = self.launch_id
        return tags


@dataclass(frozen=True)
class Reexecution:
    """Launch a run again: all its steps (a relaunch) or from its failure. Dagster keeps the
    parent's run config, asset selection, partition and tags; `tags` are added over them."""

    run_id: str
    strategy: Strategy = "ALL_STEPS"
    tags: Mapping[str, str] = field(default_factory=dict)
    launch_id: str = field(default_factory=new_launch_id)

    def describe(self) -> str:
        how = "from failure" if self.strategy == "FROM_FAILURE" else "again"
        return f"run {self.run_id[:8]} {how}"

    def all_tags(self) -> dict[str, str]:
        return {**self.tags, LAUNCHED_BY_TAG: "marimo-tui", LAUNCH_ID_TAG: self.launch_id}


# -- what users type -----------------------------------------------------------------------------
def parse_tags(items: Iterable[str]) -> dict[str, str]:
    """`K=V` pairs (`--tag team=data`)."""
    tags: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RequestError(f"tag {item!r}: expected KEY=VALUE")
        tags[key.strip()] = value
    return tags


def parse_range(text: str) -> tuple[str, str]:
    """`2024-01-02...2024-01-05` (Dagster's own notation) as (start, end)."""
    start, sep, end = text.partition(RANGE_SEPARATOR)
    if not sep or not start.strip() or not end.strip():
        raise RequestError(f"partition range {text!r}: expected START...END")
    return start.strip(), end.strip()


def _mapping(value: Any, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RequestError(f"{source}: run config must be a mapping (ops:, resources:, …)")
    return value


def config_from_json(text: str) -> dict[str, Any]:
    try:
        return _mapping(json.loads(text), "--config-json")
    except json.JSONDecodeError as exc:
        raise RequestError(f"--config-json: not JSON: {exc.msg} at column {exc.colno}") from None


def config_from_yaml(text: str, source: str) -> dict[str, Any]:
    import yaml

    try:
        return _mapping(yaml.safe_load(text), source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise RequestError(f"{source}: {problem}{where}") from None


def config_from_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RequestError(f"{path}: {exc.strerror or exc}") from None
    return config_from_yaml(text, str(path))


def merge_config(*parts: Mapping[str, Any]) -> dict[str, Any]:
    """Run configs merged key by key, later parts winning (a file, then --config-json, then
    notebook parameters)."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
                merged[key] = merge_config(merged[key], value)
            else:
                merged[key] = value
    return merged
