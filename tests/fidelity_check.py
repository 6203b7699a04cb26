"""Judging one store write (an `Outcome`) against the three fidelity properties:

(a) confined: nothing outside the touched cell changed (fidelity_layout.outside_changes), the
    header, `__generated_with` line, run guard and BOM are byte for byte the same, and a CRLF
    file gets no LF-only line;
(b) parsed: marimo reads the new file as the old cells with the op applied -- every untouched
    cell exactly as before (kind, code, name, options), the touched one as asked (up to marimo's
    round-trip normalisations, fidelity_cells.same_cell_text) and as the store says it wrote;
(c) undone: `store.undo` gives back the original bytes.

A full re-render is acceptable only where marimo's file structure itself must change, and the
store must then say so in the journal entry (`full render: <reason>` in its detail).
`LEGITIMATE_FULL_RENDERS` lists such cases as (file name, op) -> reason. None of the operations
on this corpus needs one: each touches one cell's own lines (adding the first cell to an empty
notebook, or a cell to a file without a run guard or a version line, included), so the dict is
empty and a `full render:` entry excuses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.fidelity_cells import (
    ANONYMOUS,
    PCell,
    defined_name,
    markdown_value,
    normal_options,
    parse_cells,
    same_cell_text,
)
from tests.fidelity_layout import Layout, changed_lines, layout, outside_changes, region_problems
from tests.fidelity_ops import Outcome, expected_cells

LEGITIMATE_FULL_RENDERS: dict[tuple[str, str], str] = {}


@dataclass(slots=True)
class Verdict:
    outside: int = 0  # lines changed outside the touched cell
    confined: list[str] = field(default_factory=list)  # (a)
    parsed: list[str] = field(default_factory=list)  # (b)
    undo: list[str] = field(default_factory=list)  # (c)
    full_render: str = ""  # the store's own `full render: …` note, if any

    @property
    def problems(self) -> list[str]:
        return (
            [f"(a) {p}" for p in self.confined]
            + [f"(b) {p}" for p in self.parsed]
            + [f"(c) {p}" for p in self.undo]
        )


def judge(name: str, outcome: Outcome, old_cells: list[PCell]) -> Verdict:
    v = Verdict()
    if outcome.error is not None or outcome.new is None:
        v.confined.append(f"the store failed: {outcome.error}")
        return v
    if "full render:" in outcome.detail:
        v.full_render = outcome.detail[outcome.detail.index("full render:") :]
    _confinement(v, name, outcome, outcome.new)
    _parse(v, name, outcome, outcome.new, old_cells)
    if outcome.undone != outcome.old:
        v.undo.append(outcome.undo_error or "undo did not restore the original bytes")
    return v


def _confinement(v: Verdict, name: str, outcome: Outcome, new_data: bytes) -> None:
    p = outcome.plan
    old, new = layout(outcome.old), layout(new_data)
    want = len(old.blocks) + {"add_cell": 1, "delete_cell": -1}.get(p.op, 0)
    if len(new.blocks) != want:
        v.outside = changed_lines(old.lines, new.lines)
        v.confined.append(f"the new file has {len(new.blocks)} cells, expected {want}")
    else:
        v.outside = outside_changes(old, new, p.touch)
        if v.outside:
            v.confined.append(f"{v.outside} line(s) changed outside the touched cell")
    v.confined.extend(region_problems(old, new))
    if _all_crlf(old) and any(not line.endswith("\r\n") for line in new.lines[:-1]):
        v.confined.append("a line ending in LF was written into a CRLF file")
    legit = LEGITIMATE_FULL_RENDERS.get((name, p.op))
    if legit and v.full_render:
        v.confined.clear()  # the design allows a full render here (see the module docstring)


def _all_crlf(lay: Layout) -> bool:
    return bool(lay.lines) and all(line.endswith("\r\n") for line in lay.lines[:-1])


def _parse(v: Verdict, name: str, outcome: Outcome, new_data: bytes, old: list[PCell]) -> None:
    p = outcome.plan
    try:
        got = parse_cells(new_data, Path(name))
    except Exception as exc:
        v.parsed.append(f"marimo cannot read the new file: {exc}")
        return
    want = expected_cells(old, p)
    if len(got) != len(want):
        v.parsed.append(f"marimo reads {len(got)} cells, expected {len(want)}")
        return
    touched = p.new_index if p.op != "move_cell" else None
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        if i != touched:
            if g != w:
                v.parsed.append(f"cell #{i + 1} changed: {w.describe()} -> {g.describe()}")
            continue
        v.parsed.extend(_touched(g, w, outcome.written, p.op))


def _touched(got: PCell, want: PCell, written: PCell | None, op: str) -> list[str]:
    """The touched cell, up to marimo's normalisations of a cell its codegen rewrites: the
    round trip's (fidelity_cells.same_cell_text), `__` written as `_` (both anonymous to
    marimo), a cell whose code is one pure def/class becoming `@app.function` /
    `@app.class_definition` named after it, and the reverse: a demoted one named `_`."""
    problems = []
    if not same_cell_text(got.code, want.code):
        what = "is not what was asked" if op in CODE_OPS else f"was changed by {op}"
        problems.append(f"touched cell's code {what}: {_code_diff(want.code, got.code)}")
    if written is not None and not same_cell_text(got.code, written.code):
        problems.append(
            f"touched cell is not what the store says: {_code_diff(written.code, got.code)}"
        )
    if got.name != want.name and not _same_name(got, want):
        problems.append(f"touched cell's name is {got.name!r}, expected {want.name!r}")
    if normal_options(got.options) != normal_options(want.options):
        problems.append(f"touched cell's options are {got.options}, expected {want.options}")
    return problems


CODE_OPS = ("replace_cell", "edit_cell", "add_cell")


def _same_name(got: PCell, want: PCell) -> bool:
    if {got.name, want.name} <= set(ANONYMOUS):
        return True
    top = got.kind in ("FunctionCell", "ClassCell") and want.kind == "CellDef"
    if top and want.name in ANONYMOUS and got.name == defined_name(want.code):
        return True
    # A top-level function or class an edit makes a plain cell is named `_`, as marimo
    # names one it demotes (keeping the function's name would be a name marimo never writes).
    demoted = want.kind in ("FunctionCell", "ClassCell") and got.kind == "CellDef"
    return demoted and got.name in ANONYMOUS


def _code_diff(want: str, got: str) -> str:
    shown_want, shown_got = markdown_value(want), markdown_value(got)
    if shown_want is not None and shown_got is not None:
        want, got, what = shown_want, shown_got, "markdown line"
    else:
        what = "line"
    a, b = want.split("\n"), got.split("\n")
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"{what} {i + 1}: {x!r} -> {y!r}"[:240]
    return f"{len(a)} -> {len(b)} lines"
