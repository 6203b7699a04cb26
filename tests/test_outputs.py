"""Real marimo 0.25 kernel payloads (tests/outputs_corpus) → the neutral output model."""

from __future__ import annotations

import json

import pytest

from marimo_tui.runtime.html_convert import to_markdown, to_text
from marimo_tui.runtime.outputs import (
    EMPTY,
    Output,
    Table,
    console_text,
    convert_output,
    parse_table_data,
    with_traceback,
)
from tests.corpus_support import CORPUS, PNG, fixture

TRACEBACK_MIME = "application/vnd.marimo+traceback"


def convert(case: str) -> Output:
    """The output as the kernel state shows it: converted, with the console's traceback."""
    fx = fixture(case)
    output = convert_output(fx["output"]["mimetype"], fx["output"]["data"])
    for chunk in fx["console"]:
        if chunk["mimetype"] == TRACEBACK_MIME:
            output = with_traceback(output, console_text(chunk["mimetype"], chunk["data"]))
    return output


CASES = sorted(p.stem for p in CORPUS.glob("*.json") if "output" in json.loads(p.read_text()))


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 35


@pytest.mark.parametrize("case", CASES)
def test_every_case_converts_to_a_known_kind(case: str) -> None:
    output = convert(case)
    assert output.kind in ("empty", "text", "markdown", "table", "image", "html", "error", "blocks")
    # Nothing of marimo's markup leaks into what the terminal shows.
    shown = output.text + "".join(e.message + e.traceback for e in output.errors)
    assert "<span" not in shown and "&quot;" not in shown and "marimo-ui-element" not in shown


def test_plain_values_are_text() -> None:
    assert convert("int_value") == Output("text", text="42", mimetype="text/html")
    assert convert("str_value").text == "'hello <world> & friends'"
    assert convert("list_value").text == '[1, "two", {"three": 3}]'
    assert convert("none_value") is EMPTY


def test_markdown_source_is_rebuilt() -> None:
    output = convert("markdown")
    assert output.kind == "markdown"
    text = output.text
    assert text.startswith("# Title\n")
    assert "## Sub heading" in text
    assert "Some *italic* and **bold** text with `inline code`" in text
    assert "[link](https://example.com)" in text
    assert "- item two\n  - nested a\n  - nested b\n- item three" in text
    assert "1. first\n2. second" in text
    assert "> a quote" in text
    assert "```python\ndef f(x):\n    return x + 1\n```" in text
    assert "| a | b |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |" in text
    assert "\n---\n" in text
    assert convert("mo_stop_output") == Output(
        "markdown", text="stopped here", mimetype="text/markdown"
    )


def test_dataframe_ships_inline() -> None:
    table = convert("dataframe_small").table
    assert table == Table(
        ("name", "age", "score"), (("ann", "31", "1.5"), ("bob", "42", "2.25"), ("cy", "27", "NaN"))
    )


def test_large_dataframe_ships_its_first_page_and_the_total() -> None:
    output = convert("dataframe_large_paged")
    assert output.table is not None
    assert output.table.columns == ("i", "sq", "label")
    assert len(output.table.rows) == 10
    assert output.table.rows[3] == ("3", "9", "row 3")
    assert output.table.total_rows == 5000
    assert output.table.source_url is None


@pytest.mark.parametrize(
    ("case", "columns", "first"),
    [
        ("ui_table_dicts", ("city", "pop"), ("Oslo", "700000")),
        ("dataframe_from_dict", ("k", "v"), ("a", "1")),
        ("pandas_series", ("s",), ("1",)),
        ("table_format_mapping", ("x",), ("1.2",)),  # formatted; marimo's row id column dropped
        ("plain_dataframe_html", ("", "p"), ("0", "1")),  # mo.plain: pandas' own <table>
    ],
)
def test_tables(case: str, columns: tuple[str, ...], first: tuple[str, ...]) -> None:
    output = convert(case)
    assert output.kind == "table" and output.table is not None
    assert output.table.columns == columns
    assert output.table.rows[0] == first


