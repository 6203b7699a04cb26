"""A turn's lasting effects, the same for the agent loop and an outside (MCP) agent: its node in
the task tree closes with it, and its writes, journaled as one group, are undone as one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marimo_tui.agent import events as ev
from marimo_tui.agent.tools import ToolContext, ToolFailure
from marimo_tui.notebook.errors import StoreError

if TYPE_CHECKING:
    from pathlib import Path

    from marimo_tui.workbench import Workbench


async def undo_turn(
    workbench: Workbench, group: str, seen: dict[Path, str | None] | None = None
) -> list[str]:
    """Revert every write journaled under a turn's `group`; what was undone, one line each.
    `seen`: what the agent read, forgotten for the files whose bytes changed under it (its
    next edit reads them again instead of being a conflict)."""
    try:
        entries = await workbench.run_in_store(lambda s: s.undo_group(group))
    except StoreError as exc:
        raise ToolFailure(str(exc)) from None
    done = []
    for entry in entries:
        path = workbench.store.resolve(entry.path)
        if seen is not None:
            seen.pop(path, None)
        if path.exists():
            workbench.reload(path, "undo")
        done.append(f"{entry.op} on {entry.path}")
    return done


def close_turn_task(ctx: ToolContext, reason: str) -> None:
    """The turn's node in the task tree ends with the turn (the pane folds it then)."""
    from marimo_tui.tasks import TaskStatus

    if ctx.turn_task is None:
        return
    status = {"finished": TaskStatus.DONE, "cancelled": TaskStatus.CANCELLED}.get(
        reason, TaskStatus.FAILED
    )
    note = None if reason == "finished" else reason
    try:
        task = ctx.workbench.tasks.set_status(ctx.turn_task, status, note)
    except KeyError:  # the user deleted it meanwhile
        return
    ctx.emit(ev.TaskUpdated(task.id, task.title, str(task.status), task.parent))
