"""The cell view over the real marimo sidecar, driven with Pilot: outputs, reruns, errors, keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.geometry import Region

from marimo_tui.notebook.atomic import atomic_write
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.clipboard import osc52
from marimo_tui.tui.screens.dialogs import ConfirmScreen
from marimo_tui.tui.screens.sidecar import SidecarScreen
from tests.conftest import HANG
from tests.sidecar_support import make_notebook, wait_group_gone
from tests.tui_support import (
    analysed,
    isolate_user_config,
    make_app,
    painted_text,
    wait_until,
)

SIZE = (160, 60)
START = 2 * HANG  # a wait that covers the marimo server's start (and a kernel's imports)


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


def screen(app: WorkbenchApp) -> str:
    return painted_text(app, app.cell_view)


def settled(app: WorkbenchApp) -> bool:
    """Analysed and highlighted, every cell run and idle: nothing more to paint."""
    view = app.cell_view
    runs = [view.run_for(cell) for cell in view.cells()]
    return (
        analysed(app)
        and view.highlighting
        and bool(runs)
        and all(run is not None and run.status == "idle" for run in runs)
    )


def header_of(app: WorkbenchApp, name: str) -> str:
    for line in screen(app).splitlines():
        if f" {name}  #" in line:
            return line
    return ""


async def test_outputs_reruns_errors_in_the_cell_view(tmp_path: Path) -> None:
    path = make_notebook(tmp_path)
    app = make_app(tmp_path, path, run=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: "y is 2" in screen(app), START, "the first run's console")
        # The console, the cell's idle status and the other cell's output are separate kernel
        # messages, each painted when it comes.
        await wait_until(
            lambda: "✓ double" in header_of(app, "double") and "100" in screen(app),
            what="the first run's end",
        )
        assert " ms" in header_of(app, "double")
        assert "marimo: ready" in str(app.status.render())

        text = path.read_text()
        atomic_write(path, text.replace("x = 1", "x = 5").encode())
        await wait_until(lambda: "y is 10" in screen(app), what="the rerun after a change on disk")

        atomic_write(path, text.replace("y = x * 2", "y = x / 0").encode())
        await wait_until(lambda: "ZeroDivisionError" in screen(app), what="the error")
        # The error output and the cell's idle status are two kernel messages: wait for both.
        await wait_until(lambda: "✗ double" in header_of(app, "double"), what="the ✗ badge")
        assert "y = x / 0" in next(ln for ln in screen(app).splitlines() if "→" in ln)

        atomic_write(path, text.encode())
        await wait_until(lambda: "ZeroDivisionError" not in screen(app), what="the fix")
        await wait_until(lambda: "y is 2" in screen(app))
        await pilot.pause()


async def test_a_rerun_repaints_only_the_rows_that_changed(tmp_path: Path) -> None:
    # Outputs of the same height before and after: nothing moves, so nothing else needs paint.
    cells = [("source", "value = 1"), ("shown", 'f"out-{value:04d}"'), ("other", "other = 2")]
    path = make_notebook(tmp_path, cells)
    app = make_app(tmp_path, path, run=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: "out-0001" in screen(app), START, "the first run")
        # Nothing left to repaint from the first run before the spy goes in: the analysis,
        # the highlighting (switched on after the first frame), every cell idle.
        await wait_until(lambda: settled(app), what="the first run to settle")
        await pilot.pause()
        view = app.cell_view
        repaints: list[tuple[Region, ...]] = []
        mark = view._set_dirty

        def spy(*regions: Region) -> None:
            repaints.append(regions)
            mark(*regions)

        view._set_dirty = spy  # type: ignore[method-assign]
        atomic_write(path, path.read_text().replace("value = 1", "value = 2").encode())
        # On screen as painted: a row the view forgot to refresh would still say out-0001.
        await wait_until(lambda: "out-0002" in screen(app), what="the rerun on screen")
        await wait_until(lambda: settled(app), what="the rerun to settle")
        await pilot.pause()
        view._set_dirty = mark  # type: ignore[method-assign]
        assert repaints and all(regions for regions in repaints), "a whole-view repaint"
        rows = {y for regions in repaints for region in regions for y in region.line_range}
        other = view.blocks[2]
        assert not rows & set(range(other.top, other.top + other.height))


async def test_run_keys_output_viewer_and_server_url(tmp_path: Path) -> None:
    path = make_notebook(tmp_path)
    app = make_app(tmp_path, path, run=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: "y is 2" in screen(app), START)
        await wait_until(lambda: settled(app), what="the first run to settle")
        view = app.cell_view
        view.focus()
        await pilot.press("down")  # the `double` cell
        cell = view.selected
        assert cell is not None and cell.name == "double"
        before = view.run_for(cell)
        assert before is not None
        await pilot.press("ctrl+j")  # what ctrl+enter arrives as in most terminals
        await wait_until(
            lambda: (r := view.run_for(cell)) is not None and r.version > before.version + 1
        )

        await pilot.press("v")
        await wait_until(lambda: type(app.screen).__name__ == "OutputScreen")
        await pilot.press("escape")
        await wait_until(lambda: len(app.screen_stack) == 1)

        await pilot.press("w")
        await wait_until(lambda: isinstance(app.screen, SidecarScreen))
        url = app.screen.url  # type: ignore[attr-defined]
        runtime = app.workbench.runtime
        assert runtime is not None and runtime.sidecar.token in url and "kiosk=true" in url
        await pilot.press("c")
        await wait_until(lambda: app.clipboard == url)

        await pilot.press("X")
        await wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(lambda: "y is 2" not in screen(app), what="the restart to clear outputs")
        await wait_until(lambda: "y is 2" in screen(app), START, "the rerun after restart")
        pgid = runtime.sidecar.pid
    assert pgid is not None and wait_group_gone(pgid) == []


async def test_with_the_server_off_run_keys_say_why(tmp_path: Path) -> None:
    path = make_notebook(tmp_path)
    (tmp_path / "marimo-tui.yaml").write_text(
        "notebooks:\n  folder: notebooks\nmarimo:\n  enabled: false\n"
    )
    app = make_app(tmp_path, path, run=True)
    async with app.run_test(size=SIZE) as pilot:
        app.cell_view.focus()
        await pilot.press("R")
        await wait_until(
            lambda: any("marimo server is off" in str(n.message) for n in app._notifications)
        )
        assert app.workbench.runtime is None


def test_osc52_is_wrapped_for_tmux() -> None:
    plain = osc52("hi", {})
    assert plain == "\x1b]52;c;aGk=\x07"
    in_tmux = osc52("hi", {"TMUX": "/tmp/tmux-0/default,1,0"})
    assert in_tmux.startswith(plain)
    assert "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\" in in_tmux


RICH = [
    (
        "setup",
        "import marimo as mo\nimport pandas as pd\nimport matplotlib\n"
        "matplotlib.use('Agg')\nimport matplotlib.pyplot as plt",
    ),
    ("title", 'mo.md("# Sales report\\n\\nSome **bold** words.")'),
    ("table", 'pd.DataFrame({"region": ["north", "south"], "amount": [10, 20]})'),
    ("chart", "plt.figure(figsize=(3, 2))\nplt.plot([1, 3, 2])\nplt.gca()"),
    ("html", 'mo.Html("<div><p>plain <b>html</b> text</p></div>")'),
    ("chatty", 'print("\\n".join(f"line {i}" for i in range(100)))'),
]


async def test_markdown_tables_images_html_and_long_console(tmp_path: Path) -> None:
    path = make_notebook(tmp_path, RICH)
    app = make_app(tmp_path, path, run=True)
    async with app.run_test(size=(160, 200)) as pilot:
        view = app.cell_view

        def shown(name: str) -> str:
            cell = next(c for c in view.cells() if c.name == name)
            block = view.blocks[view.cell_layout.index[cell.id]]
            return "\n".join(strip.text for strip in block.output)

        await wait_until(lambda: "line 99" in shown("chatty"), START, "every cell's output")
        assert "Sales report" in shown("title") and "**" not in shown("title")
        table = shown("table")
        assert "region" in table and "amount" in table and "south" in table
        # The caption at once, the picture when drawn off the UI thread.
        await wait_until(lambda: "▀" in shown("chart"), START, "the figure drawn")
        assert "plain html text" in shown("html") and "<b>" not in shown("html")
        # A long console is cut, the newest lines kept; `v` shows all of it.
        assert "earlier console lines" in shown("chatty") and "line 3\n" not in shown("chatty")
        view.focus()
        view.select_id(next(c.id for c in view.cells() if c.name == "chatty"))
        await pilot.press("v")
        await wait_until(lambda: type(app.screen).__name__ == "OutputScreen")
        await pilot.press("escape")
