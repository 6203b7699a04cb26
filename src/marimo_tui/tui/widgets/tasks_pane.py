"""The tasks pane: the task tree with status and timing.

The agent's plan tool files each turn's tasks under one task for the turn (an agent task at the
top, titled with the prompt). A finished turn folds to one line of progress once a newer turn
exists, so turns do not pile up over the current plan; the user can open it again (enter).
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from marimo_tui.safe_text import one_line
from marimo_tui.tasks import Task, TaskStatus
from marimo_tui.tui import workbench_messages as wm
from marimo_tui.tui.actions import TASK_BINDINGS
from marimo_tui.tui.workbench_messages import shows_errors

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
    label.append(one_line(task.title), style="strike dim" if task.status == TaskStatus.DONE else "")
    timing = elapsed_text(task.elapsed(now))
    if timing:
        label.append(f"  {timing}", style="dim")
    if task.detail and task.owner == "system" and task.status != TaskStatus.FAILED:
        # A service's state: the server's "restarting in 2 s", the kernels' "2 live · 104 MB".
        label.append(f"  {one_line(task.detail)}", style="dim")
    if task.detail and task.status == TaskStatus.FAILED:
        label.append(f"  {one_line(task.detail)}", style="red")
    return label


def is_turn(task: Task) -> bool:
    """The task of one agent turn: the plan tool puts the turn's tasks under it."""
    return task.owner == "agent" and task.parent is None


def turn_label(task: Task, done: int, total: int, now: float | None = None) -> Text:
    """One line for a turn: e.g. `✓ add a chart  3/3 done · 1m02s`."""
    icon, colour = ICONS[task.status]
    label = Text()
    label.append(f"{icon} ", style=colour)
    label.append(one_line(task.title))
    stats = [f"{done}/{total} done"]
    timing = elapsed_text(task.elapsed(now))
    if timing:
        stats.append(timing)
    label.append("  " + " · ".join(stats), style="dim")
    if task.detail and task.status == TaskStatus.FAILED:
        label.append(f"  {one_line(task.detail)}", style="red")
    return label


class TasksPane(Tree[str]):
    """Tasks by parent; `a` adds, space checks off, `d` deletes (the app asks first)."""

    BINDINGS: ClassVar[list[BindingType]] = list(TASK_BINDINGS)
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
        self._latest_turn: str | None = None  # stays open, finished or not
        # Turns folded once already: folded again only by the user, who may have opened one.
        self._folded: set[str] = set()

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    @shows_errors
    def on_workbench_task_changed(self, message: wm.TaskChanged) -> None:
        if message.event.removed:
            self.drop(message.event.task.id)
        else:
            self.upsert(message.event.task)

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
        added = node is None
        if node is None:
            parent = self._task_nodes.get(task.parent) if task.parent else None
            parent_node = parent if parent is not None else self.root
            node = parent_node.add(task_label(task), data=task.id, expand=True, allow_expand=False)
            if parent is not None:
                parent.allow_expand = True
            self._task_nodes[task.id] = node
        if added and is_turn(task):
            self._latest_turn = task.id
        self._relabel(task.id)
        turn = self._turn_of(task.id)
        if turn is not None and turn != task.id:
            self._relabel(turn)
        if turn is not None:
            self._fold_finished_turns()
            if added and turn == self._latest_turn:
                self.call_after_refresh(self._show_latest_turn)

    def drop(self, task_id: str) -> None:
        turn = self._turn_of(task_id)
        self._tasks.pop(task_id, None)
        self._folded.discard(task_id)
        node = self._task_nodes.pop(task_id, None)
        if node is not None and node.tree is self:
            node.remove()
        if task_id == self._latest_turn:
            self._latest_turn = next(
                (t.id for t in reversed(self._tasks.values()) if is_turn(t)), None
            )
        if turn is not None and turn in self._tasks:
            self._relabel(turn)

    # -- turns -------------------------------------------------------------------------------
    def _turn_of(self, task_id: str) -> str | None:
        """The turn `task_id` belongs to (itself when it is one), if any."""
        task = self._tasks.get(task_id)
        while task is not None and task.parent is not None:
            task = self._tasks.get(task.parent)
        return task.id if task is not None and is_turn(task) else None

    def _progress(self, turn: str) -> tuple[int, int]:
        """How many of the turn's tasks are done, of how many (all levels of the plan)."""
        below = [t for t in self._tasks.values() if t.id != turn and self._turn_of(t.id) == turn]
        return sum(t.status == TaskStatus.DONE for t in below), len(below)

    def _relabel(self, task_id: str, now: float | None = None) -> None:
        task, node = self._tasks[task_id], self._task_nodes[task_id]
        done = total = 0
        if is_turn(task):
            done, total = self._progress(task_id)
        node.set_label(turn_label(task, done, total, now) if total else task_label(task, now))

    def _fold_finished_turns(self) -> None:
        for task in self._tasks.values():
            node = self._task_nodes[task.id]
            if (
                is_turn(task)
                and task.status.finished
                and task.id != self._latest_turn
                and task.id not in self._folded
                and node.children
            ):
                node.collapse()
                self._folded.add(task.id)

    def _show_latest_turn(self) -> None:
        """Scroll the latest turn's plan into view (its top first when it is taller than the
        pane): older turns above it must not push it off screen."""
        node = self._task_nodes.get(self._latest_turn or "")
        if node is None or node.tree is not self or self.last_line < 0:
            return
        last = node
        while last.is_expanded and last.children:
            last = last.children[-1]
        if node.line < 0 or last.line < 0:
            return
        region = Region(0, node.line, 1, last.line - node.line + 1)
        self.scroll_to_region(region, animate=False, force=True, x_axis=False)

    def _tick(self) -> None:
        now = time.time()
        for task in self._tasks.values():
            if task.status == TaskStatus.RUNNING:
                self._relabel(task.id, now)

    @property
    def selected_task(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None and node.data else None

    def action_request(self, action: str) -> None:
        self.post_message(self.Requested(action, self.selected_task))
