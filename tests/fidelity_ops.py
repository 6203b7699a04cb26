"""One random single-cell operation on a notebook, planned from marimo's parse, run through the
store on a copy, with what is needed to judge it afterwards (see fidelity_check.py)."""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

from marimo_tui.notebook.store import EditResult, NotebookStore
from tests.fidelity_cells import PCell, compiles
from tests.fidelity_layout import Touch

OPS = (
    "replace_cell",
    "edit_cell",
    "add_cell",
    "delete_cell",
    "move_cell",
    "rename_cell",
    "set_cell_options",
)
EDIT_MARK = "  # edited"
NEW_NAME = "renamed_by_fidelity"
ADDED_CODES = (
    "_added = [1, 2, 3]\n_added",
    'mo.md(r"""\n## Added cell\n\nAn empty string `""` and a hard break  \nthen more text.\n""")',
)


@dataclass(frozen=True, slots=True)
class Plan:
    op: str
    target: int | None  # index (in the old file) of the touched cell; None: add at the end
    new_index: int | None  # index of the touched cell in the new file; None: deleted
    code: str = ""  # replace_cell / add_cell: the code asked for; edit_cell: the result
    search: str = ""
    replacement: str = ""
    before: bool = False  # add_cell before `target` rather than after
    name: str = ""
    hide_code: bool = False

    @property
    def touch(self) -> Touch:
        if self.op == "add_cell":
            return Touch(None, self.new_index)
        if self.op == "delete_cell":
            return Touch(self.target, None)
        return Touch(self.target, self.new_index, in_place=self.op != "move_cell")

    def describe(self) -> str:
        where = "end" if self.target is None else f"#{self.target + 1}"
        extra = {
            "move_cell": f" -> position {self.new_index}",
            "add_cell": " before" if self.before else " after",
            "rename_cell": f" -> {self.name}",
            "set_cell_options": f" hide_code={self.hide_code}",
        }.get(self.op, "")
        return f"{self.op} {where}{extra}"


def two_line_edit(code: str, rng: random.Random, *, keep_last: bool = False) -> tuple[str, str]:
    """A small edit a person or an agent would make: two adjacent lines each get a trailing
    `# edited` (keeping whether the code compiles); a one-line cell gets it on its one line;
    failing that, a comment line goes first. Returns (search, replacement), search unique.
    `keep_last` leaves the last line alone: marimo's parser drops a comment that ends an
    `@app.function`, `@app.class_definition` or setup cell (it reads up to the last
    statement)."""
    lines = code.split("\n")
    ok = compiles(code)
    last = len(lines) - (2 if keep_last else 1)
    pairs = [
        i for i in range(last) if all(x.strip() and not x.endswith("\\") for x in lines[i : i + 2])
    ]
    rng.shuffle(pairs)
    for i in pairs:
        search = lines[i] + "\n" + lines[i + 1]
        replacement = lines[i] + EDIT_MARK + "\n" + lines[i + 1] + EDIT_MARK
        if code.count(search) == 1 and compiles(code.replace(search, replacement)) == ok:
            return search, replacement
    for line in lines[: last + 1]:
        unique = line.strip() and code.count(line) == 1 and not line.endswith("\\")
        if unique and compiles(code.replace(line, line + EDIT_MARK)) == ok:
            return line, line + EDIT_MARK
    first = lines[0]
    if first and code.count(first) == 1:
        return first, "# edited\n" + first
    return code, "# edited\n" + code


