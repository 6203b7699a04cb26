"""The quick read (standard library only) gives the cells marimo's parser gives, or None.

Every notebook in the corpus — tests/corpus (hand-written files, and files written by marimo's
codegen), marimo's own tutorials and our templates — must be read quickly and agree with
`parse_text` on kind, code, name and line number. Random notebooks, rendered by marimo or
written the way people write them by hand, must agree or be refused; refusals must be rare.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import marimo
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook import marimo_render
from marimo_tui.notebook.model import UNNAMED, Cell
from marimo_tui.notebook.preview import quick_read
from tests.conftest import REPO, TEMPLATES
from tests.test_roundtrip_property import NAMES, OPTIONS, codes

CORPUS_DIR = Path(__file__).parent / "corpus"
TUTORIALS = sorted(
    p for p in (Path(marimo.__file__).parent / "_tutorials").glob("*.py") if p.name != "__init__.py"
)
CORPUS = sorted(CORPUS_DIR.glob("*.py")) + TUTORIALS + sorted(TEMPLATES.glob("*.py"))
HEAD = 'import marimo\n\n__generated_with = "0.25.2"\napp = marimo.App()\n\n\n'
GUARD = '\n\nif __name__ == "__main__":\n    app.run()\n'


@pytest.fixture(autouse=True)
def _quiet_marimo() -> None:
    logging.getLogger("marimo").setLevel(logging.ERROR)


def marimo_cells(text: str, path: Path = Path("nb.py")) -> list[tuple[Any, ...]]:
    return [(c.kind, c.code, c.name, c.lineno) for c in adapter.parse_text(text, path).cells]


def quick_cells(text: str) -> list[tuple[Any, ...]] | None:
    cells = quick_read(text)
    return None if cells is None else [(c.kind, c.code, c.name, c.lineno) for c in cells]


def test_corpus_is_complete() -> None:
    assert len(list(CORPUS_DIR.glob("*.py"))) >= 15
    assert len(list(CORPUS_DIR.glob("generated_*.py"))) >= 5
    assert len(TUTORIALS) >= 8
    assert len(list(TEMPLATES.glob("*.py"))) >= 3


@pytest.mark.parametrize("blank", ["", "\n\n  \n"], ids=["as-is", "blank-lines-around"])
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_quick_read_agrees_with_marimo(path: Path, blank: str) -> None:
    # Blank lines around the file shift marimo's line numbers (it counts from the stripped text).
    text = blank + path.read_text(encoding="utf-8") + blank
    quick = quick_cells(text)
    assert quick is not None, "the quick read refused a notebook it should handle"
    assert quick == marimo_cells(text, path)


def _cell(body: str, head: str = "@app.cell\ndef _():\n") -> str:
    return HEAD + head + body + GUARD


REFUSED = {
    "empty": "",
    "only blanks": "  \n\n\t\n",
    "plain script": "import os\nprint(os.getcwd())\n",
    "only a header": '"""Just a docstring."""\n# and a comment\n',
    "syntax error": "import marimo\napp = marimo.App(\n",
    "syntax error in a cell": _cell("    x = (\n    return\n"),
    "no App": "import marimo\nx = 1\n",
    "App under another alias": "import marimo as mo\napp = marimo.App()\n",
    "statement before the import": "x = 1\nimport marimo\napp = marimo.App()\n",
    "statement between cells": _cell("    return\n\n\nprint('stray')\n"),
    "run guard before a cell": HEAD + GUARD + "\n\n@app.cell\ndef _():\n    return\n",
    "body on the def line": _cell("", "@app.cell\ndef _(): x = 1; return\n"),
    "return on a statement's line": _cell("    x = 1; return\n"),
    "stacked decorators on a cell": _cell(
        "    return\n", "@app.cell\n@functools.cache\ndef _():\n"
    ),
    "unknown app decorator": _cell("    return\n", "@app.cells\ndef _():\n"),
    "another object's cell": _cell("    return\n", "@other.cell\ndef _():\n"),
    "decorator after a space": _cell("    return\n", "@ app.cell\ndef _():\n"),
    "other decorator first": _cell(
        "    return x\n", "@functools.cache\n@app.function\ndef f(x):\n"
    ),
    "cell decorator on a class": _cell("    pass\n", "@app.cell\nclass A:\n"),
    "function decorator on a class": _cell("    pass\n", "@app.function\nclass A:\n"),
    "class decorator on a def": _cell("    pass\n", "@app.class_definition\ndef f():\n"),
    "comment before a cell's def": _cell("    return\n", "@app.cell\n# why\ndef _():\n"),
    "parentheses in a signature": _cell("    return\n", "@app.cell\ndef _(a=(1, 2)):\n"),
    "string in a signature": _cell("    return\n", "@app.cell\ndef _(a='x'):\n"),
    "comment in a signature": _cell("    return\n", "@app.cell\ndef _(a,  # c\n      b):\n"),
    "setup after a cell": _cell("    return\n") + "\nwith app.setup:\n    import os\n",
    "setup header over lines": HEAD + "with app.setup(\n    hide_code=True,\n):\n    import os\n",
    "setup with a target": HEAD + "with app.setup as s:\n    import os\n",
    "other with block": HEAD + "with open('x') as f:\n    pass\n",
    "unparsable without a string": HEAD + "app._unparsable_cell(code)\n",
    "unparsable with an odd name": HEAD + 'app._unparsable_cell("x (", name=1)\n',
    "lone carriage return": _cell("    x = 1\r    return\n"),
    "form feed": _cell("    x = 1\n\f\n    return\n"),
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_quick_read_refuses_what_it_cannot_vouch_for(text: str) -> None:
    assert quick_read(text) is None


def test_importing_the_quick_read_does_not_import_marimo() -> None:
    code = (
        "import sys\n"
        "from marimo_tui.notebook.preview import quick_read\n"
        f"assert quick_read(open({str(TEMPLATES / 'minimal.py')!r}).read())\n"
        "print(sorted(m for m in sys.modules if m == 'marimo' or m.startswith('marimo.')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_thousand_cells_are_quick() -> None:
    # A loose bound, to catch a quadratic slip rather than to benchmark (about 0.07 s here).
    cells = "".join(
        f'\n\n@app.cell\ndef _(mo):\n    x{i} = {i}\n    mo.md(f"""\n    # {{x{i}}}\n    """)\n'
        "    return\n"
        for i in range(1000)
    )
    text = HEAD + "@app.cell\ndef _():\n    import marimo as mo\n    return (mo,)\n" + cells + GUARD
    start = time.perf_counter()
    result = quick_read(text)
    elapsed = time.perf_counter() - start
    assert result is not None and len(result) == 1001
    assert elapsed < 1.0


