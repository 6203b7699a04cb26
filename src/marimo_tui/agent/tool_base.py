"""What every agent tool is built on: the tool types, the schema helper, the user's consent,
the guarded write and the wait for marimo's rerun.

A tool module (notebook, task, Dagster tools) imports this and nothing of its siblings; the
registry (`agent.tools`) gathers them. Every write goes through the workbench's `NotebookStore`
(atomic, conflict-checked against the version the agent last read, journaled under the turn's
group, confined to the project root).
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from marimo_tui.agent import cell_report as report
from marimo_tui.agent.events import AgentEvent, ApprovalAsked
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.notebook.errors import ConflictError, NotebookError, StoreError
from marimo_tui.notebook.model import Cell, Notebook

if TYPE_CHECKING:
    from marimo_tui.notebook.store import EditResult, NotebookStore
    from marimo_tui.workbench import Workbench

Approval = Literal["ask", "auto", "read-only"]
Answer = Literal["yes", "no", "all"]
Approver = Callable[[ApprovalAsked], Awaitable[Answer]]


class ToolFailure(Exception):
    """What went wrong, told to the model (and shown in the chat) as the tool's result."""


@dataclass
class ToolContext:
    """One turn's view of the workbench: what the agent has read, and what it may write."""

    workbench: Workbench
    group: str  # the journal group of this turn's writes: `/undo` reverts them together
    emit: Callable[[AgentEvent], None]
    approval: Approval = "ask"
    approver: Approver | None = None
    rerun_timeout: float = 30.0
    seen: dict[Path, str | None] = field(default_factory=dict)  # notebook -> hash the agent read
    approve_all: bool = False
    call_id: str = ""  # the call being run: approvals name it
    writes: int = 0
    written: set[str] = field(default_factory=set)  # calls whose write landed
    tasks_made: list[str] = field(default_factory=list)
    prompt: str = ""  # the user's message that started the turn: titles the turn's task
    # The task that groups this turn's plan, made by its first `plan`; the loop finishes it.
    turn_task: str | None = None


@dataclass
class ToolOutcome:
    data: dict[str, Any]  # the result, as JSON, for the model
    summary: str  # one line for the chat
    diff: str = ""
    path: str = ""


Handler = Callable[[ToolContext, dict[str, Any]], Awaitable[ToolOutcome]]


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    handler: Handler
    writes: bool = False


# -- schemas -------------------------------------------------------------------------------------
# Argument meanings shared by many tools (a cell is a name, an id or #N; `notebook` defaults to
# the open one) are told once in the system prompt: a description here is paid for in every
# tool of every request.
NOTEBOOK: dict[str, Any] = {"type": "string"}
CELL: dict[str, Any] = {"type": "string"}
CELLS: dict[str, Any] = {"type": "array", "items": CELL}
CODE: dict[str, Any] = {"type": "string"}


