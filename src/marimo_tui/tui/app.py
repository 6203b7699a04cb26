"""The workbench app: four panes over a live notebook, a status bar and the footer.

Beside it, mixins of its own: the panes' layout and focus (pane_layout.py), what it does with
the workbench's events (app_events.py), and plain text in everything it writes itself
(plain_app.py). The flows a key or the chat starts are objects made on first use."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Coroutine, Iterable
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Container
from textual.markup import escape as escape_markup
from textual.screen import Screen
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import Footer, Static

from marimo_tui.dagster.errors import NOT_CONFIGURED
from marimo_tui.notebook.model import Notebook
from marimo_tui.safe_text import one_line
from marimo_tui.tui import idle_gc
from marimo_tui.tui.actions import ACTIONS, APP_BINDINGS, listed
from marimo_tui.tui.app_events import WorkbenchEvents
from marimo_tui.tui.dagster_start import DagsterStart
from marimo_tui.tui.pane_layout import NARROW_HINT, PaneLayout, layout_mode
from marimo_tui.tui.plain_app import PlainText
from marimo_tui.tui.themes import register_themes, save_theme
from marimo_tui.tui.widgets.cell_view import CellView, cells_title
from marimo_tui.tui.widgets.chat import ChatPane
from marimo_tui.tui.widgets.status_bar import StatusBar
from marimo_tui.workbench import Workbench

if TYPE_CHECKING:
    from textual.driver import Driver

    from marimo_tui.agent.start import Overrides
    from marimo_tui.tui.agent_flow import AgentFlows
    from marimo_tui.tui.dagster_flow import DagsterFlows
    from marimo_tui.tui.editing import EditFlows
    from marimo_tui.tui.outside_flow import OutsideAgents
    from marimo_tui.tui.running import RunFlows
    from marimo_tui.tui.slash import SlashCommands
    from marimo_tui.tui.widget_flow import WidgetFlows
    from marimo_tui.tui.widgets.runs_pane import RunsPane
    from marimo_tui.tui.widgets.tasks_pane import TasksPane

NEXT_FRAME_WAIT = 0.1  # s marimo's analysis of a change waits for the frame showing it


def _driver_class() -> type[Driver] | None:
    """Ours on Linux (it survives a hung-up terminal); elsewhere Textual's choice."""
    if not sys.platform.startswith("linux"):
        return None
    from marimo_tui.tui.terminal_driver import WorkbenchDriver

    return WorkbenchDriver


