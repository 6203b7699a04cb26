"""An outside agent's turns: which of its writes one `undo` reverts together.

An MCP client sends tool calls, not turns: nothing on the wire says where one request of its
user ends and the next begins. So a turn here is **the calls between two `plan` or `undo`
calls** (the first turn starts when the client connects): an agent that plans its work gets
one turn per plan, and `undo` reverts the last turn that wrote, all its files at once, through
the journal. Each turn's writes are journaled under a group of their own (`mcp-…`); what the
agent has read (`seen`, the read-before-write hashes) carries over from turn to turn, so an edit
based on a version someone else has since changed is a conflict whatever the turn.

The headless backend keeps one `OutsideTurns` per client; the workbench keeps one per attached
client the same way.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.agent.events import AgentEvent
from marimo_tui.agent.loop import undo_turn
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.tools import Approval, Approver, ToolContext, ToolFailure

if TYPE_CHECKING:
    from marimo_tui.workbench import Workbench

UNDO = ToolSpec(
    "undo",
    "Revert your last turn's writes (a turn: your calls since your last `plan` or `undo`, "
    "or since you connected): every file it changed gets its bytes back. Repeat to go back "
    "further.",
    {"type": "object", "properties": {}},
)
TURN_STARTERS = frozenset({"plan", "undo"})


def new_group(label: str = "mcp") -> str:
    return f"{label}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


class OutsideTurns:
    """One outside client's tool context, renewed at each turn, and its turns that wrote."""

    def __init__(
        self,
        workbench: Workbench,
        emit: Callable[[AgentEvent], None],
        *,
        approval: Approval = "auto",
        approver: Approver | None = None,
        rerun_timeout: float = 30.0,
        label: str = "mcp",
    ) -> None:
        self.workbench = workbench
        self.label = label
        self._emit = emit
        self._approval: Approval = approval
        self._approver = approver
        self._rerun_timeout = rerun_timeout
        self.written: list[str] = []  # groups of the turns that wrote, oldest first
        self.ctx = self._context({})

    def _context(self, seen: dict[Path, str | None]) -> ToolContext:
        return ToolContext(
            self.workbench,
            new_group(self.label),
            self._emit,
            approval=self._approval,
            approver=self._approver,
            rerun_timeout=self._rerun_timeout,
            seen=seen,
            prompt=f"outside agent ({self.label})",
        )

    def before(self, name: str, call_id: str = "") -> ToolContext:
        """The context to run call `name` in: a `plan` after writes starts a new turn."""
        if name in TURN_STARTERS and self.ctx.writes:
            self._close_turn()
        self.ctx.call_id = call_id
        return self.ctx

    def _close_turn(self) -> None:
        if self.ctx.writes:
            self.written.append(self.ctx.group)
        self.ctx = self._context(self.ctx.seen)

    async def undo(self) -> list[str]:
        """Revert the last turn that wrote (the current one if it wrote); what was undone."""
        self._close_turn()
        if not self.written:
            raise ToolFailure("nothing to undo: none of your turns has written anything")
        group = self.written.pop()
        return await undo_turn(self.workbench, group, self.ctx.seen)
