"""The adapter over marimo's private parser, compiler and codegen."""

from __future__ import annotations

import re
from pathlib import Path

import marimo
import pytest

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.model import Cell, CellKind
from tests.conftest import TEMPLATES

TUTORIALS = sorted((Path(marimo.__file__).parent / "_tutorials").glob("*.py"))
GENERATED = re.compile(r'^__generated_with = ".*"$', re.M)


def _render_parsed(text: str, path: Path) -> str:
    parsed = adapter.parse_text(text, path)
    cells = [
        Cell(id=str(i), code=c.code, name=c.name, kind=c.kind, options=c.options)
        for i, c in enumerate(parsed.cells)
    ]
    return adapter.render(parsed.header, parsed.app_options, cells)


def test_tutorials_are_found() -> None:
    assert len([t for t in TUTORIALS if t.name != "__init__.py"]) >= 8


@pytest.mark.parametrize(
    "path", [t for t in TUTORIALS if t.name != "__init__.py"], ids=lambda p: p.name
)
def test_round_trip_is_byte_identical_on_marimo_tutorials(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    out = _render_parsed(text, path)
    assert GENERATED.sub("", out) == GENERATED.sub("", text)


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.py")), ids=lambda p: p.name)
def test_round_trip_is_byte_identical_on_templates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _render_parsed(text, path) == text


def test_kinds_and_unparsable_names() -> None:
    text = (
        "import marimo\n\napp = marimo.App()\n\nwith app.setup:\n    import math\n\n\n"
        "@app.function\ndef area(r):\n    return math.pi * r**2\n\n\n"
        'app._unparsable_cell(\n    r"""\n    x = (\n    """,\n    name="broken"\n)\n\n\n'
        "@app.cell\ndef _():\n    y = area(2)\n    return (y,)\n"
    )
    parsed = adapter.parse_text(text, Path("k.py"))
    kinds = [(c.kind, c.name) for c in parsed.cells]
    assert kinds == [
        (CellKind.SETUP, "setup"),
        (CellKind.FUNCTION, "area"),
        (CellKind.UNPARSABLE, "broken"),
        (CellKind.CELL, "_"),
    ]
    assert "name" not in parsed.cells[2].options


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("   \n\n", "empty file"),
        ("import os\nprint(os.getcwd())\n", "plain Python script"),
        ("import marimo\nx = 1\n", "not a marimo notebook"),
        ("import marimo\napp = marimo.App(\n", "syntax error"),
    ],
)
def test_parse_errors_are_one_line(text: str, reason: str) -> None:
    with pytest.raises(NotebookError) as info:
        adapter.parse_text(text, Path("bad.py"))
    message = str(info.value)
    assert reason in message
    assert "\n" not in message


def test_analyze_defs_refs_and_syntax_errors() -> None:
    a = adapter.analyze("import os\nx = y + 1\n_private = 2\n")
    assert a.defs == {"os", "x"}
    assert a.refs == {"y"}
    assert a.error is None
    bad = adapter.analyze("x = (")
    assert bad.error is not None and bad.error.startswith("SyntaxError")
    assert bad.defs == frozenset()


def test_syntax_error_renders_as_unparsable_cell() -> None:
    text = adapter.render("", {}, [Cell(id="a", code="x = ("), Cell(id="b", code="y = 1")])
    assert "app._unparsable_cell(" in text
    parsed = adapter.parse_text(text, Path("u.py"))
    assert [c.kind for c in parsed.cells] == [CellKind.UNPARSABLE, CellKind.CELL]
    assert parsed.cells[0].code == "x = ("


@pytest.mark.parametrize(
    "path",
    [*[t for t in TUTORIALS if t.name != "__init__.py"], *sorted(TEMPLATES.glob("*.py"))],
    ids=lambda p: p.name,
)
def test_scan_of_rendered_text_agrees_with_the_parser(path: Path) -> None:
    text = _render_parsed(path.read_text(encoding="utf-8"), path)
    parsed = adapter.parse_text(text, path).cells
    scanned = adapter.scan_rendered(text)
    assert [(k, n or p.name, line) for (k, n, line), p in zip(scanned, parsed, strict=True)] == [
        (p.kind, p.name, p.lineno) for p in parsed
    ]


def test_scan_covers_every_kind() -> None:
    cells = [
        Cell(id="s", code="import math", name="setup", kind=CellKind.SETUP),
        Cell(
            id="f", code="def area(r):\n    return math.pi * r", name="area", kind=CellKind.FUNCTION
        ),
        Cell(id="u", code="x = (", name="broken"),
        Cell(id="c", code="y = area(1)", name="use", options={"hide_code": True}),
        Cell(id="k", code="class K:\n    pass", kind=CellKind.CLASS, name="K"),
    ]
    text = adapter.render("# header\n", {"width": "medium"}, cells)
    parsed = adapter.parse_text(text, Path("all.py")).cells
    scanned = adapter.scan_rendered(text)
    assert [p.kind for p in parsed] == [k for k, _, _ in scanned]
    assert [p.lineno for p in parsed] == [line for _, _, line in scanned]


def test_remembered_compiles_render_like_fresh_ones() -> None:
    # The same code twice with different options, and a cell that turns into a top-level
    # function and back: the compile cache must not carry config or ids between cells.
    cells = [
        Cell(id="a", code="x = 1", kind=CellKind.CELL, options={"hide_code": True}),
        Cell(id="b", code="x = 1", kind=CellKind.CELL),
        Cell(id="c", code="def f():\n    return 1", kind=CellKind.CELL),
        Cell(id="d", code="y = (", kind=CellKind.CELL),
    ]
    first = adapter.render("", {}, cells)
    again = adapter.render("", {}, cells)
    assert first == again
    assert first.count("@app.cell(hide_code=True)") == 1 and "@app.function" in first
    assert "app._unparsable_cell" in first
    adapter._COMPILED.clear()
    assert adapter.render("", {}, cells) == first
