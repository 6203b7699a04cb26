"""The run config to start an editor with: Dagster's defaults for a job or an asset selection,
plus every required field they leave out (empty, so that Dagster names it until it is filled)."""

from __future__ import annotations

from typing import Any

from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.errors import result_error
from marimo_tui.dagster.launch_request import config_from_yaml
from marimo_tui.dagster.launcher import Target

CONFIG_ROUNDS = 8
SCALARS = frozenset(
    {"RegularConfigType", "ScalarUnionConfigType", "EnumConfigType", "NullableConfigType"}
)


async def default_run_config(client: DagsterClient, target: Target) -> str:
    """The target's run config to start an editor with, as YAML: Dagster's defaults, plus every
    required field they leave out (an empty value that Dagster refuses until it is filled)."""
    import yaml

    doing = "reading the run config schema"
    config: dict[str, Any] | None = None
    for _ in range(CONFIG_ROUNDS):  # each round finds the required fields one level deeper
        variables = {"selector": _pipeline(target), "config": config or {}}
        data = await client.execute("config_schema", variables, doing)
        result = data["runConfigSchemaOrError"]
        if result["__typename"] != "RunConfigSchema":
            raise result_error(result, doing)
        if config is None:
            config = config_from_yaml(result["rootDefaultYaml"], "Dagster's default config")
            continue
        missing = _missing_fields(result["isRunConfigValid"])
        if not missing:
            break
        for path, name, kind in missing:
            _place(config, path, name, kind)
    # `resources: {}` and the like say nothing: an editor starts with what there is to fill.
    shown = {k: v for k, v in (config or {}).items() if v != {}}
    return yaml.safe_dump(shown, sort_keys=False) if shown else ""


def _missing_fields(validation: dict[str, Any]) -> list[tuple[list[str], str, str]]:
    missing: list[tuple[list[str], str, str]] = []
    for error in validation.get("errors") or ():
        path = [e["fieldName"] for e in error["stack"]["entries"] if "fieldName" in e]
        fields = error.get("fields") or ([error["field"]] if error.get("field") else [])
        missing += [(path, f["name"], f["configType"]["__typename"]) for f in fields]
    return missing


def _place(config: dict[str, Any], path: list[str], name: str, kind: str) -> None:
    node: Any = config
    for part in path:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    if name not in node:
        # A scalar stays empty: Dagster refuses it, naming the field, until it is filled.
        node[name] = [] if kind == "ArrayConfigType" else None if kind in SCALARS else {}


def _pipeline(target: Target) -> dict[str, Any]:
    selector = target.selector()
    selector["pipelineName"] = selector.pop("jobName")
    return selector
