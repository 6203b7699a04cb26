"""The in-memory notebook: cells addressed by stable ids, plus their dependency index."""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from marimo_tui.notebook.graph import DependencyIndex
from marimo_tui.notebook.splice import FileMap

UNNAMED = "_"


class CellKind(StrEnum):
    CELL = "cell"
    SETUP = "setup"  # `with app.setup:` — its definitions are visible to every cell
    FUNCTION = "function"  # `@app.function`: importable top-level function
    CLASS = "class"  # `@app.class_definition`
    UNPARSABLE = "unparsable"  # `app._unparsable_cell(...)`: kept verbatim, never run


@dataclass(frozen=True, slots=True)
class Cell:
    id: str
    code: str
    name: str = UNNAMED
    kind: CellKind = CellKind.CELL
    options: Mapping[str, Any] = field(default_factory=dict)
    defs: frozenset[str] = frozenset()
    refs: frozenset[str] = frozenset()
    lineno: int = 0
    error: str | None = None  # why marimo cannot compile this cell, in one line

    @property
    def named(self) -> bool:
        return self.name != UNNAMED

    @property
    def label(self) -> str:
        """How a person or the agent names this cell: its name when it has one, else its id."""
        return self.name if self.named else self.id


@dataclass(frozen=True, slots=True)
class FileFormat:
    """What a file's bytes had beyond its text, so that a write keeps it: BOM and CRLF."""

    bom: bool = False
    crlf: bool = False

    def encode(self, text: str) -> bytes:
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        data = text.encode("utf-8")
        return codecs.BOM_UTF8 + data if self.bom else data


def display_path(path: Path, root: Path) -> str:
    """`path` relative to the project root when it is inside it, else as it is."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def text_hash(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


@dataclass(slots=True)
class Notebook:
    """One marimo notebook. Cells are replaced, never mutated; the index follows each change."""

    path: Path
    cells: list[Cell]
    header: str = ""
    app_options: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    # Hash of the file text this model was read from or last written as: the base of edits.
    base_hash: str | None = None
    fmt: FileFormat = field(default_factory=FileFormat)
    index: DependencyIndex = field(default_factory=DependencyIndex)
    # Ids of cells not yet analysed by marimo (after a quick read): defs/refs still unknown.
    pending: frozenset[str] = frozenset()
    # The file's text as read or written (its own line endings, no BOM): a write splices into
    # it. None after a quick read, which does not keep it.
    source: str | None = None
    # Where the cells are in `source`, once a write has needed it.
    filemap: FileMap | None = None

    def __post_init__(self) -> None:
        if not self.index.defs and self.cells:
            self.index = DependencyIndex.build(self.cells)

    def __iter__(self) -> Iterator[Cell]:
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def errors(self) -> list[Cell]:
        return [c for c in self.cells if c.error]

    def position(self, cell_id: str) -> int:
        for i, cell in enumerate(self.cells):
            if cell.id == cell_id:
                return i
        raise KeyError(cell_id)

    def get(self, cell_id: str) -> Cell:
        return self.cells[self.position(cell_id)]

    def find(self, ref: str) -> Cell | None:
        """A cell by id, by name, or by 1-based position written as `#N`."""
        for cell in self.cells:
            if cell.id == ref:
                return cell
        named = [c for c in self.cells if c.named and c.name == ref]
        if len(named) == 1:
            return named[0]
        if ref.startswith("#") and ref[1:].isdigit():
            n = int(ref[1:])
            if 1 <= n <= len(self.cells):
                return self.cells[n - 1]
        return None

    def copy(self) -> Notebook:
        return Notebook(
            path=self.path,
            cells=list(self.cells),
            header=self.header,
            app_options=dict(self.app_options),
            violations=list(self.violations),
            base_hash=self.base_hash,
            fmt=self.fmt,
            index=self.index.copy(),
            pending=self.pending,
            source=self.source,
            filemap=self.filemap,
        )

    # Structural changes: each keeps the dependency index in step without a rebuild.
    def replace_cell(self, new: Cell) -> None:
        pos = self.position(new.id)
        old = self.cells[pos]
        self.cells[pos] = new
        self.index.update(old, new)

    def insert_cell(self, pos: int, cell: Cell) -> None:
        self.cells.insert(pos, cell)
        self.index.add(cell)

    def remove_cell(self, cell_id: str) -> Cell:
        cell = self.cells.pop(self.position(cell_id))
        self.index.remove(cell)
        return cell

    def move_cell(self, cell_id: str, pos: int) -> None:
        cell = self.cells.pop(self.position(cell_id))
        self.cells.insert(max(0, min(pos, len(self.cells))), cell)
