"""Property: store edit -> marimo codegen -> marimo parser keeps every cell's code, name, options.

A notebook made from `templates/blank.py` goes through a random sequence of store edits (add,
replace, rename, set options, delete, move). After every edit the file is read back from disk by a
fresh `NotebookStore`, and each cell must equal the store's model of it up to `normalise` below.

What marimo 0.25's codegen + parser round trip does to cell code (found empirically, by fuzzing
`render` against `parse_text`, and by reading `marimo/_ast/codegen.py`, `parse.py`, `dedent.py`,
`compiler.py`):

1. CRLF inside a cell's code comes back as LF (marimo's parser splits lines on \\r\\n, \\r, \\n).
2. Code that does not compile (stored as `app._unparsable_cell(r\"\"\"...\"\"\")`) comes back
   `str.strip()`-ed: leading and trailing blank lines and whitespace are dropped.
3. Code that compiles:
   a. every U+00A0 (no-break space) becomes a plain space -- `compile_cell` replaces it before
      codegen sees the code, string literals and comments included;
   b. if the code has any non-whitespace character and ends with "\\n", exactly ONE trailing "\\n"
      is dropped (the parser's dedent drops the body's final line break) -- unless the last
      top-level statement is an import, def or class ending on the code's last non-blank line:
      then codegen adds a blank line before `return` (ruff style) that the parser takes back,
      and the code is unchanged;
   c. whitespace-only code comes back unchanged (here: only "" and runs of "\\n").
4. Names: unchanged for ASCII identifiers and NFKC-normal non-ASCII ones that are not keywords.
5. Options: an option at marimo's default (hide_code/disabled/expand_output False, column None)
   is the same as an absent one (codegen omits defaults in `@app.cell(...)`; for unparsable
   cells it writes every key once any is not default).

The generated code covers unicode (non-BMP, combining marks, no-break space), 10k-char lines,
syntax errors, empty cells, comments, imports, defs/classes, triple-quoted strings, indentation
with spaces and tabs, trailing spaces, and CRLF. Deliberately outside the generator (each pinned
by an example test at the bottom):
- whitespace-only lines other than "" (marimo's codegen leaves them unindented and its parser
  eats 4 spaces, even inside string literals: the store indents them, so they survive);
- a first non-blank line that is indented (never compiles; dedented with marimo's fixed_dedent);
- lone \\r, C0/C1 control chars, U+2028/U+2029 (`textwrap.indent` splits lines on them and
  inserts 4 spaces inside string literals: the store writes such code as given);
- a cell whose whole code is one def/class (marimo makes it `@app.function`, named after it);
- `mo.md(...)` cells (codegen rewrites the call to a triple-quoted string, another string: the
  store writes the code as given where marimo's text would read back as other code).

Note that (3b) is not idempotent: code ending in k>1 newlines loses one per round trip, so only
code without trailing newlines (or ending in an import/def/class) is a fixed point. A store that
normalises on entry should therefore use `canonical` below, for which render->parse is the
identity (checked by `test_canonical_code_is_a_fixed_point`).
"""

from __future__ import annotations

import ast
import keyword
import logging
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook import marimo_render
from marimo_tui.notebook.errors import StoreError
from marimo_tui.notebook.model import UNNAMED, Cell, CellKind
from marimo_tui.notebook.store import NotebookStore, canonical_code

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
BLANK = (TEMPLATES / "blank.py").read_text(encoding="utf-8")
TEMPLATE_NAMES = sorted(p.name for p in TEMPLATES.glob("*.py"))
NB = "nb.py"

# marimo's CellConfig defaults; an option equal to its default is the same as an absent one.
OPTION_DEFAULTS: dict[str, Any] = {
    "column": None,
    "disabled": False,
    "hide_code": False,
    "expand_output": False,
}


# -- the normalisation -------------------------------------------------------------------------
def compiles(code: str) -> bool:
    """Whether marimo compiles a cell (else it is written as an unparsable cell).

    An oracle independent of the store: Python's own compiler, after marimo's NBSP replacement,
    with top-level await allowed like in a marimo cell.
    """
    try:
        compile(
            code.replace("\u00a0", " "),
            "<cell>",
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,
        )
    except (SyntaxError, ValueError):
        return False
    return True


