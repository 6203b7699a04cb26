"""The notebook's side of a `marimo_asset`: upstream values in, the asset's value out.

A notebook run by `marimo_asset` gets, among its `mo.cli_args()`:

- `partition_key`: the run's partition (a partitioned asset), or `partition_keys` (a list) when
  the run covers a range of partitions;
- one parameter per entry of `ins=`: the path of a file holding the upstream value, as Dagster's
  IO manager loaded it;
- `dagster_output`: where the value for downstream assets goes.

`asset_input` and `asset_output` read and write those files, so the same notebook also runs
by itself (in the editor, with `marimo run`): an input then falls back to its default, and the
output is only returned. No Dagster import: this runs in the notebook's kernel.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

OUTPUT_PARAM = "dagster_output"
PARTITION_PARAM = "partition_key"
PARTITIONS_PARAM = "partition_keys"
RESERVED = frozenset({OUTPUT_PARAM, PARTITION_PARAM, PARTITIONS_PARAM})

T = TypeVar("T")
_MISSING: Any = object()


def _args() -> Mapping[str, Any]:
    import marimo as mo

    # marimo's CLIArgs is a dict in all but name.
    return dict(mo.cli_args())


def asset_input(name: str, default: Any = _MISSING) -> Any:
    """The upstream value `marimo_asset(..., ins={name: ...})` handed to this run.

    Outside a Dagster run there is none: `default` is returned (called first when it is a
    function, so an expensive fallback runs only then); without a default, KeyError.
    """
    path = _args().get(name)
    if path is None:
        if default is _MISSING:
            raise KeyError(
                f"no input {name!r}: the notebook was not run by a marimo_asset with "
                f"ins={{{name!r}: ...}} (give asset_input a default to run it alone)"
            )
        return default() if callable(default) else default
    with Path(str(path)).open("rb") as handle:
        return pickle.load(handle)


def asset_output(value: T) -> T:
    """Hand `value` to Dagster as the asset's value (stored by its IO manager, so downstream
    assets can take it as an input); returns it, so a cell can end with it. A run over a range
    of partitions hands on what its IO manager stores for a range (for Dagster's default one:
    a dict of partition key to value)."""
    target = _args().get(OUTPUT_PARAM)
    if target is not None:
        with Path(str(target)).open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return value


def write_value(path: Path, value: Any) -> None:
    """The factory's side: an upstream value into the file the notebook reads."""
    with path.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def read_value(path: Path) -> Any:
    with path.open("rb") as handle:
        return pickle.load(handle)


def partition_key(default: str | None = None) -> str | None:
    """The run's partition key, or `default` outside a partitioned run."""
    key = _args().get(PARTITION_PARAM)
    return str(key) if key is not None else default


__all__ = ["asset_input", "asset_output", "partition_key"]