def test_wide_frame_keeps_the_columns_marimo_sent() -> None:
    output = convert("wide_dataframe")
    assert output.table is not None
    assert output.table.columns == tuple(f"c{i}" for i in range(50))
    assert output.text == "Only showing 50 of 60 columns."


def test_lazy_table_has_no_rows_yet() -> None:
    output = convert("lazy_table")
    assert output.kind == "table" and output.table is not None
    assert output.table.rows == () and output.table.total_rows is None


def test_table_shipped_as_virtual_file_url() -> None:
    html = (
        "<marimo-ui-element object-id='a-0' random-id='x'><marimo-table "
        "data-data='&quot;./@file/38-3387-13lA0Hjq.csv&quot;' data-total-rows='2' "
        "data-field-types='[[&quot;name&quot;,[&quot;string&quot;,&quot;str&quot;]]]'>"
        "</marimo-table></marimo-ui-element>"
    )
    output = convert_output("text/html", html)
    assert output.table is not None
    assert output.table.source_url == "./@file/38-3387-13lA0Hjq.csv"
    assert output.table.columns == ("name",) and output.table.total_rows == 2
    body = fixture("table_data_url_body")
    fetched = parse_table_data(body["body"], body["content_type"])
    assert fetched == Table(("name", "n"), (("ann", "1"), ("bob", "2")))


def test_parse_table_data_formats() -> None:
    records = b'[{"a": 1, "b": null}, {"a": 2.5, "b": "x"}]'
    assert parse_table_data(records, "application/json") == Table(
        ("a", "b"), (("1", "None"), ("2.5", "x"))
    )
    split = '{"columns": ["a"], "data": [[1], [2]]}'
    assert parse_table_data(split, "application/json").rows == (("1",), ("2",))
    assert parse_table_data("a,b\n1,2\n", "").columns == ("a", "b")  # sniffed as CSV
    assert parse_table_data(b"ARROW1\x00\x00garbage", "application/vnd.apache.arrow.file") == (
        Table((), ())
    )
    assert parse_table_data(b"{not json", "application/json") == Table((), ())


def test_matplotlib_figures_are_png_bytes() -> None:
    for case in ("matplotlib_gca", "matplotlib_figure"):
        output = convert(case)  # one chart (drawn off the UI thread, under its caption)
        assert output.kind == "blocks" and output.chart is not None
        assert output.chart.kind == "matplotlib"
        assert isinstance(output.chart.data, bytes) and output.chart.data.startswith(PNG)
        assert output.text == "▧ matplotlib figure"
        assert output.mimetype == "application/vnd.marimo+mimebundle"


def test_mo_image_is_a_virtual_file() -> None:
    output = convert("mo_image_virtual_file")
    assert output.kind == "image" and output.image is None
    assert output.text.startswith("./@file/") and output.text.endswith(".png")


def test_html_becomes_readable_text() -> None:
    assert convert("raw_html") == Output(
        "html", text="Raw\n\nSome html text\n\n- x\n- y", mimetype="text/html"
    )
    assert convert("ui_slider").text == "Count ━━━━●───── 5"
    hstack = convert("hstack_ui").text
    assert "left" in hstack and "[ Go ]" in hstack and "[ hi ]" in hstack
    too_large = convert("output_too_large")
    assert too_large.kind == "blocks"  # marimo shows it as a callout
    assert too_large.text.startswith("Your output is too large")
    assert "output_max_bytes = 10_000_000" in too_large.text


def test_exception_with_traceback_and_failing_line() -> None:
    output = convert("zero_division")
    assert output.kind == "error"
    assert output.text == "ZeroDivisionError: division by zero"
    (error,) = output.errors
    assert (error.kind, error.message, error.line) == (
        "exception",
        "ZeroDivisionError: division by zero",
        3,
    )
    assert error.traceback.startswith("Traceback (most recent call last):")
    assert "    zz = a / b" in error.traceback
    assert error.traceback.endswith("ZeroDivisionError: division by zero")
    code = fixture("zero_division")["code"].splitlines()
    assert code[error.line - 1] == "zz = a / b"


