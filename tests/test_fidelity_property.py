"""Property: a one-cell store operation changes that cell's lines and nothing else (issue 16).

For every notebook of the fidelity corpus (tests/fidelity_corpus: hand-written files in the
ways people and older marimo versions write them; marimo's own tutorials, read in place; and a
generated 200-cell notebook) and every operation (replace_cell with a small edit, edit_cell
search/replace of two lines, add_cell after/before a cell, delete_cell, move_cell, rename_cell,
set_cell_options(hide_code=…)), a seeded-random cell is picked (tests/fidelity_ops.py), the
operation runs through `NotebookStore(root).<op>(path, …)` on a copy, and:

(a) confined: every line outside the touched cell's block (plus one blank-line gap for add,
    delete and move) is byte for byte the same, header, `__generated_with` line, run guard and
    BOM included (oracle: tests/fidelity_layout.py, built on `ast` and marimo's scanner, never
    on the store's internals);
(b) parsed: marimo's parser reads every untouched cell exactly as before and the touched one as
    asked and as the store says it wrote, up to marimo's known normalisations
    (tests/fidelity_check.py);
(c) undone: `store.undo(path)` restores the original bytes.

A full re-render excuses nothing here: see `LEGITIMATE_FULL_RENDERS` in fidelity_check.py.
`FIDELITY_SEED=<n>` picks other cells and edits; `bench/fidelity.py` runs the same checks over
any folder of notebooks and reports figures.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fidelity_cells import PCell, parse_cells
from tests.fidelity_check import judge
from tests.fidelity_layout import Touch, layout, outside_changes, unified_diff
from tests.fidelity_ops import OPS, plan, run
from tests.fidelity_sources import (
    CORPUS_DIR,
    GENERATED_NAME,
    corpus_files,
    generated_notebook,
    tutorial_files,
)

SEED = os.environ.get("FIDELITY_SEED", "0")
EXAMPLES = itertools.count()
SOURCES = [f"corpus/{p.name}" for p in corpus_files()]
SOURCES += [f"tutorial/{p.name}" for p in tutorial_files()]
SOURCES += [f"generated/{GENERATED_NAME}"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generated") / GENERATED_NAME
    path.write_text(generated_notebook(200), encoding="utf-8")
    return path


def source_path(source: str, generated: Path) -> Path:
    kind, name = source.split("/", 1)
    if kind == "corpus":
        return CORPUS_DIR / name
    if kind == "tutorial":
        return next(p for p in tutorial_files() if p.name == name)
    return generated


@cache
def cells_of(path: Path) -> list[PCell]:
    return parse_cells(path.read_bytes(), path)


def check_one(key: str, source: Path, op: str, seed: str, folder: Path) -> None:
    """`key` (e.g. `corpus/md_layouts.py`) seeds the choices as bench/fidelity.py does."""
    cells = cells_of(source)
    p = plan(op, cells, random.Random(f"{seed}:{key}:{op}"))
    if p is None:
        pytest.skip(f"{op} does not apply to {source.name}")
    outcome = run(source, folder, p)
    verdict = judge(source.name, outcome, cells)
    if verdict.problems:
        diff = ""
        if outcome.new is not None:
            diff = unified_diff(layout(outcome.old), layout(outcome.new), source.name)[:3000]
        note = f" [store: {verdict.full_render}]" if verdict.full_render else ""
        pytest.fail(
            f"{source.name}: {p.describe()}{note}\n  "
            + "\n  ".join(verdict.problems)
            + f"\n{diff}",
            pytrace=False,
        )


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("source", SOURCES)
def test_one_cell_op_is_confined_parsed_and_undone(
    source: str, op: str, generated: Path, tmp_path: Path
) -> None:
    check_one(source, source_path(source, generated), op, SEED, tmp_path / "project")


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each case is one seeded plan
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=st.sampled_from([s for s in SOURCES if not s.startswith("generated/")]),
    op=st.sampled_from(OPS),
    seed=st.integers(1, 2**32),
)
def test_other_cells_and_edits(source: str, op: str, seed: int, tmp_path: Path) -> None:
    """More cells and edits than the fixed seed picks (hypothesis draws file, op and seed)."""
    folder = tmp_path / f"example-{next(EXAMPLES)}"
    check_one(source, source_path(source, Path()), op, str(seed), folder)


# -- the corpus and the oracle themselves ------------------------------------------------------
@pytest.mark.parametrize("name", [p.name for p in corpus_files()])
def test_corpus_file_is_a_notebook_marimo_reads(name: str) -> None:
    path = CORPUS_DIR / name
    cells = cells_of(path)  # raises unless marimo's parse is `.valid`
    assert len(layout(path.read_bytes()).blocks) == len(cells)
    if name == "py312_only.py":
        unparsable = sum(c.kind == "UnparsableCell" for c in cells)
        assert unparsable == (3 if sys.version_info < (3, 12) else 0)


def test_corpus_is_byte_for_byte_as_checked_in() -> None:
    """A formatter run over tests/ would quietly turn the corpus into marimo's own layout."""
    sums = {}
    for line in (CORPUS_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name] = digest
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus_files()}
    assert files == sums
    assert b"\r\n" in (CORPUS_DIR / "crlf_windows.py").read_bytes()
    assert (CORPUS_DIR / "bom_utf8.py").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("name", [p.name for p in corpus_files() if p.name != "empty_notebook.py"])
def test_oracle_accepts_a_splice_and_sees_a_stray_change(name: str) -> None:
    old = layout((CORPUS_DIR / name).read_bytes())
    k = len(old.blocks) // 2
    start, end = old.blocks[k]
    eol = "\r\n" if old.lines[0].endswith("\r\n") else "\n"
    spliced = [*old.lines[:start], "@app.cell" + eol, "def _():" + eol, "    return" + eol]
    spliced += old.lines[end:]
    new = layout(b"".join(x.encode() for x in spliced))
    assert outside_changes(old, new, Touch(k, k, in_place=True)) == 0
    stray = list(spliced)
    stray[0] = stray[0].rstrip("\r\n") + "  # stray" + eol
    assert outside_changes(old, layout("".join(stray).encode()), Touch(k, k, in_place=True)) > 0
    deleted = [*old.lines[:start], *old.lines[end:]]
    assert outside_changes(old, layout("".join(deleted).encode()), Touch(k, None)) == 0
