"""Charts as pictures: real chart outputs of marimo 0.25.2 (tests/outputs_corpus, captured by
tests/capture_charts.py) → `Chart` → PNG (runtime/charts) → half-block rows in the cell view
(tui/graphics), drawn off the UI thread and cached."""

from __future__ import annotations

import io
import json
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from rich.style import Style
from textual.app import App

from marimo_tui.notebook.model import Cell, CellKind, Notebook
from marimo_tui.runtime.charts import picture, picture_or_reason, vega_lite_version
from marimo_tui.runtime.kernel_state import KernelState
from marimo_tui.runtime.output_blocks import Chart
from marimo_tui.runtime.output_layouts import Stack
from marimo_tui.runtime.output_text import chart_caption as caption
from marimo_tui.runtime.outputs import Output
from marimo_tui.tui import graphics
from marimo_tui.tui.widgets.cell_view import CellView
from marimo_tui.tui.widgets.output_render import OutputStyles, render_output
from tests.conftest import HANG, REPO
from tests.corpus_support import PNG, fixture, output_of
from tests.tui_support import CellViewApp, make_project, wait_until


def chart_of(case: str) -> Chart:
    chart = output_of(case).chart
    assert chart is not None, case
    return chart


def size_of(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG)
    with Image.open(io.BytesIO(png)) as image:
        return image.size


# -- recognition -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "kind", "shown"),
    [
        ("altair_line", "vega-lite", "▧ altair chart: Sales by month"),
        ("altair_ui_chart", "vega-lite", "▧ altair chart: Sales as bars"),
        ("plotly_scatter", "plotly", "▧ plotly chart: Plotly points"),
        ("plotly_bar_heatmap", "plotly", "▧ plotly chart: bar, heatmap"),  # untitled: its traces
        ("plotly_express_numpy", "plotly", "▧ plotly chart: Normal sample"),
        ("mo_ui_matplotlib", "matplotlib", "▧ matplotlib figure"),
        ("matplotlib_figure", "matplotlib", "▧ matplotlib figure"),
        ("svg_value", "svg", "▧ svg image"),
    ],
)
def test_chart_outputs_are_recognised_and_captioned(case: str, kind: str, shown: str) -> None:
    output = output_of(case)  # a blocks output of one chart
    assert output.kind == "blocks" and output.chart is not None
    assert output.chart.kind == kind
    assert caption(output.chart) == shown
    # What the agent reads of it is the caption, never the spec, the figure or base64.
    assert len(output.text) < 80 and "base64" not in output.text and "{" not in output.text


def test_plt_show_figure_on_the_console_is_a_chart_not_base64() -> None:
    fx = fixture("matplotlib_plt_show")
    kernel = KernelState()
    run = kernel.apply_cell_op(
        {"cell_id": "a", "status": "idle", "output": fx["output"], "console": fx["console"]}
    )
    (chunk,) = run.console
    assert chunk.channel == "media" and chunk.chart is not None
    assert chunk.chart.kind == "matplotlib" and bytes(chunk.chart.data).startswith(PNG)
    assert run.console_text == "▧ matplotlib figure\n"  # what `v` and the agent see


# -- pictures --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        "altair_line",
        "plotly_scatter",
        "plotly_bar_heatmap",
        "plotly_express_numpy",  # numpy data: plotly's base64 typed arrays
        "mo_ui_matplotlib",
        "svg_value",
    ],
)
@pytest.mark.parametrize(("width", "height"), [(160, 96), (400, None)])
def test_every_drawable_chart_becomes_a_png_that_fits(
    case: str, width: int, height: int | None
) -> None:
    chart = chart_of(case)
    png = picture(chart, width, height)
    assert png is not None
    w, h = size_of(png)
    assert w <= width and (height is None or h <= height)
    if isinstance(chart.data, bytes) and size_of(chart.data)[0] < width:
        assert (w, h) == size_of(chart.data)  # a small raster is never blown up
    else:
        assert w == width or h == height  # fitted: one side reaches the box
    with Image.open(io.BytesIO(png)) as image:
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or ()) > 3  # not blank


