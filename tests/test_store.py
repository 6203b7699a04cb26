"""NotebookStore edit operations, confinement and file-format fidelity."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from marimo_tui.notebook.errors import StoreError
from marimo_tui.notebook.model import CellKind
from marimo_tui.notebook.reader import read_notebook
from marimo_tui.notebook.store import NotebookStore
from tests.conftest import TEMPLATES


@pytest.fixture
def project(tmp_path: Path) -> tuple[NotebookStore, Path]:
    path = tmp_path / "nb.py"
    path.write_text((TEMPLATES / "minimal.py").read_text())
    return NotebookStore(tmp_path), path


def test_edit_operations_write_real_notebooks(project: tuple[NotebookStore, Path]) -> None:
    store, path = project
    first = store.read(path).cells[0].id
    r = store.add_cell(path, "x = 1", after=first, name="load")
    assert r.cell_id and r.notebook.get(r.cell_id).defs == {"x"}
    r = store.add_cell(path, "y = x * 2\ny")
    y_id = r.cell_id
    assert y_id is not None
    assert r.stale == {y_id}
    r = store.replace_cell(path, "load", "x = 10")
    assert r.stale == {r.cell_id, y_id}
    r = store.edit_cell(path, y_id, "x * 2", "x * 3")
    assert "x * 3" in r.notebook.get(y_id).code
    r = store.rename_cell(path, y_id, "double")
    r = store.set_cell_options(path, "double", hide_code=True)
    r = store.move_cell(path, "double", 0)
    assert r.notebook.cells[0].name == "double"

    disk = read_notebook(path)
    assert [(c.name, c.code, dict(c.options)) for c in disk.cells] == [
        (c.name, c.code, dict(c.options)) for c in r.notebook.cells
    ]
    assert [c.lineno for c in disk.cells] == [c.lineno for c in r.notebook.cells]
    assert disk.cells[0].options == {"hide_code": True}

    r = store.delete_cell(path, "load")
    assert "load" not in [c.name for c in read_notebook(path).cells]
    # The reader of the deleted definition must rerun.
    assert r.stale == {r.notebook.find("double").id}  # type: ignore[union-attr]


def test_syntax_error_is_stored_as_unparsable_and_reported(
    project: tuple[NotebookStore, Path],
) -> None:
    store, path = project
    r = store.add_cell(path, "def broken(:\n    pass")
    assert r.warnings and "syntax error" in r.warnings[0]
    assert "app._unparsable_cell(" in path.read_text()
    disk = read_notebook(path).cells[-1]
    assert disk.kind is CellKind.UNPARSABLE and disk.code == "def broken(:\n    pass"
    # Fixing it turns it back into a normal cell.
    r = store.replace_cell(path, r.cell_id or "", "fixed = 1")
    assert not r.warnings
    assert read_notebook(path).cells[-1].kind is CellKind.CELL
    # marimo's codegen makes a cell that only defines a pure function a top-level function;
    # the model follows what was written.
    r = store.replace_cell(path, r.cell_id or "", "def fixed():\n    pass")
    model, disk = r.notebook.cells[-1], read_notebook(path).cells[-1]
    assert (model.kind, model.name, model.lineno) == (CellKind.FUNCTION, "fixed", disk.lineno)
    assert disk.kind is CellKind.FUNCTION


def test_bad_requests_are_refused_and_write_nothing(project: tuple[NotebookStore, Path]) -> None:
    store, path = project
    before = path.read_bytes()
    with pytest.raises(StoreError, match="no cell 'nope'"):
        store.replace_cell(path, "nope", "x = 1")
    with pytest.raises(StoreError, match="not found"):
        store.edit_cell(path, "#1", "this text is absent", "x")
    with pytest.raises(StoreError, match="invalid cell name"):
        store.rename_cell(path, "#1", "not an identifier")
    with pytest.raises(StoreError, match="unknown cell option"):
        store.set_cell_options(path, "#1", colour="red")
    store.rename_cell(path, "#1", "imports")
    after_rename = path.read_bytes()
    with pytest.raises(StoreError, match="already exists"):
        store.rename_cell(path, "#2", "imports")
    assert path.read_bytes() == after_rename != before


def test_writes_are_confined_to_the_project(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    outside = tmp_path / "outside.py"
    outside.write_text((TEMPLATES / "blank.py").read_text())
    (root / "link.py").symlink_to(outside)
    store = NotebookStore(root)
    for bad in ("../outside.py", str(outside), "link.py", "sub/../../outside.py"):
        with pytest.raises(StoreError, match="outside the project"):
            store.add_cell(bad, "x = 1")
    with pytest.raises(StoreError, match="outside the project"):
        store.create("../new.py", "import marimo\n")
    assert outside.read_text() == (TEMPLATES / "blank.py").read_text()


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    text = (TEMPLATES / "blank.py").read_text()
    store.create("a.py", text)
    (tmp_path / "b.py").write_text("keep me")
    with pytest.raises(StoreError, match="already exists"):
        store.create("b.py", text)
    assert (tmp_path / "b.py").read_text() == "keep me"


def test_permissions_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    text = (TEMPLATES / "minimal.py").read_text()
    path = tmp_path / "win.py"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    os.chmod(path, 0o640)
    store = NotebookStore(tmp_path)
    store.add_cell(path, "x = 1\ny = 2")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert read_notebook(path).cells[-1].code == "x = 1\ny = 2"


def test_undo_group_reverts_a_whole_turn(project: tuple[NotebookStore, Path]) -> None:
    store, path = project
    original = path.read_bytes()
    with store.grouped("turn-1"):
        store.add_cell(path, "a = 1")
        store.add_cell(path, "b = a")
        store.create("other.py", (TEMPLATES / "blank.py").read_text())
    store.add_cell(path, "c = 3")  # a later write outside the group
    with pytest.raises(StoreError, match="changed since"):
        store.undo_group("turn-1")
    store.undo(path)
    store.undo_group("turn-1")
    assert path.read_bytes() == original
    assert not (path.parent / "other.py").exists()
    with pytest.raises(StoreError, match="nothing to undo"):
        store.undo_group("turn-1")


def test_reload_keeps_ids_after_external_edit(project: tuple[NotebookStore, Path]) -> None:
    store, path = project
    r = store.add_cell(path, "value = 41")
    target = r.cell_id
    text = path.read_text().replace("value = 41", "value = 42")
    text = text.replace(
        "@app.cell\ndef _():\n    import marimo",
        "@app.cell\ndef _():\n    z = 0\n    return\n\n\n@app.cell\ndef _():\n    import marimo",
        1,
    )
    path.write_text(text)
    nb = store.read(path)
    assert len(nb.cells) == 4
    moved = nb.get(target or "")
    assert moved.code == "value = 42"


def test_keep_mine_after_a_conflict_overwrites_only_with_consent(
    project: tuple[NotebookStore, Path],
) -> None:
    from marimo_tui.notebook.errors import ConflictError
    from marimo_tui.notebook.model import text_hash

    store, path = project
    store.add_cell(path, "mine = 1", name="edited")
    ours = store.notebook(path)
    theirs = path.read_text().replace("mine = 1", "theirs = 2")
    path.write_text(theirs)
    with pytest.raises(ConflictError):
        store.replace_cell(path, "edited", "mine = 3")
    # The user looked at both and chose theirs as the base for keeping ours.
    result = store.save(ours, base=text_hash(theirs.encode()))
    assert "mine = 1" in path.read_text() and "theirs" not in path.read_text()
    assert result.changed == {ours.find("edited").id}  # type: ignore[union-attr]
    # … and their version is in the journal, so the choice can be undone.
    store.undo(path)
    assert path.read_text() == theirs


@pytest.mark.parametrize("code", ['s = """ (', "", "x = 1"])
def test_a_top_level_function_edited_into_a_cell_is_named_as_marimo_names_it(
    tmp_path: Path, code: str
) -> None:
    # marimo demotes it to a cell `_` (and would write `name="*helper"` for code that does not
    # parse, a name no cell can have: that one is `_` too).
    text = (
        "import marimo\n\napp = marimo.App()\n\n\n"
        "@app.function\ndef helper(x):\n    return x + 1\n\n\n"
        "@app.cell\ndef _():\n    y = helper(1)\n    return\n"
    )
    store = NotebookStore(tmp_path)
    nb = store.create(tmp_path / "nb.py", text)
    assert nb.cells[0].kind is CellKind.FUNCTION
    store.replace_cell(tmp_path / "nb.py", nb.cells[0].id, code)
    model = store.notebook(tmp_path / "nb.py").cells[0]
    disk = NotebookStore(tmp_path, tmp_path / ".fresh").read(tmp_path / "nb.py").cells[0]
    assert model.name == disk.name == "_"
    assert model.kind is disk.kind is not CellKind.FUNCTION
    assert "*helper" not in (tmp_path / "nb.py").read_text()


async def test_the_workbench_settles_displaced_files_when_it_stops(tmp_path: Path) -> None:
    import time

    from marimo_tui.config import load_config
    from marimo_tui.workbench import Workbench
    from tests.tui_support import make_project

    path = make_project(tmp_path, [("a", "x = 1")])
    wb = Workbench(load_config(start=tmp_path, environ={}))
    wb.store.replace_cell(path, "a", "x = 2")
    displaced = wb.store.lander.displaced
    assert list(displaced.iterdir())  # the version our write swapped out, kept a moment
    time.sleep(1.2)  # (a displaced file is settled once it has been still for a second)
    await wb.stop()
    assert not list(displaced.iterdir())