def test_failing_line_is_the_innermost_frame_of_the_cell() -> None:
    (error,) = convert("nested_function_error").errors
    assert error.message == "KeyError: 'missing'"
    assert error.line == 2  # inside `inner`, not the call on line 5
    (error,) = convert("interrupted").errors
    assert error.kind == "interruption" and error.line == 2  # marimo's own frames skipped
    assert error.traceback.endswith("KeyboardInterrupt")


def test_multi_line_message_is_one_line() -> None:
    (error,) = convert("print_then_raise").errors
    assert error.message == "ValueError: bad value …"
    assert error.traceback.endswith("ValueError: bad value\nsecond line")


@pytest.mark.parametrize(
    ("case", "kind", "message", "line"),
    [
        ("multiple_defs", "multiple-defs", "'dup' was also defined by cell 'TqIu'", None),
        (
            "cycle",
            "cycle",
            "This cell is in a cycle: 'DnEU' → 'Vxnm' (cb), 'Vxnm' → 'DnEU' (ca)",
            None,
        ),
        ("syntax_error", "syntax", "SyntaxError: '(' was never closed", 1),
        (
            "import_star",
            "import-star",
            "SyntaxError: Importing symbols with `import *` is not allowed in marimo.",
            1,
        ),
        (
            "ancestor_raised",
            "ancestor-raised",
            "An ancestor raised an exception (ZeroDivisionError): cell 'nWHF'",
            None,
        ),
        (
            "ancestor_stopped",
            "ancestor-stopped",
            "This cell wasn't run because an ancestor was stopped with `mo.stop`: cell 'ZHCJ'",
            None,
        ),
        (
            "name_error_blamed",
            "exception",
            "NameError: Name `d` is not defined. It was expected to be defined in cell 'bkHC'",
            1,
        ),
        ("interrupted", "interruption", "This cell was interrupted and needs to be re-run", 2),
    ],
)
def test_error_kinds(case: str, kind: str, message: str, line: int | None) -> None:
    output = convert(case)
    assert output.kind == "error"
    (error,) = output.errors
    assert (error.kind, error.message, error.line) == (kind, message, line)


def test_syntax_error_keeps_marimo_caret_display() -> None:
    (error,) = convert("syntax_error").errors
    assert error.traceback == "line 1\n    x = (1 +\n        ^\nSyntaxError: '(' was never closed"


def test_console_text() -> None:
    fx = fixture("stdout_stderr")
    chunks = [(c["channel"], console_text(c["mimetype"], c["data"])) for c in fx["console"]]
    assert chunks == [("stdout", "to stdout\n"), ("stderr", "to stderr\n")]
    tb = next(c for c in fixture("zero_division")["console"] if c["mimetype"] == TRACEBACK_MIME)
    text = console_text(tb["mimetype"], tb["data"])
    assert "ZeroDivisionError: division by zero" in text
    assert 'File "/tmp/marimo_2573/__marimo__cell_nWHF_.py", line 3, in <module>' in text
    assert "<" not in text.replace("<module>", "")
    big = fixture("large_text")["console"][0]
    assert console_text(big["mimetype"], big["data"]).count("\n") == 3000


def test_with_traceback_leaves_other_outputs_alone() -> None:
    text = Output("text", text="x")
    assert with_traceback(text, "Traceback …") is text
    cycle = convert("cycle")
    assert with_traceback(cycle, 'File "/t/__marimo__cell_a_.py", line 1, in <module>') == cycle
    # marimo's HTML traceback is accepted too.
    tb = next(c for c in fixture("zero_division")["console"] if c["mimetype"] == TRACEBACK_MIME)
    raw = fixture("zero_division")["output"]
    output = with_traceback(convert_output(raw["mimetype"], raw["data"]), tb["data"])
    assert output.errors[0].line == 3


