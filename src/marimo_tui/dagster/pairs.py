"""Which notebook is paired with which Dagster asset.

Two sources: `pairs:` in marimo-tui.yaml (notebook path -> asset key), and the `notebook`
metadata that `marimo_asset` puts on each asset it defines. The config wins where both speak.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from marimo_tui.dagster.errors import DagsterError
from marimo_tui.dagster.model import Asset, Workspace, key_path, key_text

NOTEBOOK_METADATA = ("notebook", "marimo/notebook")


@dataclass(frozen=True, slots=True)
class Pair:
    notebook: Path  # absolute
    key: tuple[str, ...]
    asset: Asset | None  # None: the key is configured but no loaded location defines it
    source: str  # "config" | "metadata"


def _notebook_of(asset: Asset) -> str | None:
    for label in NOTEBOOK_METADATA:
        value = asset.meta(label)
        if isinstance(value, str) and value:
            return value
    return None


def find_pairs(
    config_pairs: Mapping[str, str], root: Path, workspace: Workspace | None
) -> list[Pair]:
    found: dict[Path, Pair] = {}
    assets = workspace.assets if workspace is not None else ()
    for asset in assets:
        notebook = _notebook_of(asset)
        if notebook is None:
            continue
        path = Path(notebook)
        path = (path if path.is_absolute() else root / path).resolve()
        found[path] = Pair(path, asset.key, asset, "metadata")
    for notebook, key in config_pairs.items():
        path = (root / notebook).resolve()
        k = key_path(key)
        defined = workspace.asset(k) if workspace is not None else None
        found[path] = Pair(path, k, defined, "config")
    return sorted(found.values(), key=lambda p: str(p.notebook))


def pair_for(pairs: list[Pair], notebook: Path) -> Pair | None:
    target = notebook.resolve()
    return next((p for p in pairs if p.notebook == target), None)


def asset_named(workspace: Workspace, text: str) -> Asset:
    """The asset with key `text` (`a/b`), or a one-line DagsterError naming the ones there are."""
    asset = workspace.asset(key_path(text))
    if asset is None:
        names = ", ".join(sorted(a.name for a in workspace.assets)[:12]) or "none"
        raise DagsterError(f"no asset {text!r} in the workspace (assets: {names})")
    return asset


def launchable(pair: Pair | None, notebook: Path, root: Path) -> Asset:
    """The asset to launch for a notebook, or a one-line DagsterError saying why there is none."""
    shown = os.path.relpath(notebook, root)
    if pair is None:
        raise DagsterError(
            f"{shown} is not paired with a Dagster asset: add `{shown}: KEY` under `pairs:` in "
            "marimo-tui.yaml, or define it with marimo_tui.dagster.marimo_asset"
        )
    if pair.asset is None:
        raise DagsterError(
            f"{shown} is paired with {key_text(pair.key)}, which no loaded code location "
            "defines (see `marimo-tui discover`)"
        )
    return pair.asset
