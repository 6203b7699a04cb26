"""What the app itself does with the workbench's events: each goes as a message to the panes
that follow it (tui/workbench_messages.py), and the app's own share (the status bar's notebook,
notices, a waiting `input()`, the replay that starts once marimo is up). A mixin of
`WorkbenchApp`, listed before `App`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events

from marimo_tui.events import Event, TaskChanged
from marimo_tui.notebook.model import Notebook
from marimo_tui.tui import workbench_messages as wm
from marimo_tui.tui.app_mixin import AppMixin
from marimo_tui.tui.widgets.cell_view import broken_message
from marimo_tui.tui.workbench_messages import shows_errors

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from marimo_tui.tui import idle_gc
    from marimo_tui.tui.widget_flow import WidgetFlows
    from marimo_tui.tui.widgets.cell_view import CellView
    from marimo_tui.tui.widgets.status_bar import StatusBar
    from marimo_tui.tui.widgets.tasks_pane import TasksPane
    from marimo_tui.workbench import Workbench


# what counts as someone at the keyboard (a full garbage collection waits until it stops)
USER_INPUT = (
    events.Key,
    events.MouseDown,
    events.MouseScrollDown,
    events.MouseScrollUp,
    events.Paste,
)


class WorkbenchEvents(AppMixin):
    if TYPE_CHECKING:  # the app's
        workbench: Workbench
        _idle_gc: idle_gc.IdleCollector
        _last_broken: str | None

        @property
        def cell_view(self) -> CellView: ...

        @property
        def status(self) -> StatusBar: ...

        @property
        def tasks_pane(self) -> TasksPane: ...

        @property
        def widget_flows(self) -> WidgetFlows: ...

        def autoplay_when_ready(self, ready: str = "") -> None: ...

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, USER_INPUT):
            self._idle_gc.activity()
        await super().on_event(event)

    def on_workbench_event(self, event: Event) -> None:
        """Each pane that follows an event gets it as a message (tui/workbench_messages.py)."""
        self._idle_gc.activity()
        panes: list[MessagePump] = [self, self.cell_view, self.status]
        if isinstance(event, TaskChanged):
            panes.append(self.tasks_pane)  # mounted on first use
        wm.deliver(event, self.workbench.current, panes)

    @shows_errors
    def on_workbench_notebook_loaded(self, message: wm.NotebookLoaded) -> None:
        if message.current:
            self._last_broken = None
            self.status.set(notebook=self._notebook_label(message.event.notebook))

    @shows_errors
    def on_workbench_notebook_broken(self, message: wm.NotebookBroken) -> None:
        event = message.event
        if message.current and (text := broken_message(event)) != self._last_broken:
            self.notify(f"{event.path.name} does not parse: {text}", severity="error", timeout=8)
            self._last_broken = text

    @shows_errors
    def on_workbench_kernel_changed(self, message: wm.KernelChanged) -> None:
        message.taken = True
        if message.current:
            for cell_id in message.cell_ids:
                self.widget_flows.announce_prompt(message.event.kernel, cell_id)

    @shows_errors
    def on_workbench_service_state(self, message: wm.ServiceState) -> None:
        event = message.event
        if event.service == "marimo" and event.state.startswith(("ready", "failed")):
            self.autoplay_when_ready("marimo")

    @shows_errors
    def on_workbench_notice(self, message: wm.Notice) -> None:
        level = message.event.level
        severity = "information" if level == "info" else level
        self.notify(message.event.text, severity=severity, timeout=8 if level != "info" else 4)

    def _notebook_label(self, notebook: Notebook | None) -> str:
        path = notebook.path if notebook is not None else self.workbench.current
        if path is None:
            return "no notebook"
        label = self.workbench.relative(path)
        return f"{label} ({len(notebook.cells)} cells)" if notebook is not None else label
