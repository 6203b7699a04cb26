"""Small modal dialogs: confirm, ask for a line of text, pick one of a few choices."""

from __future__ import annotations

from typing import TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList

from marimo_tui.safe_text import one_line, visible

ResultType = TypeVar("ResultType")


class DialogScreen(ModalScreen[ResultType]):
    """A modal dialog, centred over the workbench: the base of every dialog here.

    Its rules name it, and Textual applies a class's default CSS to its subclasses too (a
    `ModalScreen { … }` rule in a subclass's own scoped CSS would match nothing)."""

    DEFAULT_CSS = """
    DialogScreen { align: center middle; }
    DialogScreen .dialog {
        width: 70%; max-width: 90; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 1 2;
    }
    DialogScreen .dialog .title { text-style: bold; margin-bottom: 1; }
    DialogScreen .dialog .buttons { height: auto; margin-top: 1; align-horizontal: right; }
    DialogScreen .dialog Button { margin-left: 1; }
    """


class ConfirmScreen(DialogScreen[bool]):
    BINDINGS = [Binding("escape,n", "dismiss(False)", "No"), Binding("y", "dismiss(True)", "Yes")]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # Questions name tasks, cells and files: text, never markup.
            yield Label(visible(self.question), classes="title", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("No (n)", id="no")
                yield Button(f"{self.yes} (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class PromptScreen(DialogScreen[str | None]):
    """One line of text; Enter accepts, Escape cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(one_line(self.title_text), classes="title", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="prompt")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)


class ChoiceScreen(DialogScreen[str | None]):
    """Pick one of a few choices (id, line shown); Enter picks, Escape cancels."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        from textual.widgets.option_list import Option

        with Vertical(classes="dialog"):
            yield Label(one_line(self.title_text), classes="title", markup=False)
            # Choices name code locations and their errors: text, never markup.
            options = [Option(Text(one_line(shown)), id=key) for key, shown in self.choices]
            yield OptionList(*options, id="choices")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)
