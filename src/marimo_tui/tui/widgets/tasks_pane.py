"""The tasks pane: the task tree with status and timing."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from marimo_tui.tasks import Task, TaskStatus

ICONS = {
    TaskStatus.PENDING: ("○", ""),
    TaskStatus.RUNNING: ("●", "yellow"),
    TaskStatus.DONE: ("✓", "green"),
    TaskStatus.FAILED: ("✗", "red"),
    TaskStatus.CANCELLED: ("⊘", "dim"),
}


def elapsed_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"


def task_label(task: Task, now: float | None = None) -> Text:
    icon, colour = ICONS[task.status]
    label = Text()
    label.append(f"{icon} ", style=colour)
    label.append(task.title, style="strike dim" if task.status == TaskStatus.DONE else "")
    timing = elapsed_text(task.elapsed(now))
    if timing:
        label.append(f"  {timing}", style="dim")
    if task.detail and task.status == TaskStatus.FAILED:
        label.append(f"  {task.detail}", style="red")
    return label


class TasksPane(Tree[str]):
    """Tasks by parent; `a` adds, space checks off, `d` deletes (the app asks first)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "request('add')", "Add task", id="add_task"),
        Binding("space,x", "request('toggle')", "Done", id="toggle_task"),
        Binding("d,delete", "request('delete')", "Delete task", id="delete_task"),
    ]
    DEFAULT_CSS = "TasksPane { background: $surface; height: 1fr; }"

    class Requested(Message):
        def __init__(self, action: str, task_id: str | None) -> None:
            super().__init__()
            self.action = action
            self.task_id = task_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("tasks", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._task_nodes: dict[str, TreeNode[str]] = {}
        self._tasks: dict[str, Task] = {}

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def upsert(self, task: Task) -> None:
        self._tasks[task.id] = task
        node = self._task_nodes.get(task.id)
        if (
            node is not None
            and node.parent is not None
            and (
                node.parent.data != task.parent
                and not (node.parent.is_root and task.parent is None)
            )
        ):
            node.remove()
            node = None
        if node is None:
            parent = self._task_nodes.get(task.parent) if task.parent else None
            parent_node = parent if parent is not None else self.root
            node = parent_node.add(task_label(task), data=task.id, expand=True, allow_expand=False)
            if parent is not None:
                parent.allow_expand = True
            self._task_nodes[task.id] = node
        else:
            node.set_label(task_label(task))

    def drop(self, task_id: str) -> None:
        self._tasks.pop(task_id, None)
        node = self._task_nodes.pop(task_id, None)
        if node is not None and node.tree is self:
            node.remove()

    def _tick(self) -> None:
        now = time.time()
        for task in self._tasks.values():
            if task.status == TaskStatus.RUNNING:
                self._task_nodes[task.id].set_label(task_label(task, now))

    @property
    def selected_task(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None and node.data else None

    def action_request(self, action: str) -> None:
        self.post_message(self.Requested(action, self.selected_task))