def test_vega_lite_version_follows_the_spec() -> None:
    known = ["5.8", "5.20", "5.21", "6.1", "6.4"]
    schema = "https://vega.github.io/schema/vega-lite/v{}.json"
    assert vega_lite_version({"$schema": schema.format("6.4.1")}, known) == "6.4"
    assert vega_lite_version({"$schema": schema.format("5.17.0")}, known) == "5.21"
    assert vega_lite_version({"$schema": schema.format("4.17.0")}, known) is None
    assert vega_lite_version({}, known) is None
    # What altair emits here is one vl-convert ships.
    import vl_convert

    spec = json.loads(str(chart_of("altair_line").data))
    assert vega_lite_version(spec, list(vl_convert.get_vegalite_versions())) is not None


@pytest.mark.parametrize(
    ("chart", "reason"),
    [
        (Chart("plotly", json.dumps({"data": [{"type": "pie"}]})), "plotly: pie charts not drawn"),
        (Chart("vega-lite", "not json"), "spec is not JSON"),
        (Chart("image", b"not an image"), "image could not be decoded"),
        (Chart("svg", "<svg"), "svg:"),
    ],
)
def test_no_picture_says_why_in_the_caption(chart: Chart, reason: str) -> None:
    assert picture(chart, 100, 50) is None
    strips = graphics.chart_strips(chart, 60, 8, Style())  # no event loop: drawn at once
    assert len(strips) == 1 and reason in strips[0].text
    assert strips[0].text.startswith("▧ ")


def test_real_pie_chart_and_chart_with_server_data_are_captioned() -> None:
    pie = graphics.chart_strips(chart_of("plotly_pie"), 80, 8, Style())
    assert [s.text for s in pie] == ["▧ plotly chart: pie (plotly: pie charts not drawn)"]
    # mo.ui.altair_chart ships its rows as a file on the marimo server: not fetched.
    (served,) = graphics.chart_strips(chart_of("altair_ui_chart"), 120, 8, Style())
    assert served.text == (
        "▧ altair chart: Sales as bars (its data is a file on the marimo server: not drawn)"
    )


def test_remote_data_in_a_spec_is_not_fetched() -> None:
    spec = {
        "data": {"url": "http://127.0.0.1:9/never.csv"},
        "mark": "point",
        "encoding": {"x": {"field": "a", "type": "quantitative"}},
    }
    with pytest.raises(Exception, match="vega-lite"):
        picture_or_reason(Chart("vega-lite", json.dumps(spec)), 100)


def test_chart_libraries_are_not_imported_until_a_chart_arrives() -> None:
    import subprocess

    code = (
        "import sys, marimo_tui.tui.widgets.cell_view, marimo_tui.tui.widgets.output_render, "
        "marimo_tui.runtime.outputs, marimo_tui.runtime.charts\n"
        "print(sorted(m for m in ('vl_convert', 'matplotlib', 'PIL', 'plotly', 'altair') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG, check=True
    )
    assert done.stdout.strip() == "[]"


# -- half blocks, off the UI thread, cached --------------------------------------------------
def colours(strips: list[Any]) -> set[object]:
    found: set[object] = set()
    for strip in strips:
        for segment in strip:
            if segment.style is not None:
                found.add((segment.style.color, segment.style.bgcolor))
    return found


