"""The marimo server's details: the URL to watch the notebook from a browser, and its log."""

from __future__ import annotations

from urllib.parse import urlsplit

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from marimo_tui.safe_text import one_line
from marimo_tui.tui.screens.dialogs import DialogScreen


class SidecarScreen(DialogScreen[bool]):
    """Dismissed with True when the user asked to copy the URL."""

    DEFAULT_CSS = """
    SidecarScreen .url { color: $accent; margin: 1 0; }
    SidecarScreen .info { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss(False)", "Close", id="close_sidecar"),
        Binding("c,y", "dismiss(True)", "Copy URL", id="copy_url"),
    ]

    def __init__(self, url: str, info: list[str]) -> None:
        super().__init__()
        self.url = url
        self.info = info

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("marimo server", classes="title")
            port = urlsplit(self.url).port
            yield Static(
                "Watch this notebook from a browser; over SSH, forward the port first: "
                f"ssh -L {port}:127.0.0.1:{port} HOST. "
                "The link carries the server's token: share it with care.",
                markup=False,
            )
            yield Static(one_line(self.url), classes="url", markup=False)
            for line in self.info:
                yield Static(one_line(line), classes="info", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Close (esc)", id="close")
                yield Button("Copy URL (c)", id="copy", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#copy", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "copy")
