"""Which backend `marimo-tui mcp` serves from: today always headless (a workbench and marimo
sidecar of its own); an open workbench's socket is to be tried first (attach mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marimo_tui.mcp_server.backend import BackendSource

if TYPE_CHECKING:
    from marimo_tui.config import Config


async def choose_backend(config: Config, *, run: bool = True) -> BackendSource:
    """The source of the clients' backends for the project of `config`, started.

    `run`: start marimo (headless); without it, writes are not run and results say so.
    """
    from marimo_tui.mcp_server.headless_backend import HeadlessProject

    project = HeadlessProject(config)
    await project.start(run=run)
    return project
