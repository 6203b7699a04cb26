"""The app's panes: which layout the width gives (four panes, stacked, or one at a time), and
moving the focus between them. A mixin of `WorkbenchApp`, listed before `App`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.events import Resize
from textual.widget import Widget

from marimo_tui.tui.app_mixin import AppMixin
from marimo_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from marimo_tui.tui.dagster_flow import DagsterFlows
    from marimo_tui.tui.widgets.chat import ChatPane
    from marimo_tui.tui.widgets.tasks_pane import TasksPane


WIDE, NARROW = 160, 100  # columns: four panes from WIDE, one pane below NARROW
NARROW_HINT = "1-4 or ctrl+→: panes"  # one pane at a time, and the footer has no room
PANES = ("cells", "chat", "tasks", "runs")


def layout_mode(width: int) -> str:
    return "-wide" if width >= WIDE else "-stacked" if width >= NARROW else "-narrow"


class PaneLayout(AppMixin):
    if TYPE_CHECKING:  # the app's
        dagster: DagsterFlows | None

        @property
        def chat(self) -> ChatPane: ...

        @property
        def tasks_pane(self) -> TasksPane: ...

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        mode = layout_mode(width)
        for panes in self.query("#panes"):
            for name in ("-wide", "-stacked", "-narrow"):
                panes.set_class(name == mode, name)
        for bar in self.query(StatusBar):
            bar.set(hint=NARROW_HINT if mode == "-narrow" else "")

    def focused_widget(self) -> Widget | None:
        """`focused`, or None once the app is closing: its last screen gone, a focus event
        still queued (or a binding checked) must not raise."""
        return self.focused if self.screen_stack else None

    def _pane_of(self, widget: Widget | None) -> Widget | None:
        while widget is not None and not widget.has_class("pane"):
            widget = widget.parent if isinstance(widget.parent, Widget) else None
        return widget

    def on_descendant_focus(self, event: object) -> None:
        pane = self._pane_of(self.focused_widget())
        if pane is not None:
            for other in self.query(".pane"):
                other.set_class(other is pane, "-active")

    def action_show_pane(self, name: str) -> None:
        pane = self.query_one(f"#{name}")
        target: Widget = pane
        if name == "chat":
            target = self.chat.input
        elif name == "tasks":
            target = self.tasks_pane
        elif name == "runs" and self.dagster is not None:
            target = self.dagster.pane.table
        pane.add_class("-active")
        # Focus now, not on the next idle as `focus()` does: keys typed right after `/` or a
        # pane key must land in the new pane.
        self.screen.set_focus(target)

    def action_cycle_pane(self, step: int) -> None:
        current = self._pane_of(self.focused_widget())
        index = PANES.index(current.id) if current is not None and current.id in PANES else 0
        self.action_show_pane(PANES[(index + step) % len(PANES)])

    def action_focus_chat(self) -> None:
        field = self.chat.input
        self.action_focus_chat_with(field.value or "/")

    def action_focus_chat_with(self, text: str) -> None:
        self.action_show_pane("chat")
        field = self.chat.input
        field.value = text
        field.cursor_position = len(text)
