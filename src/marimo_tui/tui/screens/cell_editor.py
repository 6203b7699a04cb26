"""Editing one cell by hand: a code editor in a modal, and the conflict dialog."""

from __future__ import annotations

from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, TextArea

from marimo_tui.safe_text import one_line, visible
from marimo_tui.tui.screens.dialogs import DialogScreen

EDITOR_CSS = """
.editor { width: 95%; max-width: 140; height: 90%; }
.editor TextArea { height: 1fr; }
.versions { height: 1fr; }
.versions Vertical { width: 1fr; height: 1fr; }
.versions TextArea { height: 1fr; }
"""


class CellEditorScreen(DialogScreen[str | None]):
    """The cell's code in a TextArea; ctrl+s saves, Escape cancels (asks if changed)."""

    DEFAULT_CSS = EDITOR_CSS
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]

    def __init__(self, title: str, code: str) -> None:
        super().__init__()
        self.title_text = title
        self.code = code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog editor"):
            yield Label(
                f"{one_line(self.title_text)}   ctrl+s save · esc cancel",
                classes="title",
                markup=False,
            )
            yield TextArea.code_editor(self.code, language="python", id="code")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#code", TextArea).focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one("#code", TextArea).text)

    def action_cancel(self) -> None:
        if self.query_one("#code", TextArea).text == self.code:
            self.dismiss(None)
            return
        from marimo_tui.tui.screens.dialogs import ConfirmScreen

        def done(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard your changes to this cell?", "Discard"), done)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()


Choice = Literal["mine", "theirs", "edit"]


class ConflictScreen(DialogScreen[Choice]):
    """The file changed while the cell was being edited: show both versions, let the user
    choose. Whatever is chosen, the other version is already kept (journal / conflicts dir)."""

    DEFAULT_CSS = EDITOR_CSS
    BINDINGS = [
        Binding("m", "dismiss('mine')", "Keep mine"),
        Binding("t,escape", "dismiss('theirs')", "Keep theirs"),
        Binding("e", "dismiss('edit')", "Edit again"),
    ]

    def __init__(self, where: str, mine: str, theirs: str | None, saved_as: str) -> None:
        super().__init__()
        self.where = where
        self.mine = mine
        self.theirs = theirs
        self.saved_as = saved_as

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog editor"):
            yield Label(
                f"{one_line(self.where)} changed on disk while you edited it. Your version is "
                f"saved as {one_line(self.saved_as)}; nothing is lost.",
                classes="title",
                markup=False,
            )
            with Horizontal(classes="versions"):
                with Vertical():
                    yield Label("yours")
                    # Read-only: shown with its control characters visible.
                    yield TextArea(visible(self.mine), language="python", read_only=True, id="mine")
                with Vertical():
                    yield Label("on disk now")
                    yield TextArea(
                        visible(self.theirs)
                        if self.theirs is not None
                        else "(the cell was deleted)",
                        language="python",
                        read_only=True,
                        id="theirs",
                    )
            with Horizontal(classes="buttons"):
                yield Button("Keep theirs (t)", id="theirs-button")
                yield Button("Edit again (e)", id="edit-button")
                yield Button("Keep mine (m)", id="mine-button", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        choice: Choice = {"mine-button": "mine", "edit-button": "edit"}.get(  # type: ignore[assignment]
            event.button.id or "", "theirs"
        )
        self.dismiss(choice)
