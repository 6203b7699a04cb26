"""Dependency index and stable cell ids."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from marimo_tui.notebook.graph import DependencyIndex
from marimo_tui.notebook.identity import IdAllocator, match_ids
from marimo_tui.notebook.model import Cell, Notebook


def cell(
    cid: str, defs: str = "", refs: str = "", code: str | None = None, name: str = "_"
) -> Cell:
    return Cell(
        id=cid,
        code=code if code is not None else f"# {cid}",
        name=name,
        defs=frozenset(defs.split()),
        refs=frozenset(refs.split()),
    )


def test_parents_children_descendants() -> None:
    idx = DependencyIndex.build(
        [cell("a", "x"), cell("b", "y", "x"), cell("c", "z", "y"), cell("d", "", "x z")]
    )
    assert idx.parents("b") == {"a"}
    assert idx.children("a") == {"b", "d"}
    assert idx.descendants("a") == {"b", "c", "d"}
    assert idx.ancestors("d") == {"a", "b", "c"}
    assert idx.stale(["b"]) == {"b", "c", "d"}
    assert idx.unresolved("d") == set()
    assert idx.cycles() == []


def test_cycles_and_multiple_definitions() -> None:
    idx = DependencyIndex.build(
        [cell("a", "x", "z"), cell("b", "y", "x"), cell("c", "z", "y"), cell("d", "x")]
    )
    assert idx.cycles() == [frozenset({"a", "b", "c"})]
    assert idx.multiple_definitions() == {"x": {"a", "d"}}
    idx.update(cell("c", "z", "y"), cell("c", "z", ""))
    assert idx.cycles() == []


def test_incremental_updates_equal_a_rebuild() -> None:
    rng = random.Random(7)
    names = [f"v{i}" for i in range(30)]
    cells = {
        f"c{i}": cell(f"c{i}", " ".join(rng.sample(names, 2)), " ".join(rng.sample(names, 3)))
        for i in range(40)
    }
    idx = DependencyIndex.build(cells.values())
    for step in range(300):
        cid = rng.choice(list(cells))
        action = rng.random()
        if action < 0.6:
            new = cell(cid, " ".join(rng.sample(names, 2)), " ".join(rng.sample(names, 2)))
            idx.update(cells[cid], new)
            cells[cid] = new
        elif action < 0.8 and len(cells) > 5:
            idx.remove(cells.pop(cid))
        else:
            new = cell(f"n{step}", rng.choice(names), rng.choice(names))
            idx.add(new)
            cells[new.id] = new
        fresh = DependencyIndex.build(cells.values())
        assert idx.definers == fresh.definers
        assert idx.readers == fresh.readers
        probe = rng.choice(list(cells))
        assert idx.descendants(probe) == fresh.descendants(probe)
        assert set(idx.cycles()) == set(fresh.cycles())


def test_long_chain_has_no_recursion_limit() -> None:
    chain = [cell("c0", "x0")] + [cell(f"c{i}", f"x{i}", f"x{i - 1}") for i in range(1, 5000)]
    idx = DependencyIndex.build(chain)
    assert len(idx.descendants("c0")) == 4999
    assert idx.cycles() == []


def _reload(old: list[Cell], codes: list[tuple[str, str]]) -> list[str]:
    new = [Cell(id="?", code=code, name=name) for code, name in codes]
    return match_ids(old, new, IdAllocator.after([c.id for c in old]))


def test_ids_survive_inserts_deletes_moves_and_edits() -> None:
    old = [cell(f"c{i}", code=f"x{i} = {i}\nprint(x{i})") for i in range(1, 6)]
    codes = [(c.code, "_") for c in old]
    # Insert at the top: every old cell keeps its id, the new one gets a fresh id.
    assert _reload(old, [("import os", "_"), *codes]) == ["c6", "c1", "c2", "c3", "c4", "c5"]
    # Delete one and edit another a little.
    edited = [codes[0], ("x2 = 22\nprint(x2)", "_"), codes[3], codes[4]]
    assert _reload(old, edited) == ["c1", "c2", "c4", "c5"]
    # Move the last to the front.
    assert _reload(old, [codes[4], *codes[:4]]) == ["c5", "c1", "c2", "c3", "c4"]
    # A rewrite in place keeps the place's id.
    rewritten = [codes[0], ("something entirely different()", "_"), *codes[2:]]
    assert _reload(old, rewritten) == ["c1", "c2", "c3", "c4", "c5"]


def test_named_cells_keep_ids_by_name() -> None:
    old = [cell("c1", code="a = 1", name="load"), cell("c2", code="b = 2", name="plot")]
    # Swapped and both rewritten: names decide.
    assert _reload(old, [("zzz = 9", "plot"), ("yyy = 8", "load")]) == ["c2", "c1"]


def test_notebook_find_and_structure_keep_index_in_step() -> None:
    nb = Notebook(path=Path("n.py"), cells=[cell("c1", "x"), cell("c2", "y", "x", name="two")])
    assert nb.find("two") is nb.cells[1]
    assert nb.find("#1") is nb.cells[0]
    assert nb.find("nope") is None
    nb.insert_cell(1, cell("c3", "", "y"))
    nb.replace_cell(replace(nb.cells[0], defs=frozenset({"y"})))
    nb.move_cell("c3", 0)
    assert [c.id for c in nb.cells] == ["c3", "c1", "c2"]
    assert nb.index.definers == DependencyIndex.build(nb.cells).definers
    nb.remove_cell("c1")
    assert nb.index.readers == DependencyIndex.build(nb.cells).readers