class WorkbenchApp(PaneLayout, WorkbenchEvents, PlainText, App[None]):
    TITLE = "marimo-tui"
    CSS = """
    Screen { layers: base; }
    #panes { layout: grid; height: 1fr; }
    .pane { border: round $panel-lighten-2; border-title-color: $text-muted; height: 1fr; }
    .pane:focus, .pane:focus-within { border: round $accent; border-title-color: $accent; }
    #runs { padding: 0 1; color: $text-muted; background: $surface; }
    #panes.-wide { grid-size: 3 2; grid-columns: 5fr 3fr 2fr; grid-rows: 1fr 1fr; }
    #panes.-wide > #cells, #panes.-wide > #chat { row-span: 2; }
    #panes.-stacked { grid-size: 3 2; grid-rows: 2fr 1fr; }
    #panes.-stacked > #cells { column-span: 3; }
    #panes.-narrow { grid-size: 1 1; }
    #panes.-narrow > .pane { display: none; }
    #panes.-narrow > .pane.-active { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = list(APP_BINDINGS)

    def __init__(
        self,
        workbench: Workbench,
        initial: Notebook | None = None,
        *,
        watch: bool = True,
        run: bool = True,
        agent: Overrides | None = None,
        serve_dagster: bool = False,
    ) -> None:
        super().__init__(driver_class=_driver_class())
        self.agent_overrides = agent
        self.dagster: DagsterFlows | None = None
        # `--dagster`: the app runs the project's webserver itself, for as long as it runs.
        self.serve_dagster = serve_dagster
        self.dagster_start = DagsterStart(self)
        # A replay with a `prompt:` plays by itself once these services are up.
        running = run and workbench.config.marimo.enabled
        self._autoplay_waits: set[str] | None = {"marimo"} if running else set()
        if serve_dagster:
            self._autoplay_waits.add("dagster")
        self.workbench = workbench
        self.initial = initial
        self.watch_files = watch
        self.run_cells = run
        self._last_broken: str | None = None
        self._idle_gc = idle_gc.IdleCollector()
        self._cell_view: CellView | None = None
        self._status: StatusBar | None = None
        self._theme_errors = register_themes(self, workbench.config.theme)

    # Editing and the chat's commands pull in the editor, dialogs and the store: loaded on use.
    @cached_property
    def edits(self) -> EditFlows:
        from marimo_tui.tui.editing import EditFlows

        return EditFlows(self)

    @cached_property
    def runs(self) -> RunFlows:
        from marimo_tui.tui.running import RunFlows

        return RunFlows(self)

    @cached_property
    def widget_flows(self) -> WidgetFlows:
        from marimo_tui.tui.widget_flow import WidgetFlows

        return WidgetFlows(self)

    @cached_property
    def agent(self) -> AgentFlows:
        from marimo_tui.tui.agent_flow import AgentFlows

        return AgentFlows(self, self.agent_overrides)

    @cached_property
    def outside(self) -> OutsideAgents:
        from marimo_tui.tui.outside_flow import OutsideAgents

        return OutsideAgents(self)

    @cached_property
    def slash(self) -> SlashCommands:
        from marimo_tui.tui.slash import SlashCommands

        return SlashCommands(self)

    # -- building ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # Everything the first frame shows is set here, not in on_mount: each change after
        # mounting costs a restyle before the first paint.
        with Container(id="panes", classes=layout_mode(self.size.width)):
            cells = self._cell_view = CellView(self.initial, id="cells", classes="pane -active")
            if self.initial is not None:
                cells.border_title = cells_title(self.initial)
                cells.border_subtitle = "analysing…" if self.initial.pending else ""
            else:
                cells.border_title = "cells"
            yield cells
            chat = ChatPane(id="chat", classes="pane")
            chat.border_title = "chat"
            yield chat
            # The tree is mounted after the first frame (`_build_tasks`), like the chat's widgets.
            tasks = Container(id="tasks", classes="pane")
            tasks.border_title = "tasks"
            yield tasks
            runs: Widget
            if self.workbench.config.dagster.url or self.serve_dagster:
                # The table and the poller come after the first frame (`DagsterStart`).
                runs = Container(id="runs", classes="pane")
            else:
                runs = Static(NOT_CONFIGURED, id="runs", classes="pane", markup=False)
                runs.can_focus = True
            runs.border_title = "runs"
            yield runs
        status = self._status = StatusBar(id="status")
        wb = self.workbench
        config = wb.config
        status.project = wb.root.name
        status.notebook = self._notebook_label(self.initial)
        # Most telling first: what runs the notebook, then what follows the disk.
        running = config.marimo.enabled and self.run_cells
        status.services["marimo"] = ("starting" if running else "off", True)
        status.services["watcher"] = ("starting" if self.watch_files else "off", True)
        status.services["model"] = (self._model_label(), True)
        dagster = "connecting" if config.dagster.url else "off"
        status.services["dagster"] = ("starting" if self.serve_dagster else dagster, True)
        status.hint = NARROW_HINT if layout_mode(self.size.width) == "-narrow" else ""
        status.redraw()
        yield status
        yield Footer()

    def _model_label(self) -> str:
        """The model as the config and the command line name it, until a session opens."""
        agent, over = self.workbench.config.agent, self.agent_overrides
        provider = (over and over.provider) or agent.provider
        if provider == "scripted" and over and over.script:
            return f"replay of {over.script.name}"
        return f"{provider} {(over and over.model) or agent.model}"

    # Made once in `compose` and never replaced: kept, not queried (a query walks the DOM, and
    # every kernel message asks for the cell view).
    @property
    def cell_view(self) -> CellView:
        return self._cell_view if self._cell_view is not None else self.query_one(CellView)

    @property
    def chat(self) -> ChatPane:
        return self.query_one(ChatPane)

    @property
    def tasks_pane(self) -> TasksPane:
        from marimo_tui.tui.widgets.tasks_pane import TasksPane

        found = self.query(TasksPane)
        if found:
            return found.first()
        pane = TasksPane(id="task-tree")
        self.query_one("#tasks").mount(pane)
        for task in self.workbench.tasks:  # kept from earlier sessions: old turns come folded
            pane.upsert(task)
        return pane

    @property
    def status(self) -> StatusBar:
        return self._status if self._status is not None else self.query_one(StatusBar)

    def on_mount(self) -> None:
        # SIGTERM, SIGINT from outside, or SIGHUP when an SSH session drops: `launch` has the
        # app leave as from ctrl+q (tui/exit_signals.py).
        self.cell_view.focus()
        self.workbench.subscribe(self.on_workbench_event)
        self.workbench.before_analysis = self._next_frame
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self.set_interval(idle_gc.CHECK_EVERY, self._idle_gc.tick)
        self.chat.build()
        _ = self.tasks_pane  # mounts the tree
        self._apply_keymap()
        for error in self._theme_errors:
            self.notify(error, severity="warning", timeout=10)
        if self.initial is None and self.workbench.current is None:
            self.cell_view.border_subtitle = "no notebook: /new PATH creates one, o opens one"
        self.start_services()
        self.warm_highlighting()
        self.run_guarded(self.outside.start(), group="outside-agents")
        if self.serve_dagster:
            self.run_guarded(self.dagster_start.serve(), group="dagster-serve")
        else:
            self.dagster_start.connect()
        self.autoplay_when_ready()

    def autoplay_when_ready(self, ready: str = "") -> None:
        if self._autoplay_waits is None:
            return
        self._autoplay_waits.discard(ready)
        if not self._autoplay_waits:
            self._autoplay_waits = None
            if self.agent_overrides is not None and self.agent_overrides.script is not None:
                self.agent.autoplay()

    def on_runs_pane_requested(self, message: RunsPane.Requested) -> None:
        if self.dagster is not None:
            self.dagster.handle(message.action, message.run_id)

    @work(group="services")
    async def start_services(self) -> None:
        await self.workbench.start(watch=self.watch_files, run=self.run_cells)

    @work(group="highlight")
    async def warm_highlighting(self) -> None:
        # Import pygments off the UI thread, then colour the code.
        def load() -> None:
            from textual.highlight import highlight

            highlight("x = 1", language="python")

        await asyncio.to_thread(load)
        self.cell_view.enable_highlighting()

    async def on_unmount(self) -> None:
        # The panes are gone: what the services say while they stop has no one to show it.
        self.workbench.unsubscribe(self.on_workbench_event)
        if "outside" in self.__dict__:
            await self.outside.stop()
        if self.dagster is not None:
            await self.dagster.stop()
        await self.dagster_start.stop()
        await self.workbench.stop()

    def _apply_keymap(self) -> None:
        keys = dict(self.workbench.config.keys)
        if not keys:
            return
        known = {a.id for a in ACTIONS if a.keys}
        unknown = sorted(set(keys) - known)
        for name in unknown:
            self.notify(
                f"keys: no action {name!r}; actions: {', '.join(sorted(known))}",
                severity="warning",
                timeout=10,
            )
            keys.pop(name)
        self.set_keymap(keys)

    def run_guarded(
        self, work: Coroutine[Any, Any, None], *, group: str, exclusive: bool = False
    ) -> None:
        """Run a user-started flow in a worker; a bug or an OS error in it becomes one line of
        notice instead of closing the workbench (a worker's default)."""

        async def guarded() -> None:
            try:
                await work
            except Exception as exc:
                self.log.error(f"{group} failed: {exc!r}")
                self.notify(f"{group} failed: {type(exc).__name__}: {exc}", severity="error")

        self.run_worker(guarded(), group=group, exit_on_error=False, exclusive=exclusive)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_agent":
            return "agent" in self.__dict__ and self.agent.busy and len(self.screen_stack) == 1
        if action == "focus_chat":
            from textual.widgets import Input, TextArea

            in_text = isinstance(self.focused_widget(), Input | TextArea)
            return not in_text and len(self.screen_stack) == 1
        return True

    def action_cancel_agent(self) -> None:
        self.agent.cancel()

    async def _next_frame(self) -> None:
        """Once what was asked of the screen so far is drawn (or a frame's time at most)."""
        drawn: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def mark() -> None:
            if not drawn.done():
                drawn.set_result(None)

        self.call_after_refresh(mark)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(drawn, NEXT_FRAME_WAIT)

    # -- notebooks ---------------------------------------------------------------------------
    def open_notebook(self, path: Path) -> None:
        self.workbench.open(path)
        self.status.set(notebook=self.workbench.relative(self.workbench.current or path))

    def action_open_notebook(self) -> None:
        notebooks = self.workbench.notebooks
        if not notebooks:
            self.notify(
                "no notebooks in this project yet: /new PATH creates one", severity="warning"
            )
            return

        # The palette parses names and help as markup: a file name is text, shown, not sent.
        def entry(path: Path) -> str:
            return escape_markup(one_line(self.workbench.relative(path)))

        self.search_commands(
            [
                (entry(p), partial(self.open_notebook, p), escape_markup(one_line(str(p))))
                for p in notebooks
            ],
            placeholder="Open notebook…",
        )

    # -- cells -------------------------------------------------------------------------------
    @on(CellView.Requested)
    def on_cell_requested(self, event: CellView.Requested) -> None:
        notebook = self.cell_view.notebook
        if notebook is None:
            self.notify("no notebook open: o opens one, /new creates one", severity="warning")
            return
        cell, action = event.cell, event.action
        match action:
            case "run" | "run_all" | "interrupt" | "restart" | "view_output":
                self.run_guarded(self.runs.handle(action, notebook, cell), group="run")
            case "widgets":
                self.run_guarded(self.widget_flows.open(notebook, cell), group="widgets")
            case "undo":
                self.run_guarded(self.edits.undo(notebook.path), group="edit")
            case "add":
                self.run_guarded(self.edits.add_below(notebook, cell), group="edit")
            case "edit" | "delete" | "move_up" | "move_down" | "rename" if cell is None:
                self.notify("no cell selected", severity="warning")
            case "edit" if cell is not None:
                self.run_guarded(self.edits.edit(notebook, cell), group="edit")
            case "delete" if cell is not None:
                self.run_guarded(self.edits.delete(notebook, cell), group="edit")
            case "move_up" | "move_down" if cell is not None:
                step = -1 if action == "move_up" else 1
                self.run_guarded(self.edits.move(notebook, cell, step), group="edit")
            case "rename" if cell is not None:
                self.run_guarded(self.edits.rename(notebook, cell), group="edit")

    # -- tasks -------------------------------------------------------------------------------
    def on_tasks_pane_requested(self, event: TasksPane.Requested) -> None:
        from marimo_tui.tui.task_flow import TaskFlows

        flows = TaskFlows(self)
        self.run_guarded(flows.handle(event.action, event.task_id), group="tasks")

    # -- chat --------------------------------------------------------------------------------
    @on(ChatPane.Submitted)
    def on_chat_submitted(self, event: ChatPane.Submitted) -> None:
        self.run_guarded(self.slash.handle(event.text), group="chat")

    # -- themes and keys ---------------------------------------------------------------------
    def _theme_changed(self, theme: Theme) -> None:
        save_theme(self, theme)

    def action_show_server(self) -> None:
        self.runs.show_server()

    def action_show_keys(self) -> None:
        from marimo_tui.tui.screens.keys import KeysScreen

        self.push_screen(KeysScreen(listed(self.workbench.config.keys)))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        targets: dict[str, Widget | App[None]] = {
            "app": self,
            "cells": self.cell_view,
            "tasks": self.tasks_pane,
        }
        if self.dagster is not None:
            targets["runs"] = self.dagster.pane
        for action in ACTIONS:
            if action.title and action.where in targets:
                run = partial(self.run_action, action.action, targets[action.where])
                yield SystemCommand(action.title, action.help, run)