def _ends_with_block_statement(code: str) -> bool:
    """marimo's `_needs_trailing_blank_line`: last statement is an import/def/class, at the end."""
    body = ast.parse(code).body
    if not body or not isinstance(
        body[-1],
        ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    ):
        return False
    return body[-1].end_lineno == code.rstrip().count("\n") + 1


def normalise(code: str) -> str:
    """The code marimo's parser gives back for `code` after marimo's codegen wrote it."""
    code = code.replace("\r\n", "\n")  # 1
    if not compiles(code):
        return code.strip()  # 2
    code = code.replace("\u00a0", " ")  # 3a
    if code.strip() and code.endswith("\n") and not _ends_with_block_statement(code):
        code = code[:-1]  # 3b
    return code  # 3c


def canonical(code: str) -> str:
    """A normalisation on entry after which render -> parse is the identity."""
    code = code.replace("\r\n", "\n")
    if not compiles(code):
        return code.strip()
    return code.replace("\u00a0", " ").rstrip("\n")


def normalise_options(options: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(options).items() if OPTION_DEFAULTS.get(k, object()) != v}


# -- strategies --------------------------------------------------------------------------------
# Any character but surrogates, control characters and line/paragraph separators: letters of
# every script, non-BMP (emoji, math alphanumerics), combining marks, no-break and other spaces.
CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))
SPECIALS = ["𝒳", "🐍", "e\u0301", "ñ", "\u00a0", "中文", "\U0001f600", "a\u0308\u0323", "ﬁ"]
PIECE = st.one_of(CHARS, CHARS, CHARS, st.sampled_from(SPECIALS))
TEXT = st.lists(PIECE, max_size=16).map("".join)
IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s)
)
LITERAL = st.one_of(st.integers().map(str), TEXT.map(repr), st.floats(allow_nan=False).map(repr))
# A line of text that is not whitespace at either end (so never a whitespace-only line).
FREE = (
    st.lists(PIECE, min_size=1, max_size=30)
    .map("".join)
    .filter(lambda s: s.strip() == s and s != "")
)
SAFE_IN_TRIPLE = FREE.filter(lambda s: "'" not in s and "\\" not in s)

STATEMENT = st.one_of(
    st.builds(lambda n, v: f"{n} = {v}", IDENT, LITERAL),
    st.builds(lambda t: f"# {t}".rstrip(), TEXT),
    st.builds(lambda n, v: f"print({n}, {v})  # {n}", IDENT, LITERAL),
    st.builds(lambda n: f"if {n}:\n    {n} = 1\nelse:\n\t{n} = 2", IDENT),
    st.builds(lambda n: f"def {n}():\n    return {n}", IDENT),
    st.builds(lambda n: f"class {n.title()}:\n    pass", IDENT),
    st.sampled_from(["import os", "from math import pi", "import os, sys as _s"]),
    st.builds(lambda t: f"s = '''{t}\n\n{t}\n  {t}'''", SAFE_IN_TRIPLE),
    # very long lines
    st.builds(
        lambda c, n: f"long = {c * n!r}", st.sampled_from(["x", "é", "🐍"]), st.integers(1, 10_000)
    ),
    st.builds(lambda c: "# " + c * 10_000, st.sampled_from(["-", "𝒳"])),
    # syntax errors
    st.builds(lambda n: f"{n} = (", IDENT),
    st.sampled_from(['s = """ (', "def (", "x = \\", "1 +", "return 1", "'''", ")", "a b c"]),
    # arbitrary text: nearly always a syntax error
    FREE,
    st.builds(lambda s, k: s + " " * k, FREE, st.integers(1, 3)),  # trailing spaces
).filter(lambda s: s.strip() != "")


@st.composite
def codes(draw: st.DrawFn) -> str:
    """Cell code: statements joined by newlines, some indented, blank lines around, maybe CRLF."""
    parts = draw(st.lists(st.one_of(STATEMENT, st.just("")), max_size=5))
    lines: list[str] = []
    seen_content = False
    for part in parts:
        indent = draw(st.sampled_from(["", "", "    ", "\t", "  "])) if seen_content else ""
        seen_content = seen_content or part != ""
        lines.extend(indent + x if x.strip() else x for x in part.split("\n"))
    code = "\n" * draw(st.integers(0, 2)) + "\n".join(lines) + "\n" * draw(st.integers(0, 3))
    if code.strip() and _is_one_definition(code):
        code = "x = 0\n" + code  # marimo would make it a top-level function: out of scope here
    if draw(st.integers(0, 4)) == 0:
        code = code.replace("\n", "\r\n")
    return code


