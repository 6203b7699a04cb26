"""Notebook parameters for a Dagster run: `--param rows=5` on the command line, run config for
a `marimo_asset` (`ops.<op>.config.params`, read in the notebook with `mo.cli_args()`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marimo_tui.dagster.model import Asset


def parse_params(items: Iterable[str]) -> dict[str, Any]:
    """`K=V` pairs; V is read as YAML, so `5`, `1.5`, `true` and `[a, b]` come typed."""
    import yaml

    params: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param {item!r}: expected NAME=VALUE")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        params[name.strip()] = value
    return params


def run_config(asset: Asset, params: Mapping[str, Any]) -> dict[str, Any]:
    """The run config that hands `params` to a `marimo_asset` (empty: its defaults)."""
    if not params:
        return {}
    return {"ops": {asset.op or "__".join(asset.key): {"config": {"params": dict(params)}}}}