def schema(required: list[str], **properties: Any) -> dict[str, Any]:
    """An arguments object. Closed to other keys when validated (see `closed`), which is not
    spelled out on the wire: tool-call grammars (llama.cpp's) already allow no others."""
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def closed(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The schema a call is validated against: no arguments beyond those declared."""
    return {**parameters, "additionalProperties": False}


# -- notebooks and cells ---------------------------------------------------------------------------
def notebook_path(ctx: ToolContext, args: Mapping[str, Any]) -> Path:
    raw = args.get("notebook")
    wb = ctx.workbench
    if not raw:
        if wb.current is None:
            raise ToolFailure("no notebook is open: pass `notebook` (see list_notebooks)")
        return wb.current
    try:
        path = wb.store.resolve(Path(raw))
    except StoreError as exc:
        raise ToolFailure(str(exc)) from None
    if path.suffix != ".py":
        raise ToolFailure(f"{raw} is not a notebook (.py file)")
    return path


async def read_notebook(ctx: ToolContext, path: Path) -> Notebook:
    try:
        nb = await ctx.workbench.run_in_store(lambda s: s.read(path))
    except NotebookError as exc:
        raise ToolFailure(f"cannot read {ctx.workbench.relative(path)}: {exc}") from None
    ctx.seen[path] = nb.base_hash
    return nb


async def read_if_unseen(ctx: ToolContext, path: Path) -> Notebook:
    """The version the agent last read; read it now if it never did (no conflict then).
    When the store has moved on since (the user's edit, another client's write through the
    same store), that is the conflict, told before the edit is tried against code the agent
    has not seen; a change the store has not read yet `guarded_write` reports."""
    nb = ctx.workbench.store.cached(path)
    if path in ctx.seen and nb is not None:
        if nb.base_hash != ctx.seen[path]:
            ctx.seen.pop(path, None)
            raise ToolFailure(changed_since_read(ctx.workbench.relative(path)))
        return nb
    return await read_notebook(ctx, path)


def changed_since_read(rel: str) -> str:
    return (
        f"{rel} changed on disk since you read it (the user or another program edited it); "
        f"nothing was written. Read it again (list_cells / read_cell) and redo the edit."
    )


def find_cell(nb: Notebook, ref: str) -> Cell:
    cell = nb.find(ref)
    if cell is None:
        known = ", ".join(c.label for c in nb.cells[:30])
        raise ToolFailure(f"no cell {ref!r} in {nb.path.name}; cells: {known}")
    return cell


async def target_cell(ctx: ToolContext, args: dict[str, Any]) -> tuple[Path, Notebook, Cell, str]:
    """The notebook and the cell a cell tool names, as the agent last read them."""
    path = notebook_path(ctx, args)
    nb = await read_if_unseen(ctx, path)
    return path, nb, find_cell(nb, args["cell"]), ctx.workbench.relative(path)


def unified_diff(rel: str, before: str, after: str, *, whole: bool = False) -> str:
    """`whole`: every line of both versions shown (as context when unchanged), so whoever
    approves a cell's new code sees all of it, not only the changed lines."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    lines = difflib.unified_diff(
        old,
        new,
        f"a/{rel}",
        f"b/{rel}",
        n=max(len(old), len(new)) if whole else 2,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def done(data: dict[str, Any], summary: str, path: str = "", diff: str = "") -> ToolOutcome:
    return ToolOutcome(data, summary, diff, path)


def failing_suffix(data: dict[str, Any]) -> str:
    errors = data.get("errors") or []
    return f" · {len(errors)} failing" if errors else ""


# -- consent, the guarded write, the rerun ------------------------------------------------------
async def consent(ctx: ToolContext, name: str, rel: str, diff: str) -> None:
    """Return when this action may go ahead (approval mode, or the user said yes)."""
    if ctx.approval == "read-only":
        raise ToolFailure(
            "read-only mode: no writes are allowed in this session; describe the change instead"
        )
    if ctx.approval == "auto" or ctx.approve_all:
        return
    if ctx.approver is None:
        raise ToolFailure("this edit needs the user's approval and nobody can give it here")
    asked = ApprovalAsked(call_id=ctx.call_id, name=name, path=rel, diff=diff)
    ctx.emit(asked)
    answer = await ctx.approver(asked)
    if answer == "all":
        ctx.approve_all = True
    elif answer != "yes":
        raise ToolFailure("the user declined this edit; nothing was written. Ask what they want")


async def guarded_write(
    ctx: ToolContext,
    path: Path,
    name: str,
    diff: str,
    operation: Callable[[NotebookStore, str | None], EditResult],
) -> tuple[EditResult, dict[str, Any]]:
    """Ask (when asked to), write through the store, wait for marimo's rerun, report it."""
    wb = ctx.workbench
    rel = wb.relative(path)
    await consent(ctx, name, rel, diff)
    base = ctx.seen.get(path)
    runs_before = report.versions(report.kernel_runs(wb, path, wb.store.notebook(path)))
    group = ctx.group

    call = ctx.call_id

    def run(store: NotebookStore) -> EditResult:
        with store.grouped(group):
            result = operation(store, base)
        # Counted as it lands: Esc while marimo reruns it must leave it known, and undoable.
        ctx.writes += 1
        ctx.written.add(call)
        return result

    try:
        # Shielded: Esc cancels the turn, never a write half way (the write is atomic anyway,
        # and its view update and journal entry belong together).
        result = await asyncio.shield(wb.edit(run))
    except ConflictError as exc:
        ctx.seen.pop(path, None)
        raise ToolFailure(f"{changed_since_read(rel)} {exc}") from None
    except (StoreError, NotebookError) as exc:
        raise ToolFailure(str(exc)) from None
    ctx.seen[path] = result.notebook.base_hash
    rerun = await wait_for_rerun(ctx, path, result.notebook, runs_before, result.stale)
    data: dict[str, Any] = {"ok": True, "notebook": rel}
    if result.warnings:
        data["warnings"] = result.warnings
    data.update(rerun)
    return result, data


async def wait_for_rerun(
    ctx: ToolContext, path: Path, nb: Notebook, before: dict[str, int], focus: set[str]
) -> dict[str, Any]:
    """After a write: wait for marimo to settle, then what reran and what fails."""
    wb = ctx.workbench
    runtime = wb.runtime
    if runtime is None:
        return {"rerun": "marimo is not running in this session: the change was not run"}
    if wb.current != path:
        wb.open(path)  # the cell view follows the agent, and the notebook gets a session
    settled = await runtime.settle(path, [c.code for c in nb.cells], ctx.rerun_timeout)
    down = runtime.down()
    if not settled and down:
        return {"rerun": f"the marimo server is down ({down}): the change was written, not run"}
    runs = report.kernel_runs(wb, path, nb)
    return report.rerun_report(nb, runs, before, settled, focus)
