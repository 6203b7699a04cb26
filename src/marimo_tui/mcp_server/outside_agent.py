"""One outside agent (an MCP client: Claude Code, Codex, …) using the workbench's cell tools in
this process: its calls go through `agent.tools.dispatch` exactly as the built-in agent's do
(same validation, store, journal, approval, rerun report), and it reports the same
`AgentEvent`s, so the chat pane shows it as a labelled agent and `/undo` reverts its last turn.

An MCP client has no turns to tell us about, so a turn here is a run of calls that ends with
a pause longer than `turn_gap`, when the client says goodbye, or when it calls `plan` or `undo`
after writing: its writes share a journal group, its plan hangs under one task, and the chat
shows it as one turn. The `undo` tool reverts its last turn that wrote; again, the one before.

This is the one `ToolBackend` both modes serve: the attach server runs one per connected client
of the open workbench; the headless server one per client over a workbench of its own. Answers
are built by `results`, so an agent reads the same either way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marimo_tui.agent import events as ev
from marimo_tui.agent.history import redacted
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.tools import (
    Answer,
    Approval,
    Approver,
    ToolContext,
    ToolFailure,
    dispatch,
    specs,
)
from marimo_tui.agent.turns import close_turn_task, undo_turn
from marimo_tui.mcp_server.backend import CallResult, NotebookResource
from marimo_tui.mcp_server.results import (
    failure_result,
    notebook_resources,
    notebook_text,
    outcome_result,
)
from marimo_tui.notebook.errors import NotebookError, StoreError

if TYPE_CHECKING:
    from marimo_tui.workbench import Workbench

log = logging.getLogger("marimo_tui.mcp")
TURN_GAP = 45.0  # s without a call after which an outside agent's turn is over
UNDO = ToolSpec(
    "undo",
    "Revert your last turn's writes (a turn: your calls since your last `plan` or `undo`, "
    "or since you connected): every file it changed gets its bytes back. Repeat to go back "
    "further.",
    {"type": "object", "properties": {}},
)
TURN_STARTERS = frozenset({"plan", UNDO.name})
PROVIDER = "MCP"  # what the chat's turn header names as the agent's provider
OutsideListener = Callable[[str, ev.AgentEvent], None]  # (the agent's label, the event)


def outside_label(client: str) -> str:
    return f"outside agent: {client or 'unnamed client'}"


class OutsideAgent:
    def __init__(
        self,
        workbench: Workbench,
        client: str,
        *,
        approval: Approval = "ask",
        approver: Approver | None = None,
        listener: OutsideListener | None = None,
        rerun_timeout: float = 30.0,
        turn_gap: float = TURN_GAP,
        on_write: Callable[[OutsideAgent], None] | None = None,
    ) -> None:
        self.workbench = workbench
        self.client = client
        self.approval: Approval = approval
        self.approver = approver
        self.listener = listener or (lambda _label, _event: None)
        self.rerun_timeout = rerun_timeout
        self.turn_gap = turn_gap
        self.on_write = on_write  # told when one of its writes lands
        self.written: list[str] = []  # journal groups of the turns that wrote, oldest first
        self.seen: dict[Path, str | None] = {}  # kept across turns: what the agent has read
        self._ctx: ToolContext | None = None
        self._started = 0.0
        self._steps = 0
        self._calls = 0
        self._lock = asyncio.Lock()  # one call at a time: a context names the call it runs
        self._gap: asyncio.TimerHandle | None = None

    @property
    def label(self) -> str:
        return outside_label(self.client)

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    @property
    def last_turn(self) -> str | None:
        """The journal group of the last closed turn that wrote."""
        return self.written[-1] if self.written else None

    @property
    def undoable(self) -> bool:
        """Whether `undo_last_turn` has writes to revert (of the open turn, or the last)."""
        return self.last_turn is not None or (self._ctx is not None and self._ctx.writes > 0)

    @property
    def undo_group(self) -> str | None:
        """The journal group `undo_last_turn` would revert."""
        if self._ctx is not None and self._ctx.writes:
            return self._ctx.group
        return self.last_turn

    def rename(self, client: str) -> None:
        """The client introduced itself (again): the label of its next turn."""
        self.client = client

    # -- ToolBackend ---------------------------------------------------------------------------
    async def list_tools(self) -> list[ToolSpec]:
        return [*specs(None, dagster=bool(self.workbench.config.dagster.url)), UNDO]

    async def call(self, name: str, arguments: dict[str, Any]) -> CallResult:
        async with self._lock:
            if self._gap is not None:
                self._gap.cancel()
                self._gap = None
            try:
                return await self._call(name, arguments)
            finally:
                if self._ctx is not None:
                    self._gap = asyncio.get_running_loop().call_later(self.turn_gap, self.end_turn)

    async def notebooks(self) -> list[NotebookResource]:
        from marimo_tui.project import discover_notebooks

        wb = self.workbench
        return notebook_resources(wb, await asyncio.to_thread(discover_notebooks, wb.config))

    async def read_notebook(self, path: str) -> str:
        """ValueError for a path that is not a notebook of the project."""
        wb = self.workbench
        try:
            target = wb.store.resolve(Path(path))
        except StoreError as exc:
            raise ValueError(str(exc)) from None
        if target.suffix != ".py" or not target.is_file():
            raise ValueError(f"no notebook {path}")
        try:
            return await notebook_text(wb, target)
        except NotebookError as exc:
            raise ValueError(f"cannot read {path}: {exc}") from None

    async def close(self) -> None:
        if self._gap is not None:
            self._gap.cancel()
            self._gap = None
        self.end_turn()

    # -- turns -------------------------------------------------------------------------------
    def _turn(self) -> ToolContext:
        if self._ctx is None:
            # Named by the client: the journal says who wrote it.
            who = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.client).strip("-") or "outside"
            turn = f"{who}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
            self._ctx = ToolContext(
                self.workbench,
                turn,
                self._emit,
                approval=self.approval,
                approver=self._ask if self.approver is not None else None,
                rerun_timeout=self.rerun_timeout,
                seen=self.seen,
                prompt=self.label,  # titles the turn's task in the tree
            )
            self._started, self._steps = time.monotonic(), 0
            self._emit(ev.TurnStarted(turn, "", self.label, PROVIDER))
        return self._ctx

    def end_turn(self, reason: str = "finished") -> None:
        """Close the open turn (if any): its task, its footer in the chat, its undo group."""
        if self._gap is not None:
            self._gap.cancel()
            self._gap = None
        ctx, self._ctx = self._ctx, None
        if ctx is None:
            return
        close_turn_task(ctx, reason)
        elapsed = round(time.monotonic() - self._started, 2)
        self._emit(
            ev.TurnEnded(
                ctx.group, reason, steps=self._steps, writes=ctx.writes, extra={"elapsed": elapsed}
            )
        )
        if ctx.writes:
            self.written.append(ctx.group)

    async def _call(self, name: str, arguments: dict[str, Any]) -> CallResult:
        if name in TURN_STARTERS and self._ctx is not None and self._ctx.writes:
            self.end_turn()
        ctx = self._turn()
        self._steps += 1
        self._calls += 1
        call_id = f"outside-{self._calls}-{uuid.uuid4().hex[:4]}"
        ctx.call_id = call_id
        self._emit(ev.ToolCalled(call_id, name, dict(arguments)))
        writes = ctx.writes
        redact = self.workbench.redactor
        diff, path = "", ""
        try:
            if name == UNDO.name:
                undone = await self._undo(forget=True)  # `plan`/`undo` closed the last turn
                summary = f"undid {len(undone)} writes: " + "; ".join(undone)
                result = CallResult(redact(summary), {"ok": True, "undone": undone})
            elif name not in {s.name for s in await self.list_tools()}:
                raise ToolFailure(f"unknown tool {name!r}")
            else:
                outcome = await dispatch(ctx, name, arguments)
                result = outcome_result(outcome, redact)
                summary, diff, path = outcome.summary, outcome.diff, outcome.path
        except ToolFailure as exc:
            result = failure_result(str(exc), redact)
            summary = (str(exc).splitlines() or [""])[0]
        except asyncio.CancelledError:
            # The client went away mid-call (a write already under way still lands: shielded).
            self._wrote(ctx, writes)
            self._emit(
                ev.ToolFinished(call_id, name, False, "cancelled: the client left", "", "", "")
            )
            raise
        except Exception as exc:  # a bug of ours must not end the connection or the app
            log.exception("internal error in %s", name)
            result = failure_result(f"internal error in {name}: {exc!r}", redact)
            summary = result.text
        self._wrote(ctx, writes)
        text = json.dumps(result.data, ensure_ascii=False, default=str, separators=(",", ":"))
        ok = not result.is_error
        self._emit(ev.ToolFinished(call_id, name, ok, redact(summary)[:300], text, diff, path))
        return result

    def _wrote(self, ctx: ToolContext, before: int) -> None:
        if ctx.writes > before and self.on_write is not None:
            self.on_write(self)

    async def undo_last_turn(self) -> list[str]:
        """Revert every write of this agent's last turn that wrote (closing an open one);
        called again, the turn before. (`/undo` in the workbench.)"""
        if self.busy:
            raise ToolFailure(f"{self.label} is working: undo once its call is done")
        self.end_turn()
        # The user undid it, not the agent: its next write, based on what it read, is a
        # conflict rather than a clobber.
        return await self._undo(forget=False)

    async def _undo(self, *, forget: bool) -> list[str]:
        """`forget`: the agent asked; what it had read of the files is dropped, so its next
        edit reads them again."""
        if not self.written:
            raise ToolFailure(
                f"nothing to undo: {self.label} has written nothing (or all is undone)"
            )
        seen = self.seen if forget else None
        return await undo_turn(self.workbench, self.written.pop(), seen)

    async def _ask(self, asked: ev.ApprovalAsked) -> Answer:
        """The user's answer, asked naming who wants to write (several agents may ask)."""
        assert self.approver is not None
        return await self.approver(replace(asked, name=f"{asked.name} ({self.label})"))

    def _emit(self, event: ev.AgentEvent) -> None:
        self.listener(self.label, redacted(self.workbench.redactor, event))
