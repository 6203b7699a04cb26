"""UI elements and `input()` used from the keyboard in the workbench, over the real sidecar:
the cells that read an element rerun and the cell view shows their new output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot

from marimo_tui.runtime.output_blocks import Widget as Element
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.screens.ui_elements import ElementsScreen, Slider, StdinScreen
from tests.sidecar_support import make_notebook
from tests.test_tui_runs import SIZE, START, screen, settled
from tests.tui_support import isolate_user_config, make_app, wait_until

CELLS = [
    ("_", "import marimo as mo"),
    ("count", "s = mo.ui.slider(1, 10, value=3, label='[b]Count[/b]')\ns"),
    ("square", "print('square', s.value ** 2)"),
    ("colour", "d = mo.ui.dropdown(['red', 'green', 'blue'], value='red')\nd"),
    ("paint", "print('paint', d.value)"),
]


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


async def select(app: WorkbenchApp, pilot: Pilot[None], name: str) -> None:
    """Move to the cell as a person does: Home, then down."""
    view = app.cell_view
    view.focus()
    index = next(i for i, c in enumerate(view.cells()) if c.name == name)
    await pilot.press("home", *["down"] * index)
    await wait_until(lambda: view.selected is not None and view.selected.name == name)


async def test_a_slider_and_a_dropdown_changed_from_the_keyboard(tmp_path: Path) -> None:
    path = make_notebook(tmp_path, CELLS)
    app = make_app(tmp_path, path, run=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: "square 9" in screen(app), START, "the first run")
        await wait_until(lambda: settled(app), what="the first run to settle")

        await select(app, pilot, "count")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        # The label is the notebook's text, shown as typed, not read as markup.
        assert "[b]Count[/b]: slider 1–10 = 3" in str(app.screen.query_one(".name").render())
        assert isinstance(app.focused, Slider)
        await pilot.press("right", "right")
        await wait_until(lambda: "= 5" in str(app.screen.query_one(".name").render()))
        await pilot.press("escape")
        await wait_until(lambda: "square 25" in screen(app), START, "the rerun with 5")
        assert "square 9" not in screen(app)
        # The slider's own cell did not rerun, yet shows the value it holds, as the browser does.
        assert re.search(r"\[b\]Count\[/b\] ━*●─* 5\b", screen(app)), screen(app)

        await select(app, pilot, "colour")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        await pilot.press("enter", "down", "down", "enter")  # open the list, two down, choose
        await wait_until(lambda: "= blue" in str(app.screen.query_one(".name").render()))
        await pilot.press("escape")
        await wait_until(lambda: "paint blue" in screen(app), START, "the rerun with blue")
        assert "▾ blue  (red, green, blue)" in screen(app), screen(app)

        # The kernel holds the new values: a slider step from here starts at 5.
        await select(app, pilot, "count")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        await pilot.press("left")
        await pilot.press("escape")
        await wait_until(lambda: "square 16" in screen(app), START, "the rerun with 4")


async def test_input_is_answered_from_the_workbench(tmp_path: Path) -> None:
    cells = [
        ("ask", "name = input('Your name? ')"),
        ("greet", "print('hello', name.upper())"),
    ]
    app = make_app(tmp_path, make_notebook(tmp_path, cells), run=True)
    async with app.run_test(size=SIZE) as pilot:

        def waiting() -> bool:
            runtime = app.workbench.runtime
            session = runtime.session if runtime is not None else None
            return session is not None and bool(session.waiting_for_input())

        await wait_until(waiting, START, "the input() prompt")
        # The workbench says which cell waits, and the key that answers it.
        await wait_until(
            lambda: any(
                "ask waits for input(): select it and press space" in n.message
                for n in app._notifications
            )
        )
        await select(app, pilot, "ask")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, StdinScreen))
        assert "Your name?" in str(app.screen.query("Label")[1].render())
        await pilot.press(*"ada", "enter")
        await wait_until(lambda: "hello ADA" in screen(app), START, "the cell after input()")
        assert not waiting()


def printed(app: WorkbenchApp, name: str) -> str:
    """A cell's console as the kernel sent it (the view is under the dialog meanwhile)."""
    view = app.cell_view
    cell = next(c for c in view.cells() if c.name == name)
    run = view.run_for(cell)
    return run.console_text if run is not None else ""


