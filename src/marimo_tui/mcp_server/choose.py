"""Which backend `marimo-tui mcp` serves from: the open workbench when there is one (attached:
the user sees the outside agent's calls there), else a headless one with its own sidecar."""

from __future__ import annotations

from pathlib import Path

from marimo_tui.mcp_server.attach_wire import DEFAULT_CLIENT, AttachError
from marimo_tui.mcp_server.attached_backend import AttachedBackend
from marimo_tui.mcp_server.backend import ToolBackend


async def choose_backend(root: Path, client: str = DEFAULT_CLIENT) -> ToolBackend:
    """The workbench open on `root` if one answers on its socket, else the headless backend.
    `client` labels the outside agent in the workbench; an attached backend can be told its
    real name later (`AttachedBackend.introduce`, from MCP `initialize`'s clientInfo)."""
    try:
        return await AttachedBackend.connect(root, client)
    except AttachError:
        return await headless_backend(root)


async def headless_backend(root: Path) -> ToolBackend:
    """SEAM (issue 20): helper A's headless backend (its own workbench and sidecar) goes here;
    merging their `choose.py` keeps the attach attempt above and calls theirs."""
    raise NotImplementedError("the headless MCP backend is not on this branch")
