"""Every command of the workbench, once: its key, the action it runs and where, its footer
label, and its entry in the command palette. The bindings, the palette and the keys screen
are all built from this table, so a command cannot have a key and no palette entry, or a
palette title that says something its key does not.

`id` is what `keys:` in marimo-tui.yaml remaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

Where = Literal["app", "cells", "tasks", "runs"]

RunAction = Literal["run", "run_all", "interrupt", "restart", "view_output"]
# What the cell view asks the app to do with the selected cell (`CellView.Requested`).
CellAction = Literal[
    RunAction, "edit", "add", "delete", "move_up", "move_down", "rename", "undo", "widgets"
]


@dataclass(frozen=True)
class Action:
    id: str
    keys: str  # "" for a palette-only command
    action: str  # a Textual action string, run in `where`'s namespace
    label: str  # the footer's and the keys screen's word
    where: Where
    title: str = ""  # the palette's entry; "" keeps it out of the palette
    help: str = ""
    show: bool = True  # in the footer
    key_display: str | None = None
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=self.show,
            key_display=self.key_display,
            priority=self.priority,
            id=self.id,
        )


def _cell(
    id: str, keys: str, request: CellAction, label: str, title: str, help: str, show: bool = True
) -> Action:
    return Action(id, keys, f"request('{request}')", label, "cells", title, help, show)


ACTIONS: tuple[Action, ...] = (
    # -- the app ---------------------------------------------------------------------------
    Action("quit", "ctrl+q", "quit", "Quit", "app", priority=True),
    Action("open_notebook", "o", "open_notebook", "Open", "app", "Open notebook",
           "Pick a notebook of the project"),
    Action("new_notebook", "", "focus_chat_with('/new ')", "New notebook", "app",
           "New notebook", "Create a notebook from a template"),
    Action("show_keys", "question_mark", "show_keys", "Keys", "app", "Show all keys",
           "Every key binding"),
    Action("change_theme", "t", "change_theme", "Theme", "app", show=False),
    Action("show_server", "w", "show_server", "marimo URL", "app", "marimo server URL",
           "Show and copy the URL to watch this notebook in a browser", show=False),
    # Only while the agent works (`check_action`): otherwise Esc is the panes' own.
    Action("cancel_agent", "escape", "cancel_agent", "Stop agent", "app"),
    # Priority: checked before the key reaches the focused pane, so keys typed right after
    # `/` are never handled as cell-view keys; `check_action` lets text fields keep it.
    Action("focus_chat", "slash", "focus_chat", "Chat", "app", show=False, priority=True),
    Action("next_pane", "ctrl+right,f6", "cycle_pane(1)", "Next pane", "app", show=False,
           priority=True),
    Action("previous_pane", "ctrl+left,shift+f6", "cycle_pane(-1)", "Previous pane", "app",
           show=False, priority=True),
    Action("pane_cells", "1", "show_pane('cells')", "Cells", "app", "Show cells pane",
           "Focus the cells pane", show=False),
    Action("pane_chat", "2", "show_pane('chat')", "Chat", "app", "Show chat pane",
           "Focus the chat pane", show=False),
    Action("pane_tasks", "3", "show_pane('tasks')", "Tasks", "app", "Show tasks pane",
           "Focus the tasks pane", show=False),
    Action("pane_runs", "4", "show_pane('runs')", "Runs", "app", "Show runs pane",
           "Focus the runs pane", show=False),
    # -- the cell view ---------------------------------------------------------------------
    Action("cell_up", "up,k", "cursor(-1)", "Up", "cells", show=False),
    Action("cell_down", "down,j", "cursor(1)", "Down", "cells", show=False),
    Action("cell_first", "home", "first", "First", "cells", show=False),
    Action("cell_last", "end", "last", "Last", "cells", show=False),
    Action("cell_page_up", "pageup", "page(-1)", "Page up", "cells", show=False),
    Action("cell_page_down", "pagedown", "page(1)", "Page down", "cells", show=False),
    Action("fold_cell", "enter", "toggle_fold", "Fold", "cells", "Fold or unfold cell",
           "Fold the selected cell's code", show=False),
    Action("fold_all", "z", "fold_all", "Fold all", "cells", "Fold or unfold all",
           "Fold every cell", show=False),
    _cell("edit_cell", "e", "edit", "Edit", "Edit cell", "Edit the selected cell"),
    _cell("add_cell", "n", "add", "New cell", "Add cell below",
          "Add a cell after the selected one"),
    _cell("delete_cell", "d", "delete", "Delete", "Delete cell", "Delete the selected cell"),
    _cell("move_cell_up", "K", "move_up", "Move up", "Move cell up",
          "Move the selected cell up", show=False),
    _cell("move_cell_down", "J", "move_down", "Move down", "Move cell down",
          "Move the selected cell down", show=False),
    _cell("rename_cell", "r", "rename", "Rename", "Rename cell", "Rename the selected cell",
          show=False),
    _cell("undo", "u", "undo", "Undo", "Undo", "Undo the last change to this notebook"),
    # Terminals send ctrl+enter as enter or ctrl+j unless they speak the kitty protocol.
    Action("run_cell", "ctrl+enter,ctrl+j", "request('run')", "Run", "cells", "Run cell",
           "Run the selected cell", key_display="^⏎"),
    _cell("run_all", "R", "run_all", "Run all", "Run all cells", "Run every cell of the notebook"),
    _cell("interrupt", "i", "interrupt", "Interrupt", "Interrupt",
          "Interrupt the running cell", show=False),
    _cell("restart_kernel", "X", "restart", "Restart kernel", "Restart kernel",
          "A fresh kernel; every cell runs again", show=False),
    _cell("view_output", "v", "view_output", "Output", "View output",
          "The selected cell's whole output"),
    Action("output_next_tab", "right_square_bracket", "next_tab", "Next tab", "cells",
           "Next output tab", "Show the next tab of the selected cell's output", show=False),
    # The cell's UI elements (sliders, dropdowns, …), or the line its `input()` waits for.
    _cell("use_widgets", "space", "widgets", "Widgets", "Use widgets",
          "Change the selected cell's UI elements, or answer its input()", show=False),
    # -- the task tree -----------------------------------------------------------------------
    Action("add_task", "a", "request('add')", "Add task", "tasks", "Add task",
           "Add a task to the task tree"),
    Action("toggle_task", "space,x", "request('toggle')", "Done", "tasks"),
    Action("delete_task", "d,delete", "request('delete')", "Delete task", "tasks"),
    # -- the runs pane (when Dagster is configured) ------------------------------------------
    Action("open_run", "enter", "request('open')", "Open run", "runs"),
    Action("launch_asset", "l", "request('launch')", "Launch asset", "runs",
           "Launch this notebook's asset", "Materialize the open notebook's paired asset"),
    Action("launch_dialog", "L", "request('launch_dialog')", "Launch…", "runs",
           "Launch in Dagster…", "Assets or a job, with a partition, config and tags"),
    Action("relaunch_run", "r", "request('relaunch')", "Relaunch", "runs", "Relaunch run",
           "Launch the selected run again with its config, partition and tags"),
    Action("terminate_run", "x", "request('terminate')", "Terminate", "runs",
           "Terminate run", "Stop the selected run"),
    Action("toggle_all_runs", "a", "toggle_all", "All runs", "runs"),
    Action("switch_runs_view", "s", "switch_view", "Runs/assets", "runs",
           "Runs or assets", "Switch the runs pane between runs and assets"),
    Action("reload_locations", "R", "request('reload')", "Reload code", "runs",
           "Reload Dagster code", "Reload a code location (picked), or every one"),
)  # fmt: skip


def bindings(where: Where) -> list[Binding]:
    return [a.binding() for a in ACTIONS if a.where == where and a.keys]


APP_BINDINGS = bindings("app")
CELL_BINDINGS = bindings("cells")
TASK_BINDINGS = bindings("tasks")
RUNS_BINDINGS = bindings("runs")


def listed(keymap: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(where, keys, description) of every binding, with the user's remapping applied: what
    the keys screen lists."""
    return [(a.where, keymap.get(a.id, a.keys), f"{a.label}  [{a.id}]") for a in ACTIONS if a.keys]