def _is_one_definition(code: str) -> bool:
    try:
        body = ast.parse(code.replace("\u00a0", " ")).body
    except SyntaxError:
        return False
    return len(body) == 1 and isinstance(body[0], ast.FunctionDef | ast.ClassDef)


NAMES = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True),
    st.from_regex(r"_[a-z0-9][a-z0-9_]{0,5}", fullmatch=True),
    st.sampled_from(["données", "变量", "αβγ", "x_é", "Ω_1"]),
).filter(
    lambda s: (
        s.isidentifier()
        and not keyword.iskeyword(s)
        and s not in ("setup", "app", "marimo")
        and unicodedata.normalize("NFKC", s) == s
    )
)
OPTIONS = st.fixed_dictionaries(
    {}, optional={"hide_code": st.booleans(), "disabled": st.booleans()}
)

ADD = st.tuples(
    st.just("add"), codes(), st.one_of(st.just(UNNAMED), NAMES), OPTIONS, st.integers(0, 20)
)
OPS = st.one_of(
    ADD,
    ADD,
    st.tuples(st.just("replace"), st.integers(0, 20), codes()),
    st.tuples(st.just("rename"), st.integers(0, 20), st.one_of(st.just(UNNAMED), NAMES)),
    st.tuples(st.just("options"), st.integers(0, 20), OPTIONS),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("move"), st.integers(0, 20), st.integers(0, 20)),
)


# -- the property ------------------------------------------------------------------------------
def _check_disk(root: Path, model: list[Any]) -> None:
    """Read the file with a fresh store; every cell must be the model's, normalised."""
    disk = NotebookStore(root, root / ".fresh-state").read(NB).cells
    assert len(disk) == len(model)
    for i, (want, got) in enumerate(zip(model, disk, strict=True)):
        where = f"cell {i} ({want.id}) code {want.code!r}"
        assert got.code == normalise(want.code), where
        assert got.name == want.name, where
        assert normalise_options(got.options) == normalise_options(want.options), where
        # marimo makes a cell that only defines a pure function an `@app.function` itself.
        kinds = {CellKind.CELL, CellKind.FUNCTION} if compiles(want.code) else {CellKind.UNPARSABLE}
        assert got.kind in kinds, where
        assert want.kind is got.kind, where


def _apply(store: NotebookStore, root: Path, expected: list[dict[str, Any]], op: tuple) -> None:
    """Apply one edit through the store and to `expected` (our own model of the cells)."""
    cells = store.notebook(NB).cells
    kind = op[0]
    if kind in ("replace", "rename", "options", "delete", "move") and not cells:
        return
    if kind == "add":
        _, code, name, options, at = op
        anchor: dict[str, str] = {}
        pos = 0
        if cells:  # after or before an existing cell, by id
            i = at % len(cells)
            where = "after" if at % 2 else "before"
            anchor = {where: cells[i].id}
            pos = i + 1 if where == "after" else i
        if name != UNNAMED and any(c.name == name for c in cells):
            _refused(
                store, root, lambda: store.add_cell(NB, code, name=name, options=options, **anchor)
            )
            return
        result = store.add_cell(NB, code, name=name, options=options, **anchor)
        expected.insert(pos, {"code": canonical(code), "name": name, "options": dict(options)})
        assert result.notebook.cells[pos].id == result.cell_id
    elif kind == "replace":
        i = op[1] % len(cells)
        result = store.replace_cell(NB, cells[i].id, op[2])
        expected[i]["code"] = canonical(op[2])
        if cells[i].kind in DEFINED:
            # A function or class cell is named by its definition, as marimo names it: the
            # new one's, or `_` once its code is no longer one lone definition.
            now = result.notebook.cells[i]
            expected[i]["name"] = now.name if now.kind in DEFINED else UNNAMED
            if now.kind in DEFINED:
                assert now.name == ast.parse(now.code).body[-1].name  # type: ignore[attr-defined]
    elif kind == "rename":
        i, name = op[1] % len(cells), op[2]
        if cells[i].kind in DEFINED:
            _refused(
                store, root, lambda: store.rename_cell(NB, cells[i].id, name), "top-level function"
            )
            return
        if name != UNNAMED and any(c.name == name and c.id != cells[i].id for c in cells):
            _refused(store, root, lambda: store.rename_cell(NB, cells[i].id, name))
            return
        store.rename_cell(NB, cells[i].id, name)
        expected[i]["name"] = name
    elif kind == "options":
        i = op[1] % len(cells)
        store.set_cell_options(NB, cells[i].id, **op[2])
        expected[i]["options"].update(op[2])
    elif kind == "delete":
        i = op[1] % len(cells)
        store.delete_cell(NB, cells[i].id)
        del expected[i]
    elif kind == "move":
        i, to = op[1] % len(cells), op[2] % len(cells)
        store.move_cell(NB, cells[i].id, to)
        expected.insert(to, expected.pop(i))


