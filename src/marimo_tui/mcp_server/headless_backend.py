"""The cell tools run here, with no workbench open: a `Workbench` of our own (the project's
marimo-tui.yaml, its own marimo sidecar) that every client of this process shares, and per
client its turns and what it has read.

Calls go through `agent.tools.dispatch`, as the built-in agent's do: the same schemas and
validation, the same store (atomic writes, journaled under the client's turn, read-before-write
hash, confined to the project root), no shell. Approval is `auto`: the outside agent's own
client asks its user before a call, as it does for its other tools. With `auto`, the config's
`marimo.confine: auto` confines the kernels to the project, as for the built-in agent's `auto`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from marimo_tui.agent.events import AgentEvent
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.mcp_server.backend import CallResult, NotebookResource
from marimo_tui.mcp_server.outside_agent import OutsideAgent

if TYPE_CHECKING:
    from marimo_tui.config_schema import Config
    from marimo_tui.events import Event
    from marimo_tui.workbench import Workbench

log = logging.getLogger("marimo_tui.mcp")
READY_TIMEOUT = 60.0  # s for the marimo server and the first notebook's kernel at start


class HeadlessProject:
    """The workbench every client of this process works on, and its marimo sidecar (a
    `BackendSource`: one `HeadlessBackend` per client)."""

    def __init__(self, config: Config) -> None:
        from marimo_tui.workbench import Workbench

        # `auto`: the client does the asking; also what confines the kernels (marimo.confine).
        config = replace(config, agent=replace(config.agent, approval="auto"))
        self.config = config
        self.workbench: Workbench = Workbench(config)
        self.workbench.subscribe(self._log_event)
        self._started = False
        self._ready: asyncio.Future[bool] | None = None

    async def start(self, *, run: bool = True) -> None:
        """Start marimo (when `run` and the config enables it) and open the first notebook."""
        wb = self.workbench
        if wb.current is None:
            first = await asyncio.to_thread(wb.first_notebook)
            if first is not None:
                wb.current = wb.store.resolve(first)
        await wb.start(watch=False, run=run)
        self._started = True

    async def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """Wait for the open notebook's kernel; False when it is not ready in time."""
        runtime = self.workbench.runtime
        return runtime is not None and await runtime.wait_ready(timeout)

    async def ready(self) -> None:
        """Before the first call of any client: marimo up (or given up on), so that the first
        `list_cells` tells statuses rather than "no marimo server". Not before `initialize`,
        which clients (and `doctor`) expect within seconds."""
        if self._ready is None:
            self._ready = asyncio.ensure_future(self.wait_ready())
        await asyncio.shield(self._ready)

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await self.workbench.stop()

    # -- BackendSource ------------------------------------------------------------------------
    async def open(self, label: str) -> HeadlessBackend:
        return HeadlessBackend(self, label)

    async def close(self) -> None:
        """Stop the sidecar: the stdio client has gone, or the HTTP server stops."""
        await self.stop()

    def _log_event(self, event: Event) -> None:
        from marimo_tui.events import Notice

        # The workbench's notices (the marimo server's state, a write's warning) go to the log:
        # stdout belongs to the protocol. Their text passed the redactor when published.
        if isinstance(event, Notice):
            level = logging.WARNING if event.level in ("warning", "error") else logging.INFO
            log.log(level, "%s", event.text)


class HeadlessBackend:
    """One client of the headless project: the `OutsideAgent` the attach server runs for a
    client of the open workbench, here over the project's own workbench, approval `auto`."""

    def __init__(self, project: HeadlessProject, label: str) -> None:
        self.project = project
        self.workbench: Workbench = project.workbench
        self.agent = OutsideAgent(
            self.workbench,
            label,
            approval="auto",
            listener=self._log_event,
            rerun_timeout=project.config.agent.rerun_timeout,
        )

    async def list_tools(self) -> list[ToolSpec]:
        return await self.agent.list_tools()

    async def call(self, name: str, arguments: dict[str, Any]) -> CallResult:
        await self.project.ready()
        return await self.agent.call(name, arguments)

    async def notebooks(self) -> list[NotebookResource]:
        return await self.agent.notebooks()

    async def read_notebook(self, path: str) -> str:
        return await self.agent.read_notebook(path)

    async def close(self) -> None:
        """Its open turn ends; nothing else of the client outlives it but its journal entries
        (undo stays possible from the workbench); the project stops with its source."""
        await self.agent.close()

    def _log_event(self, label: str, event: AgentEvent) -> None:
        log.debug("%s: %r", label, event)  # (redacted by the agent)