@pytest.mark.parametrize(
    ("mimetype", "data"),
    [
        ("text/html", "<div><p>unclosed <b>bold"),
        ("text/html", "</p></div>>>><<<"),
        ("text/html", "<" * 5000 + "div>" * 5000),
        ("text/markdown", "<span class='markdown'><ul><li><ol><li>x"),
        ("application/vnd.marimo+error", "not json"),
        ("application/vnd.marimo+error", [None, 3, {"type": "exception"}]),
        ("application/vnd.marimo+error", [{"type": "cycle", "edges_with_vars": [1, [2]]}]),
        ("application/vnd.marimo+mimebundle", "{broken"),
        ("application/vnd.marimo+mimebundle", {"image/png": "data:image/png;base64,@@@"}),
        ("application/vnd.marimo+mimebundle", {}),
        ("image/png", "data:image/png;base64,!!!!"),
        ("image/png", 12345),
        ("image/svg+xml", "<svg></svg>"),
        ("text/plain", {"a": object()}),
        ("application/x-unknown", b"\xff\xfe\x00binary"),
        ("application/x-unknown", "<b>html after all</b>"),
        ("text/csv", "a,b\n1"),
        ("", None),
        (
            "text/html",
            "<marimo-table data-data='[[[' data-total-rows='\"too_many\"'></marimo-table>",
        ),
        ("text/html", "<marimo-slider data-label='{' data-start='x'></marimo-slider>"),
    ],
)
def test_garbage_never_raises(mimetype: str, data: object) -> None:
    output = convert_output(mimetype, data)
    assert isinstance(output, Output)
    assert isinstance(with_traceback(output, "garbage"), Output)
    assert isinstance(console_text(mimetype, data), str)


def test_unknown_mimetypes_are_readable() -> None:
    assert convert_output("application/x-unknown", "<b>bold</b> text").text == "bold text"
    assert convert_output("application/x-unknown", "just text") == Output(
        "text", text="just text", mimetype="application/x-unknown"
    )
    assert convert_output("video/mp4", "./@file/1-v.mp4").text == "[video/mp4 output]"
    broken = convert_output("image/png", "data:image/png;base64,!!!!")
    assert broken.kind == "text" and broken.image is None and "could not be decoded" in broken.text


def test_one_converter_for_markdown_and_text() -> None:
    html = (
        "<h2>Head</h2><p>A <strong>b</strong> <em>c</em> <code>d</code> "
        "<a href='https://x.org'>e</a><br>f</p><ol start='3'><li>g</li></ol>"
        "<blockquote><p>q</p></blockquote><hr><pre>  raw  </pre>"
        "<table><tr><th>h</th></tr><tr><td>v|w</td></tr></table>"
        "<script>alert(1)</script>"
    )
    assert to_markdown(html) == (
        "## Head\n\nA **b** *c* `d` [e](https://x.org)  \nf\n\n3. g\n\n> q\n\n---\n\n"
        "```\n  raw  \n```\n\n| h |\n| --- |\n| v\\|w |"
    )
    assert to_text(html) == (
        "Head\n\nA b c d e\nf\n\n3. g\n\n│ q\n\n" + "─" * 24 + "\n\n  raw  \n\nh\nv|w"
    )


def test_marimo_type_tags_in_json_outputs_are_taken_out() -> None:
    from marimo_tui.runtime.outputs import json_text

    data = (
        '[{"id": 0, "amount": "text/plain+float:3.54", '
        '"n": "text/plain+bigint:12345678901234567890", "s": "text/plain+set:{1, 2}"}]'
    )
    assert json_text(data) == (
        '[{"id": 0, "amount": 3.54, "n": 12345678901234567890, "s": "{1, 2}"}]'
    )