DEFINED = (CellKind.FUNCTION, CellKind.CLASS)


def _refused(store: NotebookStore, root: Path, edit: Any, why: str = "already exists") -> None:
    before = (root / NB).read_bytes()
    with pytest.raises(StoreError, match=why):
        edit()
    assert (root / NB).read_bytes() == before


LONG = "s = '𝒳e\u0301🐍' + " + repr("é" * 10_000) + "  # " + "ﬁ" * 10_000 + "\n\n"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(template=st.sampled_from(TEMPLATE_NAMES), ops=st.lists(OPS, min_size=1, max_size=12))
@example(template="cleaning-pipeline.py", ops=[("replace", 7, "")])  # a function cell demoted
@example(template="cleaning-pipeline.py", ops=[("rename", 7, "_")])  # named by its def: refused
@example(
    template="blank.py",
    ops=[
        ("add", LONG, "big", {"hide_code": True}, 1),
        ("add", "x = (\r\n  1 +\n\n", UNNAMED, {"disabled": True}, 1),
        ("add", "\n\n", "vide", {}, 0),
        ("replace", 0, ""),
        ("rename", 1, "données"),
        ("options", 1, {"hide_code": False, "disabled": True}),
        ("options", 2, {"hide_code": True}),
        ("add", "import os\n", "big", {}, 0),  # refused: the name is taken
        ("move", 2, 0),
        ("replace", 3, "y = 'a\u00a0b'\n"),
        ("delete", 1),
        ("rename", 0, UNNAMED),
    ],
)
def test_edits_round_trip_through_the_file(template: str, ops: list[tuple]) -> None:
    logging.getLogger("marimo").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = NotebookStore(root)
        first = store.create(NB, (TEMPLATES / template).read_text(encoding="utf-8"))
        expected = [
            {"code": c.code, "name": c.name, "options": dict(c.options)} for c in first.cells
        ]
        for op in ops:
            _apply(store, root, expected, op)
            model = store.notebook(NB).cells
            # The store's model holds what was asked for, in canonical form ...
            assert [(c.code, c.name, normalise_options(c.options)) for c in model] == [
                (e["code"], e["name"], normalise_options(e["options"])) for e in expected
            ]
            # ... and the file holds it up to marimo's normalisation.
            _check_disk(root, model)


@settings(max_examples=300, deadline=None)
@given(code=codes())
def test_normalise_matches_marimo(code: str) -> None:
    """The normalisation rule, checked against marimo alone (no files): cheap, so many examples."""
    logging.getLogger("marimo").setLevel(logging.ERROR)
    cell = Cell(id="c1", code=code)  # raw: what marimo alone does
    parsed = adapter.parse_text(marimo_render.render("", {}, [cell]), Path("x.py")).cells
    assert [(p.code, p.name) for p in parsed] == [(normalise(code), UNNAMED)]


@settings(max_examples=300, deadline=None)
@given(code=codes())
def test_canonical_code_is_a_fixed_point(code: str) -> None:
    logging.getLogger("marimo").setLevel(logging.ERROR)
    fixed = canonical(code)
    assert canonical_code(code) == fixed  # the store's rule is this one
    assert normalise(fixed) == fixed
    parsed = adapter.parse_text(
        marimo_render.render("", {}, [Cell(id="c1", code=fixed)]), Path("x.py")
    )
    assert parsed.cells[0].code == fixed


