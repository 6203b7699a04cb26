"""The cell view with real captured outputs: layouts drawn (snapshot), `]` switching tabs,
errors naming cells as the headers do, PageDown/PageUp moving by a screen; the `v` viewer
scrolling a wide table sideways."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.app import App

from marimo_tui.notebook.model import Cell, Notebook
from marimo_tui.runtime.kernel_state import KernelState
from marimo_tui.runtime.outputs import convert_output
from marimo_tui.tui.screens.output_viewer import OutputScreen, StripLines
from marimo_tui.tui.widgets.cell_view import CellView
from tests.tui_support import CellViewApp, wait_until

CORPUS = Path(__file__).parent / "outputs_corpus"


def payload(case: str) -> dict[str, Any]:
    output: dict[str, Any] = json.loads((CORPUS / f"{case}.json").read_text())["output"]
    return output


def notebook_of(tmp_path: Path, cases: list[str], names: list[str] | None = None) -> Notebook:
    cells = [
        Cell(id=f"c{i}", code=f"# {case}\n{case}_value", name=(names or [])[i] if names else "_")
        for i, case in enumerate(cases)
    ]
    return Notebook(path=tmp_path / "nb.py", cells=cells)


def kernel_for(notebook: Notebook, cases: list[str]) -> KernelState:
    """A kernel whose cells ran with the captured outputs (ids k0, k1, … as marimo's)."""
    kernel = KernelState()
    ids = [f"k{i}" for i in range(len(cases))]
    kernel.reset(ids, [c.code for c in notebook.cells], ["_"] * len(ids), resumed=False)
    for kid, case in zip(ids, cases, strict=True):
        kernel.apply_cell_op({"cell_id": kid, "status": "idle", "output": payload(case)})
    return kernel


LAYOUTS = ["hstack_md", "tabs", "stat", "callout", "ui_slider_count", "altair_chart"]


def test_layouts_in_the_cell_view(snap_compare: Any, tmp_path: Path) -> None:
    notebook = notebook_of(tmp_path, LAYOUTS)
    app = CellViewApp(notebook)

    async def with_kernel(pilot: Any) -> None:
        view = app.query_one(CellView)
        view.set_kernel(kernel_for(notebook, LAYOUTS))
        await wait_until(lambda: "Sales by x" in view.screen_text(), what="the outputs")
        # the chart's picture is drawn off the UI thread: the snapshot shows it drawn
        await wait_until(lambda: "drawing…" not in view.screen_text(), what="the picture")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 60), run_before=with_kernel)


async def test_a_figure_inside_a_layout_is_drawn_when_ready(tmp_path: Path) -> None:
    notebook = notebook_of(tmp_path, ["matplotlib_in_hstack"])
    app = CellViewApp(notebook)
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(CellView)
        view.set_kernel(kernel_for(notebook, ["matplotlib_in_hstack"]))
        # first the caption (the worker draws), then the rows of the picture replace it
        await wait_until(lambda: "▧ matplotlib figure" in view.screen_text(), what="caption")
        await wait_until(lambda: "▀▀▀▀" in view.screen_text(), what="the picture")
        await pilot.pause()
        text = view.screen_text()
        assert "drawing…" not in text
        assert sum("▀▀▀▀" in line for line in text.splitlines()) >= 8


async def test_right_bracket_shows_the_next_tab(tmp_path: Path) -> None:
    notebook = notebook_of(tmp_path, ["tabs"])
    app = CellViewApp(notebook)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(CellView)
        view.set_kernel(kernel_for(notebook, ["tabs"]))
        await wait_until(lambda: "first pane" in view.screen_text(), what="the first pane")
        view.focus()
        view.select(0)
        await pilot.press("right_square_bracket")
        await wait_until(lambda: "second pane" in view.screen_text(), what="the second pane")
        assert "first pane" not in view.screen_text()
        assert view.tab_choice(notebook.cells[0]) == {0: 1}
        await pilot.press("right_square_bracket")  # wraps around
        await wait_until(lambda: "first pane" in view.screen_text(), what="the first again")


