"""Real marimo 0.25 layouts, charts, UI elements, math and JSON (tests/outputs_corpus, captured
by tests/capture_outputs.py) → blocks → the text of the strips a cell shows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rich.style import Style

from marimo_tui.runtime.output_blocks import Chart, Widget
from marimo_tui.runtime.output_layouts import (
    Accordion,
    Callout,
    MarkdownBlock,
    Media,
    Stack,
    Stat,
    Tabs,
    TextBlock,
    Tree,
)
from marimo_tui.runtime.output_math import latex_text
from marimo_tui.runtime.output_text import tree_lines
from marimo_tui.runtime.outputs import Output, console_text, convert_output, with_traceback
from marimo_tui.runtime.widget_text import widget_text
from marimo_tui.tui.widgets.output_layout_render import tabs_count
from marimo_tui.tui.widgets.output_render import OutputStyles, render_output, render_output_lines
from tests.corpus_support import CORPUS, fixture, output_of

STYLES = OutputStyles(Style(), Style(dim=True), Style(), Style(bold=True), Style(), Style())
CASES = sorted(p.stem for p in CORPUS.glob("*.json") if "output" in json.loads(p.read_text()))


def only(case: str) -> object:
    output = output_of(case)
    assert output.kind == "blocks", output
    (block,) = output.blocks
    return block


def shown(output: Output, width: int = 80, **options: Any) -> list[str]:
    return [s.text.rstrip() for s in render_output_lines(output, width, STYLES, **options)]


# -- parsing ---------------------------------------------------------------------------------
def test_altair_and_plotly_become_charts_with_their_titles() -> None:
    chart = only("altair_chart")
    assert isinstance(chart, Chart) and chart.kind == "vega-lite"
    assert chart.title == "Sales by x"
    assert isinstance(chart.data, str) and json.loads(chart.data)["mark"] == {"type": "bar"}
    ui_chart = only("altair_ui_point")  # mo.ui.altair_chart: <marimo-vega data-spec>
    assert isinstance(ui_chart, Chart) and ui_chart.kind == "vega-lite"
    assert ui_chart.title == "y by x"  # no title of its own: from the encoding
    figure = only("plotly_figure")
    assert isinstance(figure, Chart) and figure.kind == "plotly"
    assert figure.title == "Plotly line"
    assert isinstance(figure.data, str) and "layout" in json.loads(figure.data)
    svg = only("svg_html")
    assert isinstance(svg, Chart) and svg.kind == "svg" and svg.title == "Dot"
    assert isinstance(svg.data, str) and svg.data.startswith("<svg") and "<circle" in svg.data


def test_matplotlib_inside_a_layout_is_a_chart_of_png_bytes() -> None:
    stack = only("matplotlib_in_hstack")
    assert isinstance(stack, Stack) and stack.direction == "row"
    figure, right = stack.children
    assert isinstance(figure, Chart) and figure.kind == "matplotlib"
    assert isinstance(figure.data, bytes) and figure.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert isinstance(right, MarkdownBlock) and right.source == "right"


def test_mo_ui_matplotlib_and_an_image_in_a_layout() -> None:
    figure = only("ui_matplotlib_scatter")
    assert isinstance(figure, Chart) and figure.kind == "matplotlib"
    assert isinstance(figure.data, bytes) and figure.data.startswith(b"\x89PNG\r\n\x1a\n")
    stack = only("image_in_vstack")
    assert isinstance(stack, Stack) and stack.direction == "column"
    text, image = stack.children
    assert isinstance(text, MarkdownBlock) and text.source == "an image"
    # a virtual file on the server: named with its alt text until the session fetches it
    assert isinstance(image, Media) and image.kind == "image" and image.title == "red box"
    assert image.src.startswith("./@file/")
    assert output_of("image_in_vstack").text.endswith("▧ image: red box (" + image.src + ")")


def test_stacks_tabs_accordion() -> None:
    hstack = only("hstack_md")
    assert isinstance(hstack, Stack) and hstack.direction == "row"
    assert [b.source for b in hstack.children if isinstance(b, MarkdownBlock)] == [
        "**one**",
        "two",
        "three",
    ]
    vstack = only("vstack_md")
    assert isinstance(vstack, Stack) and vstack.direction == "column"
    top, below, slider = vstack.children
    assert isinstance(top, MarkdownBlock) and top.source == "# Top"
    assert isinstance(below, MarkdownBlock) and below.source == "below it"
    assert isinstance(slider, Widget) and slider.kind == "slider" and slider.value == 3
    tabs = only("tabs")
    assert isinstance(tabs, Tabs) and tabs.labels == ("First", "Second")
    assert [[b.source for b in p if isinstance(b, MarkdownBlock)] for p in tabs.panes] == [
        ["first pane"],
        ["second pane"],
    ]
    accordion = only("accordion")
    assert isinstance(accordion, Accordion) and accordion.titles == ("Open me", "More")
    assert len(accordion.panes) == 2


def test_stat_callout_tree_media() -> None:
    assert only("stat") == Stat("Users", "1,234", "+12% this week", "increase")
    callout = only("callout")
    assert isinstance(callout, Callout) and callout.kind == "warn"
    assert callout.children == (MarkdownBlock("Careful **here**", "Careful here"),)
    tree = only("tree")
    assert isinstance(tree, Tree)
    assert tree.value == {"a": [1, 2, {"b": 3.5}], "c": {"d": {"e": {"f": "deep"}}}}
    mo_json = only("mo_json")
    assert isinstance(mo_json, Tree) and mo_json.value == {
        "pi": 3.5,
        "big": 2**70,
        "nested": {"k": [1, 2]},
    }
    assert only("mo_audio") == Media("audio", "https://example.com/a.mp3")
    assert only("mo_video") == Media("video", "https://example.com/v.mp4")
    assert only("mo_pdf") == Media("pdf", "https://example.com/doc.pdf")


@pytest.mark.parametrize(
    ("case", "kind", "label", "value", "options"),
    [
        ("ui_dropdown", "dropdown", "Colour", ["green"], ["red", "green", "blue"]),
        ("ui_radio", "radio", "Pick", "a", ["a", "b", "c"]),
        ("ui_multiselect", "multiselect", "Many", ["x", "z"], ["x", "y", "z"]),
        ("ui_checkbox", "checkbox", "Enabled", True, None),
        ("ui_switch", "switch", "Dark", False, None),
        ("ui_text", "text", "Name", "hello", None),
        ("ui_text_area", "text-area", "Notes", "long text", None),
        ("ui_number", "number", "Num", 4, None),
        ("ui_slider_count", "slider", "Count", 5, None),
        ("ui_range_slider", "range-slider", "Range", [20, 60], None),
        ("ui_date", "date", "Day", "2024-01-02", None),
        ("ui_button", "button", "Go", 0, None),
    ],
)
def test_each_ui_element_is_a_widget(
    case: str, kind: str, label: str, value: object, options: list[str] | None
) -> None:
    widget = only(case)
    assert isinstance(widget, Widget)
    assert widget.object_id == f"{fixture(case)['cell_id']}-0"
    assert (widget.kind, widget.label, widget.value) == (kind, label, value)
    assert widget.attrs.get("options") == options


def test_latex_in_markdown_is_unicode() -> None:
    inline = output_of("latex_inline")
    assert inline.kind == "markdown"
    assert inline.text == r"Euler: e^(iπ) + 1 = 0 and α≤β, a set {1,\,2}."
    display = output_of("latex_display").text.split("\n\n")
    # display math keeps its own paragraph; `_` is escaped so markdown shows it as written
    assert display[:3] == ["Sum:", r"∑\_(k=1)ⁿ k = n(n+1)/2", "∫₀¹ x² dx = 1/3"]
    assert display[3] == "Lines: a  \nb end."  # `\\` breaks the line
    lines = shown(output_of("latex_display"))
    assert "∑_(k=1)ⁿ k = n(n+1)/2" in lines and "||" not in "".join(lines)


def test_latex_text() -> None:
    assert latex_text(r"\frac{a}{b} \cdot \sqrt{x}") == "a/b ·√(x)"
    assert latex_text(r"x_1^2 + \{1,\,2\}") == "x₁² + {1, 2}"
    assert latex_text(r"a \\ b \\[2pt] c") == "a\nb\nc"
    assert latex_text(r"\frac{") == r"\frac{"  # broken input: the source, no warning printed


def test_json_output_without_marimo_tags() -> None:
    output = output_of("json_floats")
    assert json.loads(output.text) == {
        "pi": 3.14159,
        "big": 2**70,
        "items": [1.5, 2, {"n": 0.25}],
        "s": [1, 2],
    }


def test_broken_layout_html_never_raises() -> None:
    for html in (
        "<marimo-tabs data-tabs='not json'><div data-kind='tab'>x</div></marimo-tabs>",
        "<marimo-accordion data-labels='[1, 2'><div>a</div></marimo-accordion>",
        "<marimo-stat data-value='{'></marimo-stat>",
        "<marimo-vega data-spec='{]'></marimo-vega>",
        "<marimo-mime-renderer data-mime='\"application/vnd.marimo+mimebundle\"'"
        " data-data='\"{broken\"'></marimo-mime-renderer>",
        "<div style='display:flex'><marimo-ui-element></marimo-ui-element></div>",
    ):
        output = convert_output("text/html", html)
        assert output.kind in ("blocks", "html", "text", "empty")
        shown(output)


# -- rendering -------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("width", [80, 36])
def test_nothing_of_marimos_encodings_is_shown(case: str, width: int) -> None:
    text = "\n".join(shown(output_of(case), width))
    for leak in ("text/plain+", "$bigint", "<marimo-", "&quot;", "application/vnd", "\x1b"):
        assert leak not in text, (case, leak)


def test_hstack_side_by_side_when_wide_stacked_when_narrow() -> None:
    output = output_of("hstack_md")
    (row,) = [line for line in shown(output, 80) if "one" in line]
    assert "two" in row and "three" in row
    narrow = shown(output, 30)
    assert [line.strip() for line in narrow if line.strip()] == ["one", "two", "three"]
    mixed = shown(output_of("matplotlib_in_hstack"), 80)
    assert "matplotlib" in mixed[0] and "right" in mixed[0]


def test_tabs_show_a_bar_and_the_chosen_pane() -> None:
    output = output_of("tabs")
    assert tabs_count(output.blocks) == 1
    first = shown(output)
    assert "First" in first[0] and "Second" in first[0] and first[1].startswith("───")
    assert "first pane" in first and "second pane" not in "\n".join(first)
    second = shown(output, tabs={0: 1})
    assert "second pane" in second and "first pane" not in "\n".join(second)


def test_accordion_titles_open_in_the_viewer() -> None:
    output = output_of("accordion")
    assert shown(output) == ["▸ Open me", "▸ More"]
    assert shown(output, expand_all=True) == ["▾ Open me", "  hidden text", "▾ More", "  more text"]


def test_stat_card_callout_bar_and_tree() -> None:
    assert shown(output_of("stat")) == [
        "┌──────────────────┐",
        "│ Users            │",
        "│ 1,234            │",
        "│ ▲ +12% this week │",
        "└──────────────────┘",
    ]
    assert shown(output_of("callout")) == ["▌ Careful here"]
    assert shown(output_of("tree")) == [
        "a:",
        "  - 1",
        "  - 2",
        "  - b: 3.5",
        "c:",
        "  d:",
        "    e: {… 1 key}",  # deeper than three levels: collapsed, with a count
    ]
    assert tree_lines({"a": {"b": {"c": [1, 2]}}}, max_depth=2) == ["a:", "  b: {… 1 key}"]


@pytest.mark.parametrize(
    ("case", "line"),
    [
        ("ui_slider_count", "Count ━━━━●───── 5"),
        ("ui_range_slider", "Range ──●━━●──── 20–60"),
        ("ui_radio", "Pick ◉ a ○ b ○ c"),
        ("ui_multiselect", "Many [x] x [ ] y [x] z"),
        ("ui_dropdown", "Colour ▾ green  (red, green, blue)"),
        ("ui_checkbox", "[x] Enabled"),
        ("ui_switch", "[ ] Dark"),
        ("ui_text", "Name [ hello ]"),
        ("ui_number", "Num [ 4 ] (0–10)"),
        ("ui_button", "[ Go ]"),
    ],
)
def test_widgets_drawn_statically(case: str, line: str) -> None:
    assert shown(output_of(case)) == [line]


def test_widget_values_out_of_range_or_odd_still_draw() -> None:
    def line(kind: str, value: object, **attrs: object) -> str:
        return widget_text(Widget("w-0", kind, "n", value, attrs))

    assert line("slider", 50, start=0, stop=10) == "n ━━━━━━━━━● 50"
    assert line("slider", -5, start=0, stop=10) == "n ●───────── -5"
    assert line("slider", 1, start=1, stop=1) == "n ●───────── 1"
    assert line("slider", "x", start=0, stop=10) == "n ━━━━━━━━━━ x"
    assert line("range-slider", [8, 2], start=0, stop=10).endswith(" 8–2")
    assert line("dropdown", [], options={"a": 1, "b": 2}) == "n ▾ —  (a, b)"
    assert line("mystery", None) == "n ‹mystery›"


def test_charts_and_media_are_named_never_a_mimetype() -> None:
    assert "Sales by x" in shown(output_of("altair_chart"))[0]
    assert "Plotly line" in shown(output_of("plotly_figure"))[0]
    assert shown(output_of("mo_pdf")) == ["▶ pdf: https://example.com/doc.pdf"]


def test_wide_table_keeps_natural_column_widths() -> None:
    output = output_of("wide_frame_pandas")
    lines = shown(output, 80)
    header = lines[1]
    assert "│ column_0 │ column_1 │" in header and "+" in header  # whole names, then +N
    assert all(len(line) <= 80 for line in lines)
    wide = render_output_lines(output, 80, STYLES, wide_tables=True)
    assert max(s.cell_length for s in wide) > 80
    assert all(f"column_{i}" in wide[1].text for i in range(14))


def test_errors_name_cells_as_the_view_does() -> None:
    output = output_of("cycle")
    names = {"DnEU": "'first' (#2)", "Vxnm": "#5"}
    text = "\n".join(s.text for s in render_output(output, 100, STYLES, cell_names=names))
    assert "'first' (#2) → #5 (cb), #5 → 'first' (#2) (ca)" in text
    assert "DnEU" not in text and "Vxnm" not in text
    case = fixture("nested_function_error")  # cell vblA; its traceback names its file
    error = convert_output(case["output"]["mimetype"], case["output"]["data"])
    (chunk,) = [c for c in case["console"] if c["mimetype"].endswith("traceback")]
    error = with_traceback(error, console_text(chunk["mimetype"], chunk["data"]))
    lines = [s.text for s in render_output(error, 100, STYLES, cell_names={"vblA": "'f' (#2)"})]
    assert "  File cell 'f' (#2), line 5, in <module>" in lines
    assert "  File cell 'f' (#2), line 2, in inner" in lines
    assert not any("__marimo__cell_" in line for line in lines)
    unnamed = "\n".join(s.text for s in render_output(output_of("ancestor_raised"), 100, STYLES))
    assert "cell 'nWHF'" in unnamed  # without a mapping the id stays


def test_notebook_text_in_blocks_goes_through_safe_text() -> None:
    evil = "\x1b]52;c;ZXZpbA==\x07\x1b[31mred"
    blocks = (
        Tabs((evil, "b"), ((TextBlock(evil),), ())),
        Stat(evil, evil, evil, "increase"),
        Accordion((evil,), ((MarkdownBlock(evil),),)),
        Widget("x-0", "radio", evil, evil, {"options": [evil]}),
        Tree({evil: [evil]}),
        Callout("info", (TextBlock(evil),)),
    )
    output = Output("blocks", blocks=blocks)
    for options in ({}, {"expand_all": True, "wide_tables": True}):
        strips = render_output_lines(output, 60, STYLES, **options)
        for strip in strips:
            for segment in strip:
                assert "\x1b" not in segment.text and "\x07" not in segment.text
