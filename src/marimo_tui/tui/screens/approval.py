"""Asks before the agent writes: the tool, the notebook and the diff; yes, no or yes to all.

The question and the answers are docked to the dialog's top and bottom, so however long the
diff, it is the diff that scrolls and the buttons stay on screen (down to 80x24).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.widgets import Button, Label, Static

from marimo_tui.agent.events import ApprovalAsked
from marimo_tui.safe_text import one_line
from marimo_tui.tui.screens.dialogs import DialogScreen
from marimo_tui.tui.widgets.agent_log import diff_text

ANSWERS = ("yes", "all", "no")
NARROW = 80  # columns below which the buttons take their short labels


class ApprovalScreen(DialogScreen[str]):
    """Dismisses with "yes", "no" or "all" (yes to every write for the rest of the turn)."""

    # The docks are what keep the buttons visible: a docked widget's rows are taken out before
    # the diff is laid out, and the diff's `max-height: 100%` is then what remains of the dialog.
    DEFAULT_CSS = """
    ApprovalScreen .dialog { width: 90%; max-width: 120; padding: 0 2; }
    ApprovalScreen .head { dock: top; height: auto; margin-top: 1; }
    ApprovalScreen .dialog .title { margin-bottom: 0; }
    ApprovalScreen .path { color: $text-muted; width: 100%; }
    ApprovalScreen .buttons { dock: bottom; margin-bottom: 1; }
    ApprovalScreen #diff {
        height: auto; max-height: 100%; margin-top: 1;
        background: $surface; padding: 0 1; scrollbar-size: 1 1;
    }
    ApprovalScreen #diff > Static { width: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "dismiss('yes')", "Yes"),
        Binding("a", "dismiss('all')", "Yes to all"),
        Binding("escape,n", "dismiss('no')", "No"),
        # The diff has these keys itself when focused; these reach it from the buttons too.
        Binding("pageup", "scroll_diff('page_up')", "Page up", show=False),
        Binding("pagedown", "scroll_diff('page_down')", "Page down", show=False),
    ]

    def __init__(self, asked: ApprovalAsked) -> None:
        super().__init__()
        self.asked = asked

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            with Vertical(classes="head"):
                question = f"Let the agent run {one_line(self.asked.name)}?"
                yield Label(question, classes="title", markup=False)
                if self.asked.path:
                    yield Label(one_line(self.asked.path), classes="path", markup=False)
            with ScrollableContainer(id="diff"):
                yield Static(self._diff())
            with Horizontal(classes="buttons"):
                yield Button("No (n)", id="no")
                yield Button("Yes to all this turn (a)", id="all")
                yield Button("Yes (y)", id="yes", variant="success")

    def _diff(self) -> Text | str:
        if not self.asked.diff:
            return "(no changes to show)"
        # Unwrapped: a wrapped row would lose its +/- mark; long lines scroll sideways.
        text = diff_text(self.asked.diff)
        text.no_wrap = True
        return text

    @property
    def diff(self) -> ScrollableContainer:
        return self.query_one("#diff", ScrollableContainer)

    def on_mount(self) -> None:
        # The diff takes the focus so its scroll keys work at once; Enter then answers
        # nothing, so it can never approve by accident (`y` is one key anyway).
        self.diff.focus()

    def on_resize(self) -> None:
        # Under 80 columns the long label would push "Yes" out of the dialog.
        label = "All (a)" if self.size.width < NARROW else "Yes to all this turn (a)"
        self.query_one("#all", Button).label = label

    def action_scroll_diff(self, how: str) -> None:
        if how == "page_up":
            self.diff.scroll_page_up()
        else:
            self.diff.scroll_page_down()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id in ANSWERS:
            self.dismiss(event.button.id)
