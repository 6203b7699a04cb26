#!/usr/bin/env python3
"""The baseline for `ttfp.py`: a bare Textual app shaped like the workbench.

    python bench/bare_app.py NOTEBOOK

A grid of four bordered panes laid out like the workbench's (cells on the left, chat in the
middle, tasks above runs on the right), a status line and a footer. The cells pane shows the
first lines of NOTEBOOK (or of the first `*.py` in it when it is a folder), read with plain
`open()`: no parsing, no marimo, no imports beyond Textual. Whatever the real app costs on top
of this is its own startup. Keys: end (scroll the cells pane to the end), ctrl+q.
"""

from __future__ import annotations

import argparse
from itertools import islice
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.widgets import Footer, Static

FIRST_LINES = 200


def first_lines(target: str) -> str:
    path = Path(target)
    if path.is_dir():
        path = next(iter(sorted(path.glob("*.py"))), path / "(no notebook)")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(islice(f, FIRST_LINES)).rstrip("\n")
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror}"


class Pane(VerticalScroll):
    DEFAULT_CSS = """
    Pane { border: round $primary-darken-2; padding: 0 1; }
    Pane:focus-within { border: round $accent; }
    """

    def __init__(self, title: str, body: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.border_title = title
        self._body = body

    def compose(self) -> ComposeResult:
        yield Static(self._body, markup=False)


class BareApp(App[None]):
    CSS = """
    Grid { grid-size: 3 2; grid-columns: 5fr 3fr 2fr; }
    #cells, #chat { row-span: 2; }
    #status { height: 1; background: $panel; padding: 0 1; }
    """
    BINDINGS = [  # noqa: RUF012 - Textual's idiom
        Binding("end", "last", "Last cell"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Grid():
            yield Pane("cells", first_lines(self.target), id="cells")
            yield Pane("chat", "Ask the agent…", id="chat")
            yield Pane("tasks", "No tasks.", id="tasks")
            yield Pane("runs", "No runs.", id="runs")
        yield Static(f"{self.target} · bare baseline", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cells", Pane).focus()

    def action_last(self) -> None:
        self.query_one("#cells", Pane).scroll_end(animate=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("notebook", help="notebook file (or a folder: its first *.py)")
    BareApp(parser.parse_args().notebook).run()


if __name__ == "__main__":
    main()
