"""`?`: every key binding, as remapped by `keys:` in marimo-tui.yaml."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from marimo_tui.safe_text import one_line
from marimo_tui.tui.screens.dialogs import DialogScreen


class KeysScreen(DialogScreen[None]):
    DEFAULT_CSS = ".keys { height: 90%; } .keys DataTable { height: 1fr; }"
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog keys"):
            yield Label(
                "Keys — remap any of them under `keys:` in marimo-tui.yaml "
                "(action id in brackets) · esc closes",
                classes="title",
            )
            table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("where", "keys", "action")
            for row in self.rows:  # Text: a str cell would be parsed as markup
                table.add_row(*(Text(one_line(cell)) for cell in row))
            yield table