async def test_chart_is_drawn_by_a_worker_then_cached_by_key_and_width_bucket() -> None:
    graphics.clear_cache()
    chart = chart_of("altair_line")  # about square: 12 rows (24 px) hold ~23 columns
    ready = threading.Event()
    first = graphics.chart_strips(chart, 16, 12, Style(), ready.set)
    assert len(first) == 1 and first[0].cell_length == 16  # the caption, cut to the width
    assert graphics.chart_strips(chart, 80, 12, Style())[0].text == (
        "▧ altair chart: Sales by month · drawing…"
    )
    await wait_until(ready.is_set, HANG, "the picture")
    rows = graphics.chart_strips(chart, 16, 12, Style(), ready.set)
    assert rows[0].text.startswith("▧ altair chart")
    assert 4 <= len(rows) - 1 <= 12 and all(set(r.text) == {"▀"} for r in rows[1:])
    assert len(colours(rows[1:])) > 20  # the line, the axes, the grid: a picture
    # A width in the same bucket draws nothing again; the same rows come back.
    again = graphics.chart_strips(chart, 16 + graphics.WIDTH_BUCKET - 1, 12, Style())
    assert again[1:] == rows[1:]
    # A new bucket is drawn again; meanwhile the last picture stays (no blink, no jump).
    ready.clear()
    wider = graphics.chart_strips(chart, 16 + graphics.WIDTH_BUCKET, 12, Style(), ready.set)
    assert wider[1:] == rows[1:]
    narrower = graphics.chart_strips(chart, 10, 12, Style())
    assert [s.cell_length for s in narrower[1:]] == [10] * (len(rows) - 1)  # cropped to fit
    await wait_until(ready.is_set, HANG, "the wider picture")
    redrawn = graphics.chart_strips(chart, 16 + graphics.WIDTH_BUCKET, 12, Style())
    assert redrawn[0].text == "▧ altair chart: Sales by"
    assert redrawn[1].cell_length > rows[1].cell_length  # drawn for the new width


@pytest.mark.parametrize("case", ["altair_line", "matplotlib_plt_show", "plotly_scatter"])
async def test_cell_view_shows_the_caption_then_the_picture(tmp_path: Path, case: str) -> None:
    graphics.clear_cache()
    fx = fixture(case)
    cell = Cell(id="c0", code=fx["code"], name="chart", kind=CellKind.CELL)
    app = CellViewApp(Notebook(path=tmp_path / "nb.py", cells=[cell]))
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(CellView)
        kernel = KernelState()
        kernel.reset(["k0"], [fx["code"]], ["chart"], resumed=False)
        kernel.apply_cell_op(
            {"cell_id": "k0", "status": "idle", "output": fx["output"], "console": fx["console"]}
        )
        view.set_kernel(kernel)
        await pilot.pause()

        def picture_rows() -> list[Any]:
            return [row for row in view.blocks[0].output if "▀" in row.text]

        await wait_until(lambda: len(picture_rows()) >= 4, HANG, "the picture in the cell")
        await pilot.pause()
        text = view.screen_text()
        assert "▧ " in text and "drawing…" not in text
        assert len(colours(picture_rows())) > 20
        assert "base64" not in text and "data:image" not in text


# -- end to end in tmux ----------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_chart_cell_on_a_real_screen(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    from _tmux import Tmux, isolated_env

    make_project(
        tmp_path,
        [
            ("_", "import altair as alt\nimport pandas as pd"),
            ("chart", fixture("altair_line")["code"]),
        ],
    )
    env = isolated_env(tmp_path / "home")
    argv = [sys.executable, "-m", "marimo_tui", str(tmp_path)]
    with Tmux(width=160, height=50) as tmux, tmux.pane(argv, env, tmp_path) as pane:
        pane.wait_for("marimo: ready", timeout=HANG)

        def drawn(screen: str) -> bool:
            lines = screen.splitlines()
            at = next((i for i, ln in enumerate(lines) if "▧ altair chart: Sales by" in ln), None)
            return at is not None and sum("▀▀▀▀" in ln for ln in lines[at + 1 :]) >= 4

        screen = pane.wait_for(drawn, timeout=2 * HANG).screen
        assert "drawing…" not in screen and "vegalite" not in screen
        pane.send_keys("C-q")


# -- mo.image: the bytes marimo keeps on its server --------------------------------------------
MO_IMAGE = (
    "import marimo as mo\nimport io\nfrom PIL import Image\n_b = io.BytesIO()\n"
    "Image.new('RGB', (40, 20), (200, 30, 30)).save(_b, 'PNG')\nmo.image(_b.getvalue())"
)


