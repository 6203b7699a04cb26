"""The task tree: the agent's plan, the user's own to-dos and the workbench's jobs.

Tasks are values; the tree replaces them and tells a listener. The user's and the agent's tasks
persist in `.marimo-tui/tasks.json`; system jobs (the file watcher, the sidecar) live only as
long as the process that runs them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from itertools import count
from pathlib import Path
from typing import Any, Literal

from marimo_tui.notebook.atomic import atomic_write
from marimo_tui.notebook.write_paths import OutsideRoot, check_inside

Owner = Literal["system", "user", "agent"]


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    title: str
    status: TaskStatus = TaskStatus.PENDING
    owner: Owner = "user"
    parent: str | None = None
    started: float | None = None  # wall-clock seconds
    finished: float | None = None
    detail: str = ""

    def elapsed(self, now: float | None = None) -> float | None:
        if self.started is None:
            return None
        end = self.finished if self.finished is not None else (now or time.time())
        return max(0.0, end - self.started)


Listener = Callable[[Task, bool], None]  # (task, removed)


class TaskTree:
    def __init__(
        self,
        path: Path | None = None,
        listener: Listener | None = None,
        root: Path | None = None,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.listener = listener
        self.root = root  # when given, the file must resolve inside it (no linked folder)
        self.on_problem = on_problem  # told once why the tree is not saved
        self.problem = ""
        self._tasks: dict[str, Task] = {}
        self._ids = count(1)
        self.load_error: str | None = None
        if path is not None:
            self._load(path)

    def __iter__(self) -> Iterator[Task]:
        return iter(list(self._tasks.values()))

    def __len__(self) -> int:
        return len(self._tasks)

    def get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise KeyError(f"no task {task_id!r}") from None

    def children(self, parent: str | None) -> list[Task]:
        return [t for t in self._tasks.values() if t.parent == parent]

    def add(
        self,
        title: str,
        *,
        owner: Owner = "user",
        parent: str | None = None,
        status: TaskStatus = TaskStatus.PENDING,
        detail: str = "",
        task_id: str | None = None,
    ) -> Task:
        title = " ".join(title.split())
        if not title:
            raise ValueError("a task needs a title")
        if parent is not None:
            self.get(parent)
        tid = task_id or self._next_id(owner)
        task = Task(tid, title, TaskStatus.PENDING, owner, parent, detail=detail)
        self._tasks[tid] = task
        return self.set_status(tid, status) if status != TaskStatus.PENDING else self._changed(task)

    def set_status(self, task_id: str, status: TaskStatus, detail: str | None = None) -> Task:
        task = self.get(task_id)
        now = time.time()
        if status == TaskStatus.RUNNING:
            started, finished = now, None
        elif status.finished:
            started, finished = task.started or now, now
        else:
            started, finished = None, None
        new = replace(
            task,
            status=status,
            started=started,
            finished=finished,
            detail=task.detail if detail is None else detail,
        )
        self._tasks[task_id] = new
        return self._changed(new)

    def rename(self, task_id: str, title: str) -> Task:
        title = " ".join(title.split())
        if not title:
            raise ValueError("a task needs a title")
        new = replace(self.get(task_id), title=title)
        self._tasks[task_id] = new
        return self._changed(new)

    def toggle_done(self, task_id: str) -> Task:
        task = self.get(task_id)
        return self.set_status(
            task_id, TaskStatus.PENDING if task.status == TaskStatus.DONE else TaskStatus.DONE
        )

    def remove(self, task_id: str) -> list[Task]:
        """Remove a task and everything under it; returns what was removed."""
        gone: list[Task] = []
        stack = [self.get(task_id)]
        while stack:
            task = stack.pop()
            gone.append(task)
            stack.extend(self.children(task.id))
        for task in gone:
            del self._tasks[task.id]
        self._save()
        for task in gone:
            if self.listener:
                self.listener(task, True)
        return gone

    # -- persistence -----------------------------------------------------------------------
    def _next_id(self, owner: Owner) -> str:
        prefix = {"system": "s", "user": "t", "agent": "a"}[owner]
        while True:
            candidate = f"{prefix}{next(self._ids)}"
            if candidate not in self._tasks:
                return candidate

    def _changed(self, task: Task) -> Task:
        if task.owner != "system":
            self._save()
        if self.listener:
            self.listener(task, False)
        return task

    def _save(self) -> None:
        if self.path is None or self.problem:
            return
        try:
            check_inside(self.path, self.root)
        except OutsideRoot as exc:
            self.problem = str(exc)
            if self.on_problem is not None:
                self.on_problem(f"the task tree is not saved: {exc}")
            return
        kept = [_to_json(t) for t in self._tasks.values() if t.owner != "system"]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, (json.dumps({"tasks": kept}, indent=1) + "\n").encode())

    def _load(self, path: Path) -> None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            tasks = [_from_json(t) for t in raw["tasks"]]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A damaged file is kept as it is (never overwritten) and the tree starts empty.
            self.load_error = f"{path}: unreadable task list ({exc}); not loaded"
            self.path = None
            return
        highest = 0
        for task in tasks:
            if task.owner == "agent" and task.status == TaskStatus.RUNNING:
                # Nothing of an earlier process runs now: its agent was stopped mid-task.
                task = replace(task, status=TaskStatus.CANCELLED, detail="interrupted")
            self._tasks[task.id] = task
            if task.id[1:].isdigit():
                highest = max(highest, int(task.id[1:]))
        self._ids = count(highest + 1)


def _to_json(task: Task) -> dict[str, Any]:
    data = asdict(task)
    data["status"] = str(task.status)
    return data


def _from_json(data: dict[str, Any]) -> Task:
    return Task(
        id=str(data["id"]),
        title=str(data["title"]),
        status=TaskStatus(data.get("status", "pending")),
        owner=data.get("owner", "user"),
        parent=data.get("parent"),
        started=data.get("started"),
        finished=data.get("finished"),
        detail=str(data.get("detail", "")),
    )
