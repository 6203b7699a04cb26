"""Cells as the store makes them: code in marimo's canonical form, analysed, named validly."""

from __future__ import annotations

import keyword
import unicodedata
from collections.abc import Mapping
from typing import Any

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook.errors import StoreError
from marimo_tui.notebook.model import UNNAMED, Cell, CellKind, Notebook
from marimo_tui.notebook.pyversion import is_requirement


def canonical_code(code: str) -> str:
    """Code as marimo's codegen and parser will give it back, so that model and file agree.

    Line endings become LF; code that compiles loses trailing newlines and has no-break spaces
    turned into spaces (marimo's compiler does that); code that doesn't is stripped, as marimo
    stores it in an unparsable cell. A NUL byte or a lone surrogate cannot be stored at all.
    """
    return _canonical(code)[0]


def _canonical(code: str) -> tuple[str, adapter.Analysis]:
    if "\x00" in code:
        raise StoreError("code contains a NUL byte, which a notebook file cannot hold")
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise StoreError(f"code is not valid Unicode text: {exc.reason}") from None
    code = code.replace("\r\n", "\n").replace("\r", "\n")
    analysis = adapter.analyze(code)
    if analysis.error:
        stripped = code.strip()
        # Stripping can cure an indentation error: analyse what will be stored.
        return stripped, analysis if stripped == code else adapter.analyze(stripped)
    return code.replace("\u00a0", " ").rstrip("\n"), analysis


def make_cell(
    cell_id: str,
    code: str,
    *,
    name: str = UNNAMED,
    kind: CellKind = CellKind.CELL,
    options: Mapping[str, Any] | None = None,
    lineno: int = 0,
) -> Cell:
    """A cell with marimo's analysis of its code; code that doesn't compile is unparsable."""
    code, analysis = _canonical(code)
    if analysis.error and kind is CellKind.CELL:
        kind = CellKind.UNPARSABLE
    elif not analysis.error and kind is CellKind.UNPARSABLE:
        kind = CellKind.CELL
    return Cell(
        id=cell_id,
        code=code,
        name=name,
        kind=kind,
        options=dict(options or {}),
        defs=analysis.defs,
        refs=analysis.refs,
        lineno=lineno,
        error=analysis.error,
    )


def check_name(name: str, notebook: Notebook, cell_id: str | None) -> str:
    """The name as Python will read it back (NFKC), or StoreError."""
    if name == UNNAMED:
        return name
    # Python folds identifiers to NFKC: `ﬁle` is read back as `file`.
    name = unicodedata.normalize("NFKC", name)
    if (
        not name.isidentifier()
        or keyword.iskeyword(name)
        or name in ("__", "setup", "app", "marimo")
    ):
        raise StoreError(
            f"invalid cell name {name!r}: use a Python identifier that is not a keyword "
            "(nor setup, app, marimo or __)"
        )
    if any(c.name == name and c.id != cell_id for c in notebook.cells):
        raise StoreError(f"a cell named {name!r} already exists in {notebook.path.name}")
    return name


def edit_warning(cell: Cell) -> str:
    """What an edit that left `cell` with an error says about it."""
    if is_requirement(cell.error):
        return f"cell {cell.label} {cell.error}; kept as written"
    return f"cell {cell.label} has a syntax error and is stored as unparsable: {cell.error}"