# -- random notebooks ----------------------------------------------------------------------------
def _agree_mostly(texts: list[str]) -> None:
    """Each is refused or agrees with marimo; at most one in five is refused."""
    refused = 0
    for text in texts:
        quick = quick_cells(text)
        if quick is None:
            refused += 1
        else:
            assert quick == marimo_cells(text), text
    assert refused <= len(texts) // 5, f"{refused} of {len(texts)} refused"


RENDERED = st.lists(
    st.tuples(codes(), st.one_of(st.just(UNNAMED), NAMES), OPTIONS),
    max_size=5,
    unique_by=lambda c: c[1] if c[1] != UNNAMED else object(),
).map(
    lambda cells: marimo_render.render(
        "", {}, [Cell(id=str(i), code=c, name=n, options=o) for i, (c, n, o) in enumerate(cells)]
    ).replace("\r\n", "\n")  # as `reader.decode` gives the text
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(RENDERED, min_size=10, max_size=10))
def test_notebooks_rendered_by_marimo(texts: list[str]) -> None:
    _agree_mostly(texts)


# Lines of code as people write them; "§" marks a line inside a string, left unindented.
Q = '"""'
# fmt: off
STATEMENTS = [
    "x = 1", "# comment", "  # shallow comment", "        # deep comment", "", "   ", "\t",
    "y = 'é' + \"ü\"  # trailing é", f"s = {Q}\nline\n§  less\n§flush\n{Q}", "w = (\n§1,\n§  2)",
    "t = '''a\n\n  b'''", f"u = f{Q}\n{{x}}\n{Q}", "if x:\n    z = 2\nelse:\n    z = 3",
    "def g():\n    return 1", "import os", "v = 'a' \\\n    'b'", "x = 1; y = 2",
    "k = ('''x\ny''' '''z\n§w''')", f"mo.md(r{Q}\n# Title\n\nText\n{Q})", "q = \"a\\\n§b\"",
    "r = b'''\n§bytes\n'''", f"ff = f'{{x}}' f{Q}\n{{y}}\n§{Q}", "lst = [\n    1,\n]",
    "s3 = '''\n§    \n§\t\n§  x\n'''", "§# col-0 comment", f"{Q}docstring\n  of cell{Q}",
]
SIGNATURES = [
    "def _():", "def _(mo):", "def named(a, b):", "async def _():", "def _(\n    a,\n    b,\n):",
    "def _():  # comment", "def _(a: int, b=2) -> None:",
]
# fmt: on
DECORATORS = ["@app.cell", "@app.cell(hide_code=True)", "@app.cell(\n    disabled=True,\n)"]