def plan(
    op: str, cells: list[PCell], rng: random.Random, *, multiline: bool = False
) -> Plan | None:
    """A random `op` on one of `cells` (None when the op does not apply to this notebook);
    with `multiline`, an edit goes to a cell of two lines or more when there is one."""
    n = len(cells)
    movable = [i for i, c in enumerate(cells) if c.kind != "SetupCell"]
    if op == "add_cell":
        code = rng.choice(ADDED_CODES)
        if not n:
            return Plan(op, None, 0, code=code)
        target = rng.randrange(n)
        before = rng.random() < 0.5 and cells[target].kind != "SetupCell"
        return Plan(op, target, target if before else target + 1, code=code, before=before)
    if not n:
        return None
    if op in ("replace_cell", "edit_cell"):
        choices = [i for i, c in enumerate(cells) if c.code.strip()] or list(range(n))
        if multiline:
            choices = [i for i in choices if "\n" in cells[i].code.strip()] or choices
        target = rng.choice(choices)
        old = cells[target].code
        if not old.strip():  # every cell is empty
            return None if op == "edit_cell" else Plan(op, target, target, code="_edited = 1")
        keep_last = cells[target].kind in ("FunctionCell", "ClassCell", "SetupCell")
        search, replacement = two_line_edit(old, rng, keep_last=keep_last)
        code = old.replace(search, replacement, 1)
        return Plan(op, target, target, code=code, search=search, replacement=replacement)
    if op == "delete_cell":
        target = rng.randrange(n)
        return Plan(op, target, None)
    if op == "move_cell":
        if len(movable) < 2:
            return None
        target = rng.choice(movable)
        return Plan(op, target, rng.choice([i for i in movable if i != target]))
    if op == "rename_cell":
        named = [i for i, c in enumerate(cells) if c.kind == "CellDef"]
        if not named:
            return None
        target = rng.choice(named)
        return Plan(op, target, target, name=NEW_NAME)
    if op == "set_cell_options":
        target = rng.randrange(n)
        flag = not cells[target].options.get("hide_code", False)
        return Plan(op, target, target, hide_code=flag)
    raise ValueError(f"unknown op {op}")


def expected_cells(cells: list[PCell], p: Plan) -> list[PCell]:
    """The cells marimo should read after the op (the touched one as asked; see the checks)."""
    out = list(cells)
    if p.op == "add_cell":
        out.insert(p.new_index or 0, PCell("CellDef", p.code, "_"))
    elif p.op == "delete_cell" and p.target is not None:
        del out[p.target]
    elif p.op == "move_cell" and p.target is not None and p.new_index is not None:
        out.insert(p.new_index, out.pop(p.target))
    elif p.target is not None:
        old = out[p.target]
        if p.op in ("replace_cell", "edit_cell"):
            out[p.target] = replace(old, code=p.code)
        elif p.op == "rename_cell":
            out[p.target] = replace(old, name=p.name)
        elif p.op == "set_cell_options":
            out[p.target] = replace(old, options={**old.options, "hide_code": p.hide_code})
    return out


# -- running it through the store -------------------------------------------------------------
@dataclass(slots=True)
class Outcome:
    plan: Plan
    old: bytes
    new: bytes | None = None
    undone: bytes | None = None
    error: str | None = None  # the store refused or failed
    undo_error: str | None = None
    detail: str = ""  # the journal entry's detail ("full render: …" when the store says so)
    written: PCell | None = None  # what the store says it wrote for the touched cell
    seconds: float = 0.0


def run(source: Path, folder: Path, p: Plan) -> Outcome:
    """Copy `source` into `folder` (a project root), apply `p` with a fresh store, undo it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / source.name
    shutil.copyfile(source, path)
    outcome = Outcome(p, path.read_bytes())
    store = NotebookStore(folder)
    try:
        store.read(path.name)
        t0 = time.perf_counter()
        result = _apply(store, path.name, p)
        outcome.seconds = time.perf_counter() - t0
    except Exception as exc:  # any refusal or crash is a finding, reported as such
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    outcome.new = path.read_bytes()
    outcome.detail = result.entry.detail if result.entry is not None else ""
    if p.new_index is not None and result.cell_id is not None:
        cell = result.notebook.get(result.cell_id)
        outcome.written = PCell(cell.kind.value, cell.code, cell.name, dict(cell.options))
    try:
        store.undo(path.name)
        outcome.undone = path.read_bytes()
    except Exception as exc:
        outcome.undo_error = f"{type(exc).__name__}: {exc}"
    return outcome


def _apply(store: NotebookStore, path: str, p: Plan) -> EditResult:
    ref = f"#{(p.target or 0) + 1}"
    if p.op == "replace_cell":
        return store.replace_cell(path, ref, p.code)
    if p.op == "edit_cell":
        return store.edit_cell(path, ref, p.search, p.replacement)
    if p.op == "add_cell":
        if p.target is None:
            return store.add_cell(path, p.code)
        if p.before:
            return store.add_cell(path, p.code, before=ref)
        return store.add_cell(path, p.code, after=ref)
    if p.op == "delete_cell":
        return store.delete_cell(path, ref)
    if p.op == "move_cell":
        return store.move_cell(path, ref, p.new_index or 0)
    if p.op == "rename_cell":
        return store.rename_cell(path, ref, p.name)
    return store.set_cell_options(path, ref, hide_code=p.hide_code)
