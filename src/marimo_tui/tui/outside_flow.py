"""Outside agents in the app: while the workbench is open it serves its cell tools to
`marimo-tui mcp` over a private socket (attach mode); an outside agent's calls show in the chat
as a labelled agent, its writes ask through the same approval dialog as the built-in agent's,
and `/undo` reverts its last turn when it wrote after the built-in agent did."""

from __future__ import annotations

import asyncio
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marimo_tui.agent import events as ev
    from marimo_tui.agent.tools import Approval
    from marimo_tui.mcp_server.attach_server import AttachServer
    from marimo_tui.notebook.store import NotebookStore
    from marimo_tui.tui.app import WorkbenchApp


class OutsideAgents:
    def __init__(self, app: WorkbenchApp) -> None:
        self.app = app
        self.server: AttachServer | None = None

    async def start(self) -> None:
        # The agent's modules take a fifth of a second to import: off the UI thread, like
        # the highlighter's, so the first frames after start-up are not held up.
        await asyncio.to_thread(import_module, "marimo_tui.mcp_server.attach_server")
        await asyncio.to_thread(import_module, "marimo_tui.tui.agent_flow")
        from marimo_tui.mcp_server.attach_server import AttachServer
        from marimo_tui.mcp_server.attach_wire import AttachError

        wb = self.app.workbench
        server = AttachServer(
            wb,
            approval=self._approval,
            approver=self.app.agent.approve,
            listener=self._show,
            rerun_timeout=wb.config.agent.rerun_timeout,
            on_clients=self._clients,
        )
        try:
            await server.start()
        except AttachError as exc:
            self.app.notify(f"outside agents cannot attach: {exc}", severity="warning")
            return
        self.server = server

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.stop()

    def _clients(self, names: list[str]) -> None:
        """Who is attached, in the status bar: an outside agent is seen before it acts."""
        status = self.app.status
        if names:
            status.set_service("outside", ", ".join(sorted(set(names))))
        elif status.services.pop("outside", None) is not None:
            status.redraw()

    def _approval(self) -> Approval:
        """The workbench's policy, as the built-in agent has it (the command line's first)."""
        return self.app.agent.overrides.approval or self.app.workbench.config.agent.approval

    def _show(self, label: str, event: ev.AgentEvent) -> None:
        # The turn's header names the outside agent; its entries follow as the built-in's do.
        if self.server is not None:  # (not while closing: the turns it ends then go unseen)
            self.app.agent.show(event)

    async def undo(self) -> str | None:
        """Undo the last outside agent's turn if it wrote after the built-in agent's last
        turn; None otherwise (the caller undoes the built-in agent's, or the last change)."""
        agent = self.server.undo_candidate() if self.server is not None else None
        if agent is None or agent.undo_group is None:
            return None
        session = self.app.agent.session
        builtin = session.last_turn if session is not None else None
        if builtin is not None:
            newest = await self.app.workbench.run_in_store(
                lambda s: _newest_group(s, {builtin, agent.undo_group or ""})
            )
            if newest == builtin:
                return None
        done = await agent.undo_last_turn()
        return f"undid the last turn of {agent.label}: " + "; ".join(done)


def _newest_group(store: NotebookStore, groups: set[str]) -> str | None:
    """Of `groups`, the one with the latest write in the journal."""
    newest = None
    for entry in store.journal.entries():
        if entry.group in groups:
            newest = entry.group
    return newest
