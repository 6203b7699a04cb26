"""Store writes change only the cells they concern; every other byte of the file stays.

Each test writes a notebook laid out the way people (and older marimo versions) write them, makes
one store edit, and checks the exact bytes outside the edited cell, what marimo's parser reads
back, and that undo restores the original bytes.
"""

from __future__ import annotations

import codecs
import difflib
import logging
import sys
from pathlib import Path

import pytest

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook.errors import StoreError
from marimo_tui.notebook.model import CellKind
from marimo_tui.notebook.store import NotebookStore

HAND = '''"""A notebook written by hand, and by marimo 0.1."""

import marimo

__generated_with = "0.1.0"
app = marimo.App(width="full")


@app.cell
def __():
    import marimo as mo
    return mo,


# A comment between cells, about the next one.
@app.cell
def intro(mo):
    mo.md(r"""
    # Title with ""quotes"" and a \\"""escaped""\\" run
    A hard break follows:<sp><sp>
    and a\\tliteral tab escape, and a continuation \\
    line.
    """)
    return


@app.cell
def numbers(  mo ):
    x = 1
    y = x + 1   # trailing spaces next<sp><sp><sp>
    return x, y


@app.cell(hide_code=True)
def _(x, y):
    total = x + y
    total
    return total,


if __name__ == "__main__":
    app.run()
'''.replace("<sp>", " ")  # (trailing spaces, kept out of this file's lines)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    logging.getLogger("marimo").setLevel(logging.ERROR)


def _store(tmp_path: Path, text: str | bytes, name: str = "nb.py") -> tuple[NotebookStore, Path]:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return NotebookStore(tmp_path), path


def _changed(old: str, new: str) -> tuple[list[str], list[str]]:
    """Lines removed from `old` and lines added in `new`."""
    gone: list[str] = []
    came: list[str] = []
    matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            gone += old.splitlines()[i1:i2]
            came += new.splitlines()[j1:j2]
    return gone, came


def _reads(path: Path) -> list[tuple[str, str]]:
    parsed = adapter.parse_text(path.read_text(encoding="utf-8-sig"), path)
    return [(c.name, c.code) for c in parsed.cells]


def test_an_edit_changes_only_the_edited_cell(tmp_path: Path) -> None:
    store, path = _store(tmp_path, HAND)
    before = _reads(path)
    store.edit_cell(path, "numbers", "x = 1", "x = 10")
    text = path.read_text()
    gone, came = _changed(HAND, text)
    # Only the line the edit changed: the signature and return stay (same names in and out).
    assert (gone, came) == (["    x = 1"], ["    x = 10"])
    assert '__generated_with = "0.1.0"' in text and "def __():" in text
    after = _reads(path)
    assert after[2] == ("numbers", before[2][1].replace("x = 1", "x = 10"))
    assert [c for i, c in enumerate(after) if i != 2] == [c for i, c in enumerate(before) if i != 2]
    store.undo(path)
    assert path.read_text() == HAND


def test_markdown_nobody_touched_keeps_its_quotes_breaks_and_escapes(tmp_path: Path) -> None:
    store, path = _store(tmp_path, HAND)
    store.set_cell_options(path, "numbers", hide_code=True)
    text = path.read_text()
    start = HAND.index("# A comment between cells")
    end = HAND.index("@app.cell\ndef numbers")
    assert HAND[start:end] in text  # the comment and the markdown cell, byte for byte
    assert "A hard break follows:  \n" in text and "\\tliteral" in text and "\\\n" in text
    assert _changed(HAND, text) == (["@app.cell"], ["@app.cell(hide_code=True)"])


def test_delete_move_and_add_keep_the_other_cells_and_comments(tmp_path: Path) -> None:
    store, path = _store(tmp_path, HAND)
    nb = store.read(path)
    last = nb.cells[-1].id
    store.delete_cell(path, last)
    gone, came = _changed(HAND, path.read_text())
    assert came == [] and gone[0] == "@app.cell(hide_code=True)" and len(gone) == 7
    store.undo(path)
    # A moved cell takes only its own lines: comments between cells stay where they are.
    store.move_cell(path, "intro", 3)
    text = path.read_text()
    gone, came = _changed(HAND, text)
    assert sorted(filter(str.strip, gone)) == sorted(filter(str.strip, came))
    assert "# A comment between cells, about the next one." not in gone
    assert text.index("def __():") < text.index("# A comment between") < text.index("def numbers")
    assert sorted(_reads(path)) == sorted(_reads(tmp_path / "nb.py"))
    store.undo(path)
    assert path.read_text() == HAND
    store.add_cell(path, "z = 3", after="numbers")
    gone, came = _changed(HAND, path.read_text())
    assert gone == [] and came == ["@app.cell", "def _():", "    z = 3", "    return", "", ""]
    store.undo(path)
    assert path.read_text() == HAND


