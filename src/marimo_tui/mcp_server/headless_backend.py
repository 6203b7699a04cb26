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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marimo_tui.agent.events import AgentEvent
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.tools import ToolFailure, dispatch, specs
from marimo_tui.mcp_server.backend import CallResult, NotebookResource
from marimo_tui.mcp_server.results import (
    failure_result,
    notebook_resources,
    notebook_text,
    outcome_result,
)
from marimo_tui.mcp_server.turns import UNDO, OutsideTurns
from marimo_tui.notebook.errors import NotebookError, StoreError

if TYPE_CHECKING:
    from marimo_tui.config import Config
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
        if runtime is None or runtime.session is None:
            return False
        try:
            await asyncio.wait_for(runtime.session.wait_ready(), timeout)
        except TimeoutError:
            return False
        return True

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
    """One client's view of the headless project (a `ToolBackend`)."""

    def __init__(self, project: HeadlessProject, label: str) -> None:
        self.project = project
        self.workbench: Workbench = project.workbench
        self.turns = OutsideTurns(
            self.workbench,
            self._log_event,
            approval="auto",
            rerun_timeout=project.config.agent.rerun_timeout,
            label=label,
        )
        self._lock = asyncio.Lock()  # one call at a time per client, as the built-in agent

    async def list_tools(self) -> list[ToolSpec]:
        return [*specs(dagster=bool(self.project.config.dagster.url)), UNDO]

    async def call(self, name: str, arguments: dict[str, Any]) -> CallResult:
        redact = self.workbench.redactor
        await self.project.ready()
        async with self._lock:
            try:
                if name == UNDO.name:
                    self.turns.before(name)
                    undone = await self.turns.undo()
                    summary = f"undid {len(undone)} writes: " + "; ".join(undone)
                    return CallResult(redact(summary), {"ok": True, "undone": undone})
                ctx = self.turns.before(name)
                outcome = await dispatch(ctx, name, arguments)
            except ToolFailure as exc:
                return failure_result(str(exc), redact)
            except Exception as exc:  # a bug of ours answers the call; the server goes on
                log.exception("internal error in %s", name)
                return failure_result(f"internal error in {name}: {exc!r}", redact)
        return outcome_result(outcome, redact)

    async def notebooks(self) -> list[NotebookResource]:
        from marimo_tui.project import discover_notebooks

        wb = self.workbench
        found = await asyncio.to_thread(discover_notebooks, wb.config)
        return notebook_resources(wb, found)

    async def read_notebook(self, path: str) -> str:
        wb = self.workbench
        try:
            resolved = wb.store.resolve(Path(path))
        except StoreError as exc:
            raise ValueError(str(exc)) from None
        if resolved.suffix != ".py" or not resolved.is_file():
            raise ValueError(f"no notebook {path}")
        try:
            return await notebook_text(wb, resolved)
        except NotebookError as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None

    async def close(self) -> None:
        """Nothing of the client's outlives it but its journal entries (undo stays possible
        from the workbench); the project stops with its source."""

    def _log_event(self, event: AgentEvent) -> None:
        log.debug("%s", self.workbench.redactor(repr(event)))