# -- the rule, on examples -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("x = 1", "x = 1"),
        ("x = 1\n", "x = 1"),
        ("x = 1\n\n\n", "x = 1\n\n"),
        ("\n\nx = 1", "\n\nx = 1"),
        ("x = 1   ", "x = 1   "),
        ("x = 1\r\ny = 2\r\n", "x = 1\ny = 2"),
        ("# only a comment\n", "# only a comment"),
        ("import os\n", "import os\n"),
        ("import os\n# trailing comment\n", "import os\n# trailing comment"),
        ("x = 0\ndef f():\n    pass\n\n", "x = 0\ndef f():\n    pass\n\n"),
        ("", ""),
        ("\n\n", "\n\n"),
        ("x = 'a\u00a0b'\n", "x = 'a b'"),
        ("x = (\n", "x = ("),
        ("\n\n  x = (  \n\n", "x = ("),
        ("x = 'a\u00a0b' (", "x = 'a\u00a0b' ("),
        ('s = """ (\n', 's = """ ('),
        ("y = '𝒳e\u0301🐍'", "y = '𝒳e\u0301🐍'"),
    ],
)
def test_normalisation_examples(code: str, expected: str) -> None:
    assert normalise(code) == expected
    cell = Cell(id="c1", code=code)  # raw: what marimo alone does
    parsed = adapter.parse_text(marimo_render.render("", {}, [cell]), Path("x.py")).cells
    assert parsed[0].code == expected


def _through_store(code: str, **kwargs: Any) -> tuple[Any, Any]:
    """(model cell, cell read back from disk by a fresh store) after adding `code`."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = NotebookStore(root)
        store.create(NB, BLANK)
        model = store.add_cell(NB, code, **kwargs).notebook.cells[-1]
        disk = NotebookStore(root, root / ".fresh-state").read(NB).cells[-1]
        return model, disk


def test_single_definition_becomes_a_top_level_function() -> None:
    """marimo's own choice: the cell is written as `@app.function` named after the def."""
    model, disk = _through_store("def helper():\n    return 1", name="named")
    assert (disk.kind, disk.name, disk.code) == (CellKind.FUNCTION, "helper", model.code)
    assert (model.kind, model.name) == (disk.kind, disk.name)  # the store reports what it wrote


def test_markdown_cell_is_kept_as_given_where_codegen_would_change_its_string() -> None:
    # marimo writes `mo.md("""\n# Title\n""")`: another string. The store writes it as given.
    model, disk = _through_store("mo.md('# Title')")
    assert disk.code == model.code == "mo.md('# Title')"


# marimo's codegen (textwrap.indent) splits at these and puts 4 spaces inside string literals;
# the store writes such a cell's code as given.
@pytest.mark.parametrize("sep", ["\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\u2029"])
def test_line_separator_like_chars_in_strings_survive(sep: str) -> None:
    model, disk = _through_store(f"x = 'a{sep}b'")
    assert disk.code == model.code


# marimo writes whitespace-only lines unindented and dedents them on reading, inside string
# literals too; the store indents them.
def test_whitespace_only_lines_in_strings_survive() -> None:
    model, disk = _through_store("x = '''\n      \n\t\n'''")
    assert disk.code == model.code


def test_resave_by_a_fresh_store_keeps_other_cells() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = NotebookStore(root)
        store.create(NB, BLANK)
        store.add_cell(NB, "x = 1\n\n\n", name="kept")
        first = NotebookStore(root, root / ".b").read(NB).cells[-1].code  # "x = 1\n\n"
        NotebookStore(root, root / ".c").replace_cell(NB, "#1", "y = 2")  # edits another cell
        assert NotebookStore(root, root / ".d").read(NB).cells[-1].code == first


def test_crlf_in_code_does_not_change_the_files_line_endings() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = NotebookStore(root)
        store.create(NB, BLANK)
        store.add_cell(NB, "a = 1\r\nb = 2")
        NotebookStore(root, root / ".b").add_cell(NB, "c = 3")
        assert b"\r\n" not in (root / NB).read_bytes()


@pytest.mark.parametrize("name", ["if", "None", "True", "class"])
def test_keyword_names_are_refused(name: str) -> None:
    with pytest.raises(StoreError):
        _through_store("y = 1", name=name)


@pytest.mark.parametrize("name", ["ﬁle", "𝒳"])
def test_non_nfkc_names_round_trip_or_are_refused(name: str) -> None:
    try:
        model, disk = _through_store("y = 1", name=name)
    except StoreError:
        return
    assert disk.name == model.name


def test_nul_in_code_is_refused_or_round_trips() -> None:
    try:
        model, disk = _through_store("x = '\x00'")
    except StoreError:
        return
    assert disk.code == model.code


def test_lone_surrogate_is_a_store_error() -> None:
    with pytest.raises(StoreError):
        _through_store("x = '\ud800'")
