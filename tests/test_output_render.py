"""Outputs drawn as Strips for the cell view, and the full-screen output viewer."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from rich.style import Style
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Static

from marimo_tui.runtime.outputs import (
    CellError,
    Output,
    Table,
    console_text,
    convert_output,
    with_traceback,
)
from marimo_tui.tui.screens.output_viewer import OutputScreen, StripLines
from marimo_tui.tui.widgets.output_render import (
    OutputStyles,
    render_console,
    render_output,
    render_output_lines,
)

CORPUS = Path(__file__).parent / "outputs_corpus"
STYLES = OutputStyles(
    text=Style(),
    dim=Style(dim=True),
    error=Style(color="red"),
    error_line=Style(color="red", reverse=True),
    heading=Style(color="cyan", bold=True),
    table_header=Style(color="yellow", bold=True),
)
TRACEBACK_MIME = "application/vnd.marimo+traceback"


def corpus(case: str) -> tuple[Output, dict[str, Any]]:
    fx: dict[str, Any] = json.loads((CORPUS / f"{case}.json").read_text())
    output = convert_output(fx["output"]["mimetype"], fx["output"]["data"])
    for chunk in fx["console"]:
        if chunk["mimetype"] == TRACEBACK_MIME:
            output = with_traceback(output, console_text(chunk["mimetype"], chunk["data"]))
    return output, fx


def texts(strips: list[Strip]) -> list[str]:
    return [strip.text for strip in strips]


def png(width: int, height: int, color: tuple[int, int, int, int] = (200, 30, 30, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


CASES = sorted(p.stem for p in CORPUS.glob("*.json") if "output" in json.loads(p.read_text()))


@pytest.mark.parametrize("width", [1, 7, 40, 100])
@pytest.mark.parametrize("case", CASES)
def test_no_line_is_wider_than_width(case: str, width: int) -> None:
    output, fx = corpus(case)
    strips = render_output(output, width, STYLES, code=fx["code"])
    for chunk in fx["console"]:
        strips += render_console(
            console_text(chunk["mimetype"], chunk["data"]), "stdout", width, STYLES
        )
    assert all(strip.cell_length <= width for strip in strips)
    assert all(seg.control is None for strip in strips for seg in strip)
    assert not any("\x1b" in text or "\r" in text for text in texts(strips))


def test_markdown_is_rendered_not_echoed() -> None:
    output, _ = corpus("markdown")
    lines = texts(render_output(output, 60, STYLES))
    joined = "\n".join(lines)
    assert "Title" in joined and "# Title" not in joined
    assert "**bold**" not in joined and "bold" in joined
    assert any("• nested a" in line for line in lines)
    assert any("return x + 1" in line for line in lines)


def test_table_shows_header_rows_and_the_rest_as_a_count() -> None:
    output, _ = corpus("dataframe_large_paged")
    lines = texts(render_output(output, 60, STYLES))
    assert any("i" in line and "sq" in line and "label" in line for line in lines[:3])
    assert any("row 9" in line for line in lines)
    assert lines[-1] == "… 4990 more rows"
    many = Output("table", table=Table(("n",), tuple((str(i),) for i in range(100))))
    lines = texts(render_output(many, 30, STYLES))
    assert lines[-1] == "… 80 more rows" and any(" 19 " in line for line in lines)
    assert not any(" 20 " in line for line in lines)


def test_table_header_is_styled_and_wide_tables_are_cut() -> None:
    output, _ = corpus("wide_dataframe")
    strips = render_output(output, 50, STYLES)
    header = strips[1]
    assert any(seg.style == STYLES.table_header and "c0" in seg.text for seg in header)
    assert "+" in header.text  # the hidden columns are counted, not squeezed to nothing
    assert texts(strips)[-1] == "Only showing 50 of 60 columns."


def test_error_shows_kind_message_failing_line_and_traceback() -> None:
    output, fx = corpus("zero_division")
    strips = render_output(output, 80, STYLES, code=fx["code"])
    lines = texts(strips)
    assert lines[0] == "✗ exception: ZeroDivisionError: division by zero"
    assert lines[1] == "  → 3 │ zz = a / b"
    assert strips[1].__iter__().__next__().style == STYLES.error_line
    assert "Traceback (most recent call last):" in lines
    assert lines[-1] == "ZeroDivisionError: division by zero"
    # Without the code there is no source line to show.
    assert "  → 3 │ zz = a / b" not in texts(render_output(output, 80, STYLES))


def test_several_errors() -> None:
    output = Output(
        "error",
        errors=(
            CellError("multiple-defs", "'x' was also defined by cell 'a'"),
            CellError("cycle", "c"),
        ),
    )
    assert texts(render_output(output, 80, STYLES)) == [
        "✗ multiple-defs: 'x' was also defined by cell 'a'",
        "✗ cycle: c",
    ]


@pytest.mark.parametrize("size", [(640, 480), (8, 4), (3, 900), (900, 3)])
@pytest.mark.parametrize("max_rows", [1, 5, 16])
def test_half_block_image_fits(size: tuple[int, int], max_rows: int) -> None:
    output = Output("image", image=png(*size))
    strips = render_output(output, 40, STYLES, max_image_rows=max_rows)
    assert 1 <= len(strips) <= max_rows
    for strip in strips:
        assert 1 <= strip.cell_length <= 40
        assert set(strip.text) <= {"▀", "▄"}
        assert all(seg.style is not None and seg.style.bgcolor is not None for seg in strip)


def test_half_block_colours_are_the_image() -> None:
    (strip,) = render_output(Output("image", image=png(4, 2)), 4, STYLES, max_image_rows=1)
    style = next(iter(strip)).style
    assert style is not None and style.color is not None and style.bgcolor is not None
    assert style.color.get_truecolor() == (200, 30, 30)
    transparent = Output("image", image=png(2, 2, (0, 0, 0, 0)))
    (strip,) = render_output(transparent, 2, STYLES, max_image_rows=1)
    style = next(iter(strip)).style
    assert style is not None and style.color is not None
    assert style.color.get_truecolor() == (255, 255, 255)  # drawn on a white page


def test_matplotlib_figure_from_the_corpus() -> None:
    output, _ = corpus("matplotlib_gca")
    head, *strips = render_output(output, 60, STYLES, max_image_rows=12)
    assert head.text == "▧ matplotlib figure"  # the caption stays above the picture
    assert len(strips) == 12 and all(set(s.text) == {"▀"} for s in strips)


def test_images_that_are_not_here() -> None:
    output, _ = corpus("mo_image_virtual_file")
    assert texts(render_output(output, 80, STYLES))[0].startswith("[image: ./@file/")
    broken = texts(render_output(Output("image", image=b"not an image"), 80, STYLES))
    assert broken[0].startswith("[image could not be decoded")


def test_big_text_is_capped_but_the_viewer_gets_everything() -> None:
    text = "\n".join(f"line {i}" for i in range(10_000))
    output = Output("text", text=text)
    capped = texts(render_output(output, 80, STYLES))
    assert len(capped) == 2001 and capped[-1] == "… 8000 more lines"
    full = render_output_lines(output, 80, STYLES, max_lines=None)
    assert len(full) == 10_000


def test_long_lines_wrap_and_controls_are_dropped() -> None:
    output = Output("text", text="a" * 25 + "\tb\x07\n\x1b[31mred\x1b[0m\nold\rnew")
    lines = texts(render_output(output, 10, STYLES))
    assert lines[:2] == ["a" * 10, "a" * 10] and lines[2].startswith("aaaaa")
    assert "b" in " ".join(lines) and "\x07" not in "".join(lines)
    assert "red" in lines and "new" in lines and "old" not in " ".join(lines)
    assert all(len(line) <= 10 for line in lines)
    console = render_console("oops\n", "stderr", 20, STYLES)
    assert texts(console) == ["oops"] and next(iter(console[0])).style == STYLES.error


def test_importing_the_renderer_does_not_touch_the_terminal() -> None:
    # textual_image's package __init__ probes the terminal; the cell view must never import it.
    code = (
        "import sys; from marimo_tui.tui.widgets import output_render as r; "
        "from marimo_tui.runtime.outputs import Output; from rich.style import Style; "
        "s = r.OutputStyles(*(Style(),) * 6); "
        "import base64; "
        f"r.render_output(Output('image', image={png(4, 4)!r}), 10, s); "
        "print(sorted(m for m in sys.modules if m.startswith('textual_image')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


class ViewerApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("behind")


async def test_output_screen_shows_a_long_text_and_closes_on_escape() -> None:
    text = "\n".join(f"row {i}" for i in range(500))
    app = ViewerApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await app.push_screen(OutputScreen("nb.py · cell", Output("text", text=text), "printed\n"))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OutputScreen)
        content = screen.query_one("#output-content", StripLines)
        assert len(content.strips(content.size.width)) == 500  # nothing cut
        assert screen.query_one("#output-console", StripLines).strips(20)[0].text == "printed"
        await pilot.press("G")
        await pilot.pause()
        body = screen.query_one("#output-body")
        assert body.scroll_y > 400
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, OutputScreen)


async def test_output_screen_draws_an_image_with_half_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "textual_image.widget", raising=False)
    app = ViewerApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await app.push_screen(OutputScreen("img", Output("image", image=png(64, 32)), ""))
        await pilot.pause()
        content = app.screen.query_one("#output-content", StripLines)
        strips = content.strips(content.size.width)
        assert strips and all(set(s.text) == {"▀"} for s in strips)
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, OutputScreen)


@pytest.mark.filterwarnings("ignore::DeprecationWarning:textual_image.*")
async def test_output_screen_uses_textual_image_when_prepared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual_image.widget import Image as ImageWidget  # not a tty here: no probing

    from marimo_tui.tui import images

    monkeypatch.setattr(images, "widget_class", "Image")

    app = ViewerApp()
    async with app.run_test(size=(80, 30)) as pilot:
        await app.push_screen(OutputScreen("img", Output("image", image=png(64, 32)), ""))
        await pilot.pause()
        widget = app.screen.query_one("#output-image")
        assert isinstance(widget, ImageWidget)
        assert widget.size.width > 0 and widget.size.height > 0
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, OutputScreen)


async def test_output_screen_error_table_and_bindings() -> None:
    output, fx = corpus("zero_division")
    app = ViewerApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(OutputScreen("err", output, "", fx["code"]))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OutputScreen)
        lines = texts(screen.query_one("#output-content", StripLines).strips(90))
        assert "  → 3 │ zz = a / b" in lines
        ids = {binding.id for binding in OutputScreen.BINDINGS if not isinstance(binding, tuple)}
        assert {"close_output", "copy_output"} <= ids
        await pilot.press("escape")
    table, _ = corpus("dataframe_large_paged")
    app = ViewerApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(OutputScreen("table", table, ""))
        await pilot.pause()
        lines = texts(app.screen.query_one("#output-content", StripLines).strips(90))
        assert any("row 9" in line for line in lines)


def test_graphics_are_asked_for_only_where_a_terminal_may_have_them() -> None:
    from marimo_tui.tui.images import wanted_widget

    assert wanted_widget("auto", {"TERM": "xterm-256color"}) is None
    assert wanted_widget("auto", {"TERM": "xterm-kitty"}) == "Image"
    assert wanted_widget("auto", {"TERM_PROGRAM": "WezTerm"}) == "Image"
    assert wanted_widget("auto", {"TERM": "xterm-kitty", "TMUX": "/tmp/t,1,0"}) is None
    assert wanted_widget("sixel", {"TMUX": "/tmp/t,1,0"}) == "SixelImage"
    assert wanted_widget("kitty", {}) == "TGPImage"
    assert wanted_widget("halfblocks", {"TERM": "xterm-kitty"}) is None