def test_an_edited_markdown_cell_keeps_its_text(tmp_path: Path) -> None:
    # marimo would write this cell's text again with `""` as `"\\"` and no hard break.
    store, path = _store(tmp_path, HAND)
    code = store.read(path).find("intro").code  # type: ignore[union-attr]
    store.edit_cell(path, "intro", "# Title", "# Heading")
    assert store.read(path).find("intro").code == code.replace("# Title", "# Heading")  # type: ignore[union-attr]
    gone, came = _changed(HAND, path.read_text())
    assert [line.replace("Title", "Heading") for line in gone] == came
    # marimo would write `mo.md("# Plain")` as `mo.md("""\n# Plain\n""")`, another string.
    store.replace_cell(path, "intro", 'mo.md("# Plain")')
    assert 'def intro(mo):\n    mo.md("# Plain")\n    return\n' in path.read_text()


def test_a_rename_rewrites_only_the_def_line(tmp_path: Path) -> None:
    store, path = _store(tmp_path, HAND)
    store.rename_cell(path, "intro", "introduction")
    gone, came = _changed(HAND, path.read_text())
    assert gone == ["def intro(mo):"] and came == ["def introduction(mo):"]


def test_the_first_cell_of_an_empty_notebook(tmp_path: Path) -> None:
    text = (
        'import marimo\n\n__generated_with = "0.8.0"\napp = marimo.App()\n\n\n'
        'if __name__ == "__main__":\n    app.run()\n'
    )
    store, path = _store(tmp_path, text)
    result = store.add_cell(path, "x = 1")
    new = path.read_text()
    assert "full render" not in (result.entry.detail if result.entry else "")
    assert new.startswith('import marimo\n\n__generated_with = "0.8.0"\napp = marimo.App()\n\n\n')
    assert new.endswith('    x = 1\n    return\n\n\nif __name__ == "__main__":\n    app.run()\n')
    assert _reads(path) == [("_", "x = 1")]
    store.delete_cell(path, result.cell_id or "")
    assert _reads(path) == []


