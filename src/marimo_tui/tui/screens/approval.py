"""Asks before the agent writes: the tool, the notebook and the diff; yes, no or yes to all."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from marimo_tui.agent.events import ApprovalAsked
from marimo_tui.tui.screens.dialogs import DIALOG_CSS
from marimo_tui.tui.widgets.agent_log import diff_text

ANSWERS = ("yes", "all", "no")


class ApprovalScreen(ModalScreen[str]):
    """Dismisses with "yes", "no" or "all" (yes to every write for the rest of the turn)."""

    DEFAULT_CSS = (
        DIALOG_CSS
        + """
    ApprovalScreen .dialog { width: 90%; max-width: 120; }
    ApprovalScreen .path { color: $text-muted; }
    ApprovalScreen #diff {
        height: auto; max-height: 70vh; margin-top: 1;
        background: $surface; padding: 0 1; scrollbar-size-vertical: 1;
    }
    """
    )
    BINDINGS = [
        Binding("y", "dismiss('yes')", "Yes"),
        Binding("a", "dismiss('all')", "Yes to all"),
        Binding("escape,n", "dismiss('no')", "No"),
    ]

    def __init__(self, asked: ApprovalAsked) -> None:
        super().__init__()
        self.asked = asked

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Let the agent run {self.asked.name}?", classes="title", markup=False)
            if self.asked.path:
                yield Label(self.asked.path, classes="path", markup=False)
            with VerticalScroll(id="diff"):
                diff = self.asked.diff
                yield Static(diff_text(diff) if diff else "(no changes to show)")
            with Horizontal(classes="buttons"):
                yield Button("No (n)", id="no")
                yield Button("Yes to all this turn (a)", id="all")
                yield Button("Yes (y)", id="yes", variant="success")

    def on_mount(self) -> None:
        # Enter on the focused button must never approve by accident: `y` is one key anyway.
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id in ANSWERS:
            self.dismiss(event.button.id)