async def test_mo_image_bytes_are_fetched_from_the_sidecar(tmp_path: Path) -> None:
    from marimo_tui.runtime.session import NotebookSession
    from marimo_tui.runtime.sidecar import Sidecar, SidecarOptions
    from tests.sidecar_support import make_notebook

    path = make_notebook(tmp_path, [("img", MO_IMAGE)])
    sidecar = Sidecar(SidecarOptions(tmp_path, tmp_path / "logs"), lambda *_: None)
    session = NotebookSession(sidecar, path, lambda _: None)
    sidecar.start()
    session.start()
    try:

        def fetched() -> bool:
            return any(r.output.image is not None for r in session.kernel.runs.values())

        await wait_until(fetched, 2 * HANG, "mo.image's bytes")
        (run,) = [r for r in session.kernel.runs.values() if r.output.image is not None]
        assert run.output.text.startswith("./@file/")  # where it came from, for the agent
        image = run.output.image
        assert image is not None and size_of(image) == (40, 20)
        plain = OutputStyles(*[Style()] * 6)
        strips = render_output(run.output, 40, plain, max_image_rows=10)
        assert len(strips) == 10 and all(set(s.text) == {"▀"} for s in strips)
    finally:
        await session.close()
        await sidecar.stop()


async def test_mo_image_inside_a_layout_is_fetched_and_drawn(tmp_path: Path) -> None:
    from marimo_tui.runtime.session import NotebookSession
    from marimo_tui.runtime.sidecar import Sidecar, SidecarOptions
    from tests.sidecar_support import make_notebook

    code = MO_IMAGE.replace(
        "mo.image(_b.getvalue())", 'mo.hstack([mo.md("left"), mo.image(_b.getvalue(), alt="red")])'
    )
    path = make_notebook(tmp_path, [("img", code)])
    sidecar = Sidecar(SidecarOptions(tmp_path, tmp_path / "logs"), lambda *_: None)
    session = NotebookSession(sidecar, path, lambda _: None)
    sidecar.start()
    session.start()

    def images() -> list[Chart]:
        found: list[Chart] = []
        for run in session.kernel.runs.values():
            for block in run.output.blocks:
                if isinstance(block, Stack):
                    found += [b for b in block.children if isinstance(b, Chart)]
        return found

    try:
        await wait_until(images, 2 * HANG, "the layout's image bytes")
        (image,) = images()
        assert image.kind == "image" and image.title == "red"
        assert size_of(bytes(image.data)) == (40, 20)
        plain = OutputStyles(*[Style()] * 6)
        (run,) = [r for r in session.kernel.runs.values() if r.output.blocks]
        ready = threading.Event()  # in an event loop the picture is drawn by a worker
        render_output(run.output, 80, plain, max_image_rows=10, on_ready=ready.set)
        await wait_until(ready.is_set, HANG, "the picture")
        strips = render_output(run.output, 80, plain, max_image_rows=10)
        assert any("▧ image: red" in s.text for s in strips)
        assert sum("▀▀▀▀" in s.text for s in strips) >= 5  # the picture beside "left"
    finally:
        await session.close()
        await sidecar.stop()


@pytest.mark.parametrize(
    "src", ["http://example.com/a.png", "./@file/../../etc/passwd", "/@file/a/b.png", "a.png"]
)
def test_only_bare_virtual_file_names_are_fetched(src: str) -> None:
    from marimo_tui.runtime.virtual_files import virtual_image

    assert virtual_image(Output("image", text=src)) is None
    assert virtual_image(Output("image", text="./@file/96-15040-RoKOifiT.png")) == (
        "@file/96-15040-RoKOifiT.png"
    )


async def test_output_viewer_shows_the_chart_once_drawn() -> None:
    from marimo_tui.tui.screens.output_viewer import OutputScreen, StripLines

    graphics.clear_cache()
    app = App[None]()
    async with app.run_test(size=(100, 40)) as pilot:
        await app.push_screen(OutputScreen("chart", output_of("plotly_scatter"), ""))
        await pilot.pause()
        content = app.screen.query_one("#output-content", StripLines)

        def drawn() -> bool:
            return len(content.strips(content.size.width)) > 8

        await wait_until(drawn, HANG, "the chart in the viewer")
        strips = content.strips(content.size.width)
        assert strips[0].text == "▧ plotly chart: Plotly points"
        assert len(colours(strips[1:])) > 20