@st.composite
def handwritten(draw: st.DrawFn) -> str:
    def body(indent: str) -> list[str]:
        lines = "\n".join(draw(st.lists(st.sampled_from(STATEMENTS), max_size=4))).split("\n")
        return [ln[1:] if ln[:1] == "§" else indent + ln if ln.strip() else ln for ln in lines]

    out = [draw(st.sampled_from(["", '"""Docstring."""\n', "# comment\n"])) + "import marimo"]
    out += [draw(st.sampled_from(["", '__generated_with = "0.25.2"'])), "app = marimo.App()"]
    if draw(st.booleans()):
        indent = draw(st.sampled_from(["    ", "\t", "  "]))
        out += ["", "with app.setup:", indent + "import math", *body(indent)]
    for _ in range(draw(st.integers(0, 4))):
        indent = draw(st.sampled_from(["    ", "    ", "\t", "  ", "        "]))
        kind = draw(st.sampled_from(["cell", "cell", "cell", "function", "class", "unparsable"]))
        out += ["", ""]
        if kind == "function":
            out += ["@app.function", "def f(x):", *body(indent), indent + "return x"]
        elif kind == "class":
            out += ["@app.class_definition", "class C:", indent + "a = 1", *body(indent)]
        elif kind == "unparsable":
            out += ["app._unparsable_cell(", '    r"""', "    x = (", '    """,', ")"]
        else:
            out += [draw(st.sampled_from(DECORATORS)), draw(st.sampled_from(SIGNATURES))]
            lines = body(indent)
            if not any(ln.strip() and ln.lstrip()[:1] != "#" for ln in lines):
                lines.append(indent + "pass")  # a body of comments alone is a syntax error
            out += lines
            ret = draw(st.sampled_from(["return", "return (x,)", "", "# after\n"]))
            out += [indent + ln for ln in ret.split("\n")]
        out += draw(st.sampled_from([[], [indent + "# trailing comment"]]))
    if draw(st.booleans()):
        out.append(GUARD)
    return "\n".join(out) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(handwritten(), min_size=10, max_size=10))
def test_notebooks_written_by_hand(texts: list[str]) -> None:
    _agree_mostly(texts)


# -- following edits: only the changed cells are read again --------------------------------------
# Lines an edit may bring: cell starts, code, gaps, comments, and what changes how the rest of
# the file tokenizes (an open string or bracket, a line continuation).
EDIT_LINES = st.sampled_from(
    [
        "@app.cell",
        "def _():",
        "def _(mo):",
        "    x = 1",
        "    return",
        "    return (x,)",
        "",
        "# a comment",
        "    # an indented comment",
        '    s = """',
        '"""',
        "    y = (",
        "    )",
        "    z = 1 + \\",
        "@app.function",
        "def helper(a):",
        "class Thing:",
        '    mo.md(r"""',
        "    hello",
        '    """)',
        'app._unparsable_cell(r"""x ==""", name="_")',
    ]
)
EDIT = st.tuples(
    st.sampled_from(["insert", "delete", "replace", "duplicate"]),
    st.floats(0, 1),
    st.integers(1, 4),
    st.lists(EDIT_LINES, min_size=1, max_size=6),
)


def _edited(text: str, edit: tuple[str, float, int, list[str]]) -> str:
    kind, where, count, new = edit
    lines = text.split("\n")
    at = int(where * len(lines))
    if kind == "insert":
        lines[at:at] = new
    elif kind == "delete":
        del lines[at : at + count]
    elif kind == "replace":
        lines[at : at + count] = new
    else:
        lines[at:at] = lines[at : at + count]
    return "\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(CORPUS),
    edits=st.lists(EDIT, min_size=1, max_size=4),
)
def test_a_reread_after_edits_is_the_full_read(path: Path, edits: list[Any]) -> None:
    """Each edit's reread, from the read before it, gives what a read of the whole text gives:
    the same cells and stretches, or the same refusal."""
    from marimo_tui.notebook.preview import quick_reread

    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    before = quick_reread(text, None)
    for edit in edits:
        text = _edited(text, edit)
        full = quick_reread(text, None)
        again = quick_reread(text, before) if before is not None else full
        assert (
            (again.cells, again.starts) == (full.cells, full.starts)
            if full and again
            else (again is None and full is None)
        ), text
        before = full


def test_a_reread_parses_only_the_changed_cells() -> None:
    from marimo_tui.notebook import preview

    cells = "".join(f"\n\n@app.cell\ndef _():\n    x{i} = {i}\n    return\n" for i in range(300))
    text = HEAD + cells.lstrip("\n") + GUARD
    before = preview.quick_reread(text, None)
    assert before is not None
    edited = text.replace("x150 = 150", "x150 = 151\n    y = x150").replace("x7 = 7", "x7 = 8")
    parsed: list[int] = []
    real_parse = preview.ast.parse

    def counting_parse(source: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(source.count("\n") + 1)
        return real_parse(source, *args, **kwargs)

    preview.ast.parse = counting_parse  # type: ignore[assignment]
    try:
        again = preview.quick_reread(edited, before)
    finally:
        preview.ast.parse = real_parse  # type: ignore[assignment]
    full = preview.quick_reread(edited, None)
    assert again is not None and full is not None and again.cells == full.cells
    assert len(parsed) == 2 and sum(parsed) < 20, parsed  # the two changed cells, no more
