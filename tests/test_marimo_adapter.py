"""The adapter over marimo's private parser, compiler and codegen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import marimo
import pytest

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook import marimo_render
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
    return marimo_render.render(parsed.header, parsed.app_options, cells)


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
    text = marimo_render.render("", {}, [Cell(id="a", code="x = ("), Cell(id="b", code="y = 1")])
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
    scanned = marimo_render.scan_rendered(text)
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
    text = marimo_render.render("# header\n", {"width": "medium"}, cells)
    parsed = adapter.parse_text(text, Path("all.py")).cells
    scanned = marimo_render.scan_rendered(text)
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
    first = marimo_render.render("", {}, cells)
    again = marimo_render.render("", {}, cells)
    assert first == again
    assert first.count("@app.cell(hide_code=True)") == 1 and "@app.function" in first
    assert "app._unparsable_cell" in first
    marimo_render._COMPILED.clear()
    assert marimo_render.render("", {}, cells) == first


def _marimo_render(header: str, app_options: dict[str, Any], cells: list[Cell]) -> str:
    """What marimo's own `generate_filecontents` writes for these cells, from scratch."""
    from marimo._ast.app_config import _AppConfig
    from marimo._ast.cell import CellConfig
    from marimo._ast.codegen import generate_filecontents

    names = [
        "setup"
        if c.kind is CellKind.SETUP
        else f"__toplevel__{c.name}"
        if c.kind in (CellKind.FUNCTION, CellKind.CLASS)
        else c.name
        for c in cells
    ]
    return str(
        generate_filecontents(
            codes=[c.code for c in cells],
            names=names,
            cell_configs=[CellConfig.from_dict(dict(c.options), warn=False) for c in cells],
            config=_AppConfig.from_untrusted_dict(dict(app_options), silent=True),
            header_comments=header or None,
        )
    )


SPLICE_BASE = [
    Cell(id="s", code="import math\nLIMIT: int = 3", kind=CellKind.SETUP, name="setup"),
    Cell(id="m", code="import marimo as mo", name="imports"),
    Cell(id="a", code="x: int = 1\ny = x + 1"),
    Cell(id="b", code="z = y * 2\nz", options={"hide_code": True}),
    Cell(id="c", code="def area(r):\n    return math.pi * r**2", kind=CellKind.FUNCTION),
    Cell(id="d", code='mo.md("# Title")'),
    Cell(id="e", code="async def go():\n    return 1\n\nw = await go()"),
    Cell(id="f", code="t = (", kind=CellKind.UNPARSABLE),
    Cell(id="g", code="q = z + LIMIT\nprint(q)", name="report"),
    Cell(id="h", code="q = 2"),
    Cell(id="i", code="print(x, y, q)"),
]

SPLICE_CODES = {
    # Same defs, refs and annotations as the base code: the block alone changes.
    "a": [
        "x: int = 5\ny = x + 10",
        "x: int = 1\ny = (x + 1)  # note",
        "x: float = 1\ny = x",
        "x: int = 1\ny: int = x",
    ],
    "b": [
        "z = y * 3\nz",
        "z = y\n# comment",
        "z = y * 2\nprint(z)",
        "import os\nz = y",
        "z: float = y * 2\nz",
    ],
    "d": ['mo.md("# Other")', 'mo.md(f"""\n## {math.pi}\n""")', "mo.md(r'\\n')"],
    "e": ["async def go():\n    return 2\n\nw = await go()", "w = 1", "def go():\n    return 1"],
    "g": ["q = z - LIMIT\nprint(q)", "q = z\nprint(q, LIMIT)", "q = 1", "def q():\n    return z"],
    "h": ["q = 3", "q = 2  # again", "def q():\n    return 2"],
    "m": ["import marimo as mo\nimport os", "import marimo as mo  # ui"],
}


@pytest.mark.parametrize("seed", range(6))
def test_one_cell_renders_splice_like_marimo_renders_the_whole_file(seed: int) -> None:
    import random

    rng = random.Random(seed)
    cells = list(SPLICE_BASE)
    header = "# /// script\n# dependencies = ['marimo']\n# ///" if seed % 2 else ""
    options = {"width": "medium"} if seed % 3 else {}
    assert marimo_render.render(header, options, cells) == _marimo_render(header, options, cells)
    spliced = 0
    real_generate = marimo_render._Rendered.generate
    generated: list[int] = []

    def spy(*args: object) -> object:
        generated.append(1)
        return real_generate(*args)  # type: ignore[arg-type]

    for _ in range(25):
        cell_id = rng.choice(sorted(SPLICE_CODES))
        at = next(i for i, c in enumerate(cells) if c.id == cell_id)
        cells[at] = Cell(
            id=cell_id,
            code=rng.choice([*SPLICE_CODES[cell_id], SPLICE_BASE[at].code]),
            name=cells[at].name,
            kind=cells[at].kind,
            options=cells[at].options,
        )
        generated.clear()
        marimo_render._Rendered.generate = spy  # type: ignore[method-assign,assignment]
        try:
            ours = marimo_render.render(header, options, cells)
        finally:
            marimo_render._Rendered.generate = real_generate  # type: ignore[method-assign]
        spliced += not generated
        assert ours == _marimo_render(header, options, cells)
    assert spliced >= 5  # the fast path was taken, not only the full render
