"""Which backend `marimo-tui mcp` serves from: the open workbench when one answers on the
project's socket (attached: the user sees the outside agent's calls there, under its approval
policy), else a headless one with a workbench and marimo sidecar of its own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.mcp_server.attach_wire import DEFAULT_CLIENT, AttachError
from marimo_tui.mcp_server.attached_backend import AttachedBackend
from marimo_tui.mcp_server.backend import BackendSource, ToolBackend

if TYPE_CHECKING:
    from marimo_tui.config_schema import Config


class AttachedSource:
    """Each client its own connection to the open workbench, labelled with the client's name
    (MCP `initialize`'s clientInfo), so the chat pane names who is editing."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def open(self, label: str) -> ToolBackend:
        return await AttachedBackend.connect(self.root, label)

    async def close(self) -> None:
        return None


async def workbench_answers(root: Path) -> bool:
    try:
        probe = await AttachedBackend.connect(root, DEFAULT_CLIENT)
    except AttachError:
        return False
    await probe.close()
    return True


async def choose_backend(config: Config, *, run: bool = True) -> BackendSource:
    """The source of the clients' backends for the project of `config`, started.

    `run`: start marimo when headless; without it, writes are not run and results say so.
    """
    if await workbench_answers(config.root):
        return AttachedSource(config.root)
    from marimo_tui.mcp_server.headless_backend import HeadlessProject

    project = HeadlessProject(config)
    await project.start(run=run)
    return project
