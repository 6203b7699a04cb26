"""The agent's plan in the task tree: `plan` adds tasks, `update_task` moves them along.

A turn's plan hangs under one task for the turn (titled by the user's prompt), so plans of
many turns do not pile up at the top of the tree; the loop finishes that task with the turn.
"""

from __future__ import annotations

from typing import Any

from marimo_tui.agent.events import TaskUpdated
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.tool_base import Tool, ToolContext, ToolFailure, ToolOutcome, done, schema
from marimo_tui.tasks import Task, TaskStatus

TURN_TITLE_CHARS = 60


def turn_title(prompt: str) -> str:
    """The turn's task title: the prompt's first line, cut to fit a line of the tree."""
    first = next((line.strip() for line in prompt.splitlines() if line.strip()), "")
    if not first:
        return "turn"
    if len(first) <= TURN_TITLE_CHARS:
        return first
    cut = first[: TURN_TITLE_CHARS - 1]
    word = cut.rsplit(" ", 1)[0]  # at a word's end, unless that loses too much
    return (word if len(word) > TURN_TITLE_CHARS // 2 else cut).rstrip(" ,;:") + "…"


def _emit(ctx: ToolContext, task: Task) -> None:
    ctx.emit(TaskUpdated(task.id, task.title, str(task.status), task.parent))


def turn_task(ctx: ToolContext) -> str:
    """The id of this turn's task, made (running) on first use."""
    if ctx.turn_task is None:
        task = ctx.workbench.tasks.add(
            turn_title(ctx.prompt), owner="agent", status=TaskStatus.RUNNING
        )
        ctx.turn_task = task.id
        ctx.tasks_made.append(task.id)
        _emit(ctx, task)
    return ctx.turn_task


async def plan(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    tree = ctx.workbench.tasks
    made: list[dict[str, Any]] = []
    top = args.get("parent")
    if top is not None and top not in {t.id for t in tree}:
        raise ToolFailure(f"no task {top!r} to plan under")

    def add(items: list[Any], parent: str) -> None:
        for item in items:
            title = item if isinstance(item, str) else item["title"]
            task = tree.add(title, parent=parent, owner="agent", status=TaskStatus.PENDING)
            ctx.tasks_made.append(task.id)
            _emit(ctx, task)
            entry = {"id": task.id, "title": task.title}
            if parent != ctx.turn_task:  # the turn's task is not the model's to manage
                entry["parent"] = parent
            made.append(entry)
            if not isinstance(item, str):
                add(item.get("subtasks") or [], task.id)

    try:
        add(args["tasks"], top if top is not None else turn_task(ctx))
    except (KeyError, ValueError) as exc:
        raise ToolFailure(f"{exc}; planned so far: {made}") from None
    return done({"tasks": made}, f"planned {len(made)} tasks")


async def update_task(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    tree = ctx.workbench.tasks
    try:
        task = tree.set_status(args["id"], TaskStatus(args["status"]), args.get("note"))
    except KeyError:
        known = ", ".join(f"{t.id} {t.title!r}" for t in tree if t.owner == "agent")
        raise ToolFailure(
            f"no task {args['id']!r}; tasks: {known or 'none yet (use plan)'}"
        ) from None
    _emit(ctx, task)
    return done({"id": task.id, "status": str(task.status)}, f"{task.title}: {task.status}")


TASK_ITEM = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "subtasks": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["title"],
        },
    ]
}

TASK_TOOLS: tuple[Tool, ...] = (
    Tool(
        ToolSpec(
            "plan",
            "Put your plan in the task tree the user sees. A task is a title or {title, subtasks}.",
            schema(
                ["tasks"],
                tasks={"type": "array", "items": TASK_ITEM, "minItems": 1},
                parent={"type": "string"},
            ),
        ),
        plan,
    ),
    Tool(
        ToolSpec(
            "update_task",
            "Set a task's status, with an optional short note.",
            schema(
                ["id", "status"],
                id={"type": "string"},
                status={"enum": ["pending", "running", "done", "failed"]},
                note={"type": "string"},
            ),
        ),
        update_task,
    ),
)
