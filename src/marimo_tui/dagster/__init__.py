"""Dagster, both sides of it.

The workbench's side talks to a running Dagster over GraphQL and needs no Dagster installed:
`client` (the requests), `poller` (in-flight runs, one request per interval), `documents`
(the `.graphql` documents), with `model` and `errors`.

The Dagster side is `marimo_asset`, an asset factory for a project's Dagster definitions: it
runs a marimo notebook as an asset and attaches its HTML export and a summary of its cells.
It needs Dagster (`pip install 'marimo-tui[dagster]'`) and is imported only when asked for, so
`import marimo_tui.dagster.client` never loads Dagster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marimo_tui.dagster.asset import marimo_asset

__all__ = ["marimo_asset"]

INSTALL_HINT = "marimo_asset needs Dagster: pip install 'marimo-tui[dagster]'"


def __getattr__(name: str) -> Any:
    if name != "marimo_asset":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        import dagster  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "dagster":
            raise
        raise ImportError(INSTALL_HINT) from None
    from marimo_tui.dagster.asset import marimo_asset

    globals()["marimo_asset"] = marimo_asset
    return marimo_asset