MORE = [
    ("_", "import marimo as mo"),
    ("check", "c = mo.ui.checkbox(label='Loud')\nc"),
    ("word", "t = mo.ui.text(value='hi')\nt"),
    ("shout", "print('said', t.value.upper() if c.value else t.value)"),
    ("rows", "tab = mo.ui.table([{'k': 'x'}, {'k': 'y'}, {'k': 'z'}], selection='single')\ntab"),
    ("picked", "print('picked', [row['k'] for row in tab.value])"),
    ("titled", "f = mo.ui.text(value='draft').form()\nf"),
    ("saved", "print('saved', f.value)"),
    ("notes", "n = mo.ui.text_area(value='one')\nn"),
    ("lines", "print('lines', n.value.splitlines())"),
]


async def test_toggle_type_pick_a_row_and_submit_a_form(tmp_path: Path) -> None:
    app = make_app(tmp_path, make_notebook(tmp_path, MORE), run=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: "said hi" in screen(app), START, "the first run")
        await wait_until(lambda: settled(app), what="the first run to settle")

        await select(app, pilot, "check")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        await pilot.press("space")  # the checkbox has the focus
        await pilot.press("escape")
        await wait_until(lambda: "said HI" in screen(app), START, "the rerun with the box on")

        await select(app, pilot, "word")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        await pilot.press("ctrl+u", *"hey", "enter")
        await pilot.press("escape")
        await wait_until(lambda: "said HEY" in screen(app), START, "the rerun with the text")

        await select(app, pilot, "rows")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        await pilot.press("down", "space")  # the second row
        await wait_until(lambda: "picked ['y']" in printed(app, "picked"), START, "the row")
        await pilot.press("down", "space")  # single selection: the third replaces it
        await wait_until(lambda: "picked ['z']" in printed(app, "picked"), START, "the next row")
        await pilot.press("escape")
        await wait_until(lambda: "picked ['z']" in screen(app))

        await select(app, pilot, "titled")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        await pilot.press("ctrl+u", *"final", "tab", "enter")  # type, then Submit
        await wait_until(lambda: "saved final" in printed(app, "saved"), START, "the submit")
        await pilot.press("shift+tab", "ctrl+u", *"again", "enter")  # Enter submits too
        await wait_until(lambda: "saved again" in printed(app, "saved"), START, "Enter")
        await pilot.press("escape")
        await wait_until(lambda: "saved again" in screen(app))
        assert "saved None" not in screen(app)

        await select(app, pilot, "notes")
        await pilot.press("space")
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        await pilot.press("end", "enter", *"two", "tab", "enter")  # a second line, then Send
        await wait_until(lambda: "['one', 'two']" in printed(app, "lines"), START, "two lines")


class Host(App[None]):
    def __init__(self, dialog: ElementsScreen) -> None:
        super().__init__()
        self.dialog = dialog

    def on_mount(self) -> None:
        self.push_screen(self.dialog)


def painted(app: App[None]) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_notebook_text_in_the_dialog_is_plain_text() -> None:
    """Labels and options are shown as written, never read as markup or sent to the terminal
    as escape sequences; the option's own label goes back to the kernel unchanged."""
    sent: list[tuple[str, object]] = []

    async def send(object_id: str, value: object) -> None:
        sent.append((object_id, value))

    evil = "y\x1b]52;c;aGk=\x07"
    options = {"options": ["[red]x[/red]", evil]}
    dropdown = Element("a-0", "dropdown", "[b]Pick[/b]\x1b[31m", ["[red]x[/red]"], options)
    app = Host(ElementsScreen("nb.py · [i]cell[/i]", (dropdown,), send))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: isinstance(app.screen, ElementsScreen))
        await pilot.pause()
        shown = painted(app)
        assert "nb.py · [i]cell[/i]" in shown
        assert "[b]Pick[/b]␛[31m: dropdown = [red]x[/red]" in shown
        await pilot.press("enter")
        await pilot.pause()
        assert "y␛]52;c;aGk=␇" in painted(app)
        await pilot.press("down", "enter")
        await wait_until(lambda: sent == [("a-0", [evil])])