async def test_errors_name_cells_like_the_headers(tmp_path: Path) -> None:
    cases = ["int_value", "str_value", "cycle"]
    notebook = notebook_of(tmp_path, cases, names=["load", "_", "_"])
    kernel = kernel_for(notebook, cases)
    # the captured payload names marimo's ids of that run: point them at this kernel's cells
    cycle = payload("cycle")
    cycle["data"] = [
        {"type": "cycle", "edges_with_vars": [["k0", ["cb"], "k1"], ["k1", ["ca"], "k0"]]}
    ]
    kernel.apply_cell_op({"cell_id": "k2", "status": "idle", "output": cycle})
    app = CellViewApp(notebook)
    async with app.run_test(size=(120, 30)) as pilot:
        view = app.query_one(CellView)
        view.set_kernel(kernel)
        await wait_until(lambda: "cycle" in view.screen_text(), what="the error")
        await pilot.pause()
        text = view.screen_text()
        assert "'load' (#1) → #2 (cb), #2 → 'load' (#1) (ca)" in text
        assert "'k0'" not in text and "'k1'" not in text


async def test_page_keys_move_by_a_screen(tmp_path: Path) -> None:
    cases = ["int_value"] * 40
    notebook = notebook_of(tmp_path, cases)
    app = CellViewApp(notebook)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(CellView)
        view.set_kernel(kernel_for(notebook, cases))
        await wait_until(lambda: "42" in view.screen_text(), what="the outputs")
        view.focus()
        view.select(0)
        await pilot.pause()
        height = view.scrollable_content_region.height
        block = view.blocks[0].height
        assert block * 3 < height  # several cells per screen: one press must pass them all
        await pilot.press("pagedown")
        await pilot.pause()
        assert view.scroll_offset.y == height
        selected = view.selected_index
        assert selected is not None and view.blocks[selected].top >= height - block
        assert selected >= height // block - 1
        await pilot.press("pagedown")
        await pilot.pause()
        assert view.scroll_offset.y == 2 * height
        await pilot.press("pageup", "pageup")
        await pilot.pause()
        assert view.scroll_offset.y == 0 and view.selected_index == 0
        await pilot.press("pageup")  # at the top already: stays on the first cell
        await pilot.pause()
        assert view.scroll_offset.y == 0 and view.selected_index == 0


async def test_a_rerun_lays_out_only_its_cells_and_agrees_with_a_whole_layout(
    tmp_path: Path,
) -> None:
    """Runs arriving one by one (outputs of other heights, cleared, errors) re-lay out only
    their cells; the blocks always equal what laying every cell out gives, and a rerun that
    shows the same output makes no new rows."""
    import random

    from marimo_tui.tui.widgets.cell_layout import CellLayout

    kinds = ["int_value", "markdown", "list_value", "str_value", "stdout_stderr", "syntax_error"]
    cases = [kinds[i % len(kinds)] for i in range(30)]
    notebook = notebook_of(tmp_path, cases)
    kernel = kernel_for(notebook, cases)
    app = CellViewApp(notebook)
    rng = random.Random(7)
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(CellView)
        view.set_kernel(kernel)
        await pilot.pause()
        full_builds = 0
        build = CellLayout.build
        sent: dict[str, dict[str, Any]] = {}

        def counting(self: CellLayout, *args: Any) -> None:
            nonlocal full_builds
            full_builds += 1
            build(self, *args)

        CellLayout.build = counting  # type: ignore[method-assign]
        try:
            for _ in range(60):
                k = rng.randrange(len(cases))
                op: dict[str, Any] = {"cell_id": f"k{k}", "status": "idle"}
                choice = rng.random()
                if choice < 0.6:
                    op["output"] = sent[f"k{k}"] = payload(rng.choice(kinds))
                elif choice < 0.8:
                    op["output"] = {"channel": "output", "mimetype": "text/plain", "data": ""}
                    sent.pop(f"k{k}", None)
                else:
                    op["console"] = [
                        {
                            "channel": "stdout",
                            "mimetype": "text/plain",
                            "data": "x\n" * rng.randrange(1, 30),
                        }
                    ]
                kernel.apply_cell_op(op)
                view.set_kernel(kernel, f"k{k}")
                if rng.random() < 0.5:
                    await pilot.pause()
            await pilot.pause()
            incremental = [(b.cell.id, b.top, b.height, b.output) for b in view.blocks]
            height = view.cell_layout.height
            assert full_builds == 0
            # the same output again (new strings, equal): the same rows, nothing to render
            k = next(k for k in range(len(cases)) if f"k{k}" in sent)
            before = view.blocks[k].output
            kernel.apply_cell_op({"cell_id": f"k{k}", "status": "running"})
            again = json.loads(json.dumps(sent[f"k{k}"]))
            kernel.apply_cell_op({"cell_id": f"k{k}", "status": "idle", "output": again})
            view.set_kernel(kernel, f"k{k}")
            await pilot.pause()
            assert view.blocks[k].output is before
        finally:
            CellLayout.build = build  # type: ignore[method-assign]
        view._layout()  # every cell, from scratch
        whole = [(b.cell.id, b.top, b.height, b.output) for b in view.blocks]
        assert incremental == whole and height == view.cell_layout.height