def test_crlf_and_bom_stay_and_other_lines_are_untouched(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + HAND.replace("\n", "\r\n").encode()
    store, path = _store(tmp_path, data)
    store.edit_cell(path, "numbers", "x = 1", "x = 2")
    new = path.read_bytes()
    assert new.startswith(codecs.BOM_UTF8) and new.count(b"\n") == new.count(b"\r\n")
    gone, came = _changed(data.decode("utf-8-sig"), new.decode("utf-8-sig"))
    assert (gone, came) == (["    x = 1"], ["    x = 2"])
    store.undo(path)
    assert path.read_bytes() == data


NEWER = """import marimo

__generated_with = "0.13.0"
app = marimo.App()


@app.cell
def _():
    type Vec = list[float]
    names = ["a", "b"]
    label = f"{", ".join(names)}"
    return


@app.cell
def _():
    y = 2
    return (y,)


if __name__ == "__main__":
    app.run()
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the cell compiles on this Python")
def test_a_cell_for_a_newer_python_is_kept_as_written(tmp_path: Path) -> None:
    store, path = _store(tmp_path, NEWER)
    nb = store.read(path)
    assert nb.cells[0].error == "needs Python ≥ 3.12 (running 3.11)"
    store.replace_cell(path, nb.cells[1].id, "y = 3")
    assert NEWER[: NEWER.index("@app.cell\ndef _():\n    y")] in path.read_text()
    # Its own edit writes it as a cell around the code as it is, not an unparsable cell.
    code = nb.cells[0].code.replace("list[float]", "tuple[float, float]")
    result = store.replace_cell(path, nb.cells[0].id, code)
    text = path.read_text()
    assert "_unparsable_cell" not in text and "    type Vec = tuple[float, float]\n" in text
    assert result.warnings == [
        f"cell {nb.cells[0].id} needs Python ≥ 3.12 (running 3.11); kept as written"
    ]
    assert store.read(path).cells[0].code == code
    store.set_cell_options(path, nb.cells[0].id, hide_code=True)
    assert "@app.cell(hide_code=True)\ndef _():\n    type Vec" in path.read_text()


def test_a_cell_with_a_syntax_error_does_not_stop_a_splice(tmp_path: Path) -> None:
    broken = HAND.replace("    total = x + y\n", "    total = (x +\n")
    store, path = _store(tmp_path, broken)
    store.edit_cell(path, "numbers", "x = 1", "x = 5")
    gone, _ = _changed(broken, path.read_text())
    assert gone == ["    x = 1"]


def test_app_options_change_only_the_app_line_and_a_header_renders_all(tmp_path: Path) -> None:
    store, path = _store(tmp_path, HAND)
    nb = store.read(path).copy()
    nb.app_options = {"width": "medium"}
    result = store.save(nb)
    assert _changed(HAND, path.read_text()) == (
        ['app = marimo.App(width="full")'],
        ['app = marimo.App(width="medium")'],
    )
    assert result.entry is not None and "full render" not in result.entry.detail
    nb = store.notebook(path).copy()
    nb.header = '"""Another header."""'
    result = store.save(nb)
    assert result.entry is not None
    assert result.entry.detail == "full render: the header changed"


def test_a_top_level_function_cannot_be_renamed_by_name(tmp_path: Path) -> None:
    text = HAND.replace(
        "@app.cell(hide_code=True)", "@app.function\ndef helper(a):\n    return a\n\n\n@app.cell"
    )
    store, path = _store(tmp_path, text)
    cell = store.read(path).find("helper")
    assert cell is not None and cell.kind is CellKind.FUNCTION
    with pytest.raises(StoreError, match="rename the function in the cell's code"):
        store.rename_cell(path, "helper", "other")
    assert path.read_text() == text


NEWER_KINDS = """import marimo

app = marimo.App()

with app.setup(hide_code=True):
    type Pair = tuple[int, int]


@app.class_definition
class Point:
    type Coord = float

    def __init__(self, x: float) -> None:
        self.x = x


@app.cell(hide_code=True)
def shown(mo):
    label = f"{", ".join(["a", "b"])}"
    return


if __name__ == "__main__":
    app.run()
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the cells compile on this Python")
def test_newer_python_cells_keep_their_kind_options_and_whole_code(tmp_path: Path) -> None:
    # marimo's scanner keeps only the body of each (and drops `hide_code`): read here as a
    # newer Python's marimo reads them, so that a write keeps a class a class.
    store, path = _store(tmp_path, NEWER_KINDS)
    setup, point, shown = store.read(path).cells
    assert (setup.kind, setup.options) == (CellKind.SETUP, {"hide_code": True})
    assert point.kind is CellKind.CLASS and point.code.startswith("class Point:\n")
    assert (shown.name, shown.options) == ("shown", {"hide_code": True})
    assert {c.error for c in (setup, point, shown)} == {"needs Python ≥ 3.12 (running 3.11)"}
    store.replace_cell(path, point.id, point.code.replace("self.x = x", "self.x = 2 * x"))
    store.replace_cell(path, setup.id, setup.code + "\ntype Triple = tuple[int, int, int]")
    store.rename_cell(path, shown.id, "label_cell")
    gone, came = _changed(NEWER_KINDS, path.read_text())
    assert gone == ["        self.x = x", "def shown(mo):"]
    assert came == [
        "    type Triple = tuple[int, int, int]",
        "        self.x = 2 * x",
        "def label_cell(mo):",
    ]
    again = NotebookStore(tmp_path, tmp_path / ".fresh").read(path).cells
    assert [(c.kind, c.options) for c in again] == [
        (c.kind, c.options) for c in (setup, point, shown)
    ]


def test_a_function_renamed_in_its_code_takes_its_new_name(tmp_path: Path) -> None:
    text = HAND.replace(
        "@app.cell(hide_code=True)", "@app.function\ndef helper(a):\n    return a\n\n\n@app.cell"
    )
    store, path = _store(tmp_path, text)
    cell = store.read(path).find("helper")
    assert cell is not None
    result = store.replace_cell(path, cell.id, "def helper2(a):\n    return a")
    assert result.notebook.get(cell.id).name == "helper2"
    fresh = NotebookStore(tmp_path, tmp_path / ".fresh").read(path)
    assert [c.name for c in fresh.cells] == [c.name for c in result.notebook.cells]
    assert _changed(text, path.read_text()) == (["def helper(a):"], ["def helper2(a):"])
