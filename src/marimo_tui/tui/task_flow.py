"""The task tree's own actions: add a task, check one off, delete one (with its subtasks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marimo_tui.tui.app import WorkbenchApp


class TaskFlows:
    def __init__(self, app: WorkbenchApp) -> None:
        self.app = app

    async def handle(self, action: str, task_id: str | None) -> None:
        from marimo_tui.tui.screens.dialogs import ConfirmScreen, PromptScreen

        app = self.app
        tasks = app.workbench.tasks
        if action == "add":
            title = await app.push_screen_wait(PromptScreen("New task", placeholder="title"))
            if title and title.strip():
                tasks.add(title, parent=None)
            return
        if task_id is None:
            app.notify("no task selected", severity="warning")
            return
        task = tasks.get(task_id)
        if task.owner == "system":
            app.notify(
                f"{task.title!r} is a workbench job: it cannot be changed by hand",
                severity="warning",
            )
            return
        if action == "toggle":
            tasks.toggle_done(task_id)
        elif action == "delete" and await app.push_screen_wait(
            ConfirmScreen(f"Delete task {task.title!r} and its subtasks?", "Delete")
        ):
            tasks.remove(task_id)