class _ViewerApp(App[None]):
    def __init__(self, case: str) -> None:
        super().__init__()
        self.case = case

    def on_mount(self) -> None:
        out = payload(self.case)
        output = convert_output(out["mimetype"], out["data"])
        self.push_screen(OutputScreen("wide", output, ""))


async def test_the_viewer_scrolls_a_wide_table_sideways(tmp_path: Path) -> None:
    app = _ViewerApp("wide_frame_pandas")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: isinstance(app.screen, OutputScreen), what="the viewer")
        await pilot.pause()
        body = app.screen.query_one("#output-body")
        assert body.max_scroll_x > 0  # all 14 columns, wider than the screen
        content = app.screen.query_one("#output-content")
        assert content.size.width > 80
        await pilot.press("right", "right", "right")
        await wait_until(lambda: body.scroll_x > 0, what="a scroll to the right")


async def test_the_viewer_switches_tabs_too(tmp_path: Path) -> None:
    app = _ViewerApp("tabs")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: isinstance(app.screen, OutputScreen), what="the viewer")
        content = app.screen.query_one("#output-content", StripLines)

        def text() -> str:
            return "\n".join(s.text for s in content.strips(content.size.width))

        await wait_until(lambda: "first pane" in text(), what="the first pane")
        await pilot.press("right_square_bracket")
        await wait_until(lambda: "second pane" in text(), what="the second pane")
        assert "first pane" not in text()


WIDGETS = [
    "ui_dropdown",
    "ui_radio",
    "ui_multiselect",
    "ui_checkbox",
    "ui_dataframe",
    "ui_anywidget",
]


def test_widgets_and_a_figure_in_the_cell_view(snap_compare: Any, tmp_path: Path) -> None:
    cases = [*WIDGETS, "matplotlib_figure"]
    notebook = notebook_of(tmp_path, cases)
    app = CellViewApp(notebook)

    async def with_kernel(pilot: Any) -> None:
        view = app.query_one(CellView)
        kernel = kernel_for(notebook, cases)
        for message in json.loads((CORPUS / "ui_anywidget.json").read_text())["models"]:
            kernel.apply_model(message)
        view.set_kernel(kernel)
        await wait_until(lambda: "anywidget Counter" in view.screen_text(), what="the widgets")
        await wait_until(lambda: "drawing…" not in view.screen_text(), what="the picture")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 90), run_before=with_kernel)


async def test_the_last_cell_stays_in_view_while_outputs_above_it_grow(tmp_path: Path) -> None:
    """End, then a cell above the last one prints more, and more: the view follows. Each
    output lands before Textual has laid the view out again (it had just grown past its
    height, so Textual did not yet show a scrollbar and refused an unforced scroll)."""
    cases = ["int_value"] * 4
    notebook = notebook_of(tmp_path, cases)
    kernel = kernel_for(notebook, cases)
    app = CellViewApp(notebook)
    async with app.run_test(size=(100, 24)) as pilot:
        view = app.query_one(CellView)
        view.set_kernel(kernel)
        await pilot.pause()
        assert view.max_scroll_y == 0  # it all fits: no scrollbar yet

        def prints(lines: int) -> None:
            console = [{"channel": "stdout", "mimetype": "text/plain", "data": "x\n" * lines}]
            kernel.apply_cell_op({"cell_id": "k2", "status": "idle", "console": console})
            view.set_kernel(kernel, "k2")
            view._apply_kernel()  # at once, as a burst of messages gets it, before a layout

        prints(10)
        view.action_last()
        prints(25)
        await pilot.pause()
        last = view.blocks[-1]
        top, height = view.scroll_offset.y, view.scrollable_content_region.height
        assert view.selected_id == last.cell.id
        assert top <= last.top and last.top + last.height <= top + height