@pytest.mark.filterwarnings("ignore::DeprecationWarning:textual_image.*")
async def test_output_viewer_draws_a_chart_with_terminal_graphics_when_prepared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.widgets import Label
    from textual_image.widget import Image as ImageWidget  # not a tty here: no probing

    from marimo_tui.tui import images
    from marimo_tui.tui.screens.output_viewer import OutputScreen

    monkeypatch.setattr(images, "widget_class", "Image")
    app = App[None]()
    async with app.run_test(size=(100, 40)) as pilot:
        await app.push_screen(OutputScreen("chart", output_of("altair_line"), ""))
        await pilot.pause()
        await wait_until(lambda: bool(app.screen.query("#output-image")), HANG, "the picture")
        await pilot.pause()
        assert isinstance(app.screen.query_one("#output-image"), ImageWidget)
        caption_label = app.screen.query_one("#output-caption", Label)
        assert str(caption_label.render()) == "▧ altair chart: Sales by month"
        assert not app.screen.query("#output-content")  # the half blocks made way


@pytest.mark.parametrize(
    ("case", "summary"),
    [
        ("altair_line", "▧ altair chart: Sales by month"),
        ("plotly_scatter", "▧ plotly chart: Plotly points"),
        ("matplotlib_figure", "▧ matplotlib figure"),
    ],
)
def test_export_summary_names_the_chart_not_its_mimetype(case: str, summary: str) -> None:
    from types import SimpleNamespace

    from marimo_tui.runtime.export_cells import output_summary

    out = fixture(case)["output"]
    output = SimpleNamespace(mimetype=out["mimetype"], data=out["data"])
    assert output_summary(output, None) == summary


CONTROLS = "".join(chr(i) for i in range(0xA0)) + "\ud800\ufffe"


def test_control_characters_in_a_chart_neither_abort_us_nor_reach_the_terminal() -> None:
    # vl-convert 1.9 aborts the process (a Rust panic) on a character XML forbids in any text
    # it lays out; run in a child so that a regression fails this test, not the whole run.
    import subprocess

    spec = {
        "title": "evil\x1b]52;c;aGk=\x07\x1b[2J" + CONTROLS,
        "mark": "bar",
        "data": {"values": [{"a": "x" + CONTROLS, "b": 1}]},
        "encoding": {
            # (a line break in an axis title breaks vega-lite's own tooltip expression)
            "x": {"field": "a", "type": "nominal", "title": "axis\x07\x1b[2J\x00\x1f"},
            "y": {"field": "b", "type": "quantitative"},
        },
    }
    code = (
        "import json, sys\n"
        "from marimo_tui.runtime.charts import picture\n"
        "from marimo_tui.runtime.output_blocks import Chart\n"
        "print(picture(Chart('vega-lite', sys.stdin.read()), 100) is not None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"  # drawn, with U+FFFD where the controls were
    strips = graphics.chart_strips(Chart("vega-lite", json.dumps(spec)), 200, 4, Style())
    assert strips and all(not any(ord(c) < 32 or c == "\x7f" for c in s.text) for s in strips)
    assert strips[0].text.startswith("▧ altair chart: evil")


def test_plotly_titles_with_html_and_dollars_are_drawn() -> None:
    figure = {
        "data": [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}],
        "layout": {
            "title": {"text": "<b>Cost</b> in $\\frac{a$ and $b$"},
            "xaxis": {"title": {"text": "price $\\unknown$"}},
        },
    }
    chart = Chart("plotly", json.dumps(figure))
    assert picture(chart, 300) is not None  # matplotlib would read math, and fail on it
    assert caption(chart) == "▧ plotly chart: Cost in $\\frac{a$ and $b$"
