"""NotebookStore: the only writer of notebook files.

Every write is atomic (temp file, fsync, `os.replace`), checked against the version the edit was
based on (a file changed under us is a conflict, never an overwrite) and journaled, so that any
write can be undone and no version is ever lost.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook.cells import canonical_code, check_name, edit_warning, make_cell
from marimo_tui.notebook.compose import compose
from marimo_tui.notebook.errors import NotebookError, StoreError
from marimo_tui.notebook.identity import IdAllocator
from marimo_tui.notebook.journal import Entry, Journal
from marimo_tui.notebook.landing import Lander, disk_hash
from marimo_tui.notebook.model import (
    UNNAMED,
    CellKind,
    Notebook,
    display_path,
    text_hash,
)
from marimo_tui.notebook.reader import Parser, parse_notebook, parse_source, read_bytes
from marimo_tui.notebook.write_paths import inside_root


@dataclass(frozen=True, slots=True)
class EditResult:
    notebook: Notebook
    op: str
    cell_id: str | None = None
    changed: frozenset[str] = frozenset()  # cells whose code, name or options changed
    entry: Entry | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def stale(self) -> set[str]:
        """Cells marimo will rerun: the changed ones and their descendants."""
        return self.notebook.index.stale(c for c in self.changed if c in self.notebook.index.defs)


class NotebookStore:
    def __init__(self, root: Path, state_dir: Path | None = None, *, confine: bool = True) -> None:
        self.root = root.resolve()
        self.state_dir = state_dir or self.root / ".marimo-tui"
        # Our own files (versions, conflicts, files moved aside) stay inside the project too.
        self.journal = Journal(self.state_dir / "journal", root=self.root)
        self.lander = Lander(self.journal, self.state_dir / "conflicts")
        self.confine = confine
        self.group: str | None = None
        self._models: dict[Path, Notebook] = {}
        self._allocators: dict[Path, IdAllocator] = {}
        # marimo's parse of what is read; the workbench hands it to a worker process
        self.parse: Parser = parse_source

    # -- paths ---------------------------------------------------------------------------
    def resolve(self, path: Path | str) -> Path:
        """Absolute path; with `confine`, refuses anything outside the project root."""
        if self.confine:
            return inside_root(path, self.root)
        p = Path(path)
        return (p if p.is_absolute() else self.root / p).resolve()

    def relative(self, path: Path) -> str:
        return display_path(path, self.root)

    # -- reading -------------------------------------------------------------------------
    def read(self, path: Path | str) -> Notebook:
        """Read from disk; cell ids carry over from the version read before."""
        p = self.resolve(path)
        previous = self._models.get(p)
        notebook = parse_notebook(read_bytes(p), p, previous, self.parse)
        if previous is not None and previous.source == notebook.source:
            notebook.filemap = previous.filemap  # (our own write, read back: already mapped)
        self._models[p] = notebook
        return notebook

    def notebook(self, path: Path | str) -> Notebook:
        """The last version read or written (read now if none)."""
        p = self.resolve(path)
        return self._models.get(p) or self.read(p)

    def cached(self, path: Path | str) -> Notebook | None:
        """The last version read or written, if any (never reads the disk)."""
        return self._models.get(self.resolve(path))

    def forget(self, path: Path | str) -> None:
        self._models.pop(self.resolve(path), None)

    def _new_id(self, notebook: Notebook) -> str:
        alloc = self._allocators.get(notebook.path)
        if alloc is None:
            alloc = self._allocators[notebook.path] = IdAllocator.after(
                [c.id for c in notebook.cells]
            )
        new = alloc()
        while any(c.id == new for c in notebook.cells):
            new = alloc()
        return new

    @contextlib.contextmanager
    def grouped(self, group: str) -> Iterator[None]:
        """Journal every write inside the block under one group (e.g. one agent turn)."""
        previous, self.group = self.group, group
        try:
            yield
        finally:
            self.group = previous

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Serialises our own writers across processes (the app, the CLI, a headless agent).
        lock_path = self.state_dir / "store.lock"
        if self.confine:
            inside_root(lock_path, self.root)  # a state folder linked elsewhere: refused
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- writing -------------------------------------------------------------------------
    def _commit(
        self,
        path: Path | str,
        op: str,
        change: Callable[[Notebook], tuple[str | None, set[str]]],
        *,
        base: str | None = None,
        detail: str = "",
    ) -> EditResult:
        nb = self.notebook(path)
        if base is not None and base != nb.base_hash:
            # The caller's version is not the model's: read the disk; if that isn't the
            # caller's version either, the file changed under them.
            nb = self.read(path)
        work = nb.copy()
        cell_id, changed = change(work)
        composed = compose(nb, work)
        if composed.note:
            detail = f"{detail}; {composed.note}" if detail else composed.note
        data = composed.data
        expected = base or nb.base_hash or ""  # no base: any disk version is a conflict
        with self._locked():
            entry = self.lander.land(
                work.path,
                self.relative(work.path),
                data,
                expected=expected,
                op=op,
                detail=detail,
                group=self.group,
            )
        work.base_hash = text_hash(data)
        self._models[work.path] = work
        warnings = [
            edit_warning(work.get(c)) for c in changed if c in work.index.defs and work.get(c).error
        ]
        return EditResult(work, op, cell_id, frozenset(changed), entry, warnings)

    def add_cell(
        self,
        path: Path | str,
        code: str,
        *,
        after: str | None = None,
        before: str | None = None,
        name: str = UNNAMED,
        options: Mapping[str, Any] | None = None,
        base: str | None = None,
    ) -> EditResult:
        """Add a cell after `after` (or before `before`); at the end when neither is given."""

        def change(nb: Notebook) -> tuple[str | None, set[str]]:
            checked = check_name(name, nb, None)
            if after is not None:
                pos = nb.position(self._id(nb, after)) + 1
            elif before is not None:
                pos = nb.position(self._id(nb, before))
            else:
                pos = len(nb.cells)
            cell = make_cell(self._new_id(nb), code, name=checked, options=options)
            nb.insert_cell(pos, cell)
            return cell.id, {cell.id}

        return self._commit(path, "add_cell", change, base=base)

    def replace_cell(
        self, path: Path | str, cell: str, code: str, *, base: str | None = None
    ) -> EditResult:
        def change(nb: Notebook) -> tuple[str | None, set[str]]:
            old = nb.get(self._id(nb, cell))
            kind = CellKind.CELL if old.kind is CellKind.UNPARSABLE else old.kind
            new = make_cell(old.id, code, name=old.name, kind=kind, options=old.options)
            nb.replace_cell(new)
            return old.id, {old.id} if new.code != old.code else set()

        return self._commit(path, "replace_cell", change, base=base, detail=cell)

    def edit_cell(
        self,
        path: Path | str,
        cell: str,
        search: str,
        replacement: str,
        *,
        base: str | None = None,
    ) -> EditResult:
        """Replace the one occurrence of `search` in a cell's code."""
        nb = self.notebook(path)
        code = nb.get(self._id(nb, cell)).code
        hits = code.count(search) if search else 0
        if hits != 1:
            what = "not found" if hits == 0 else f"found {hits} times; include more context"
            raise StoreError(f"search text {what} in cell {cell}")
        return self.replace_cell(path, cell, code.replace(search, replacement), base=base)

    def delete_cell(self, path: Path | str, cell: str, *, base: str | None = None) -> EditResult:
        def change(nb: Notebook) -> tuple[str | None, set[str]]:
            removed = nb.remove_cell(self._id(nb, cell))
            # Readers of what it defined must rerun (and will now fail on the missing name).
            readers = set().union(*(nb.index.readers.get(n, set()) for n in removed.defs))
            return removed.id, readers

        return self._commit(path, "delete_cell", change, base=base, detail=cell)

    def move_cell(
        self, path: Path | str, cell: str, position: int, *, base: str | None = None
    ) -> EditResult:
        """Move a cell to a 0-based position among the cells."""

        def change(nb: Notebook) -> tuple[str | None, set[str]]:
            cid = self._id(nb, cell)
            nb.move_cell(cid, position)
            return cid, set()

        return self._commit(path, "move_cell", change, base=base, detail=f"{cell}->{position}")

    def rename_cell(
        self, path: Path | str, cell: str, name: str, *, base: str | None = None
    ) -> EditResult:
        def change(nb: Notebook) -> tuple[str | None, set[str]]:
            old = nb.get(self._id(nb, cell))
            if old.kind in (CellKind.FUNCTION, CellKind.CLASS):
                # marimo writes a top-level function or class under its own name, always.
                what = "function" if old.kind is CellKind.FUNCTION else "class"
                raise StoreError(
                    f"cell {old.label} is a top-level {what}, named by its definition: "
                    f"rename the {what} in the cell's code instead"
                )
            nb.replace_cell(replace(old, name=check_name(name, nb, old.id)))
            return old.id, set()

        return self._commit(path, "rename_cell", change, base=base, detail=f"{cell}->{name}")

    def set_cell_options(
        self, path: Path | str, cell: str, *, base: str | None = None, **options: Any
    ) -> EditResult:
        """Set cell config keys (`hide_code`, `disabled`, `column`, …)."""
        unknown = set(options) - adapter.cell_option_keys()
        if unknown:
            valid = ", ".join(sorted(adapter.cell_option_keys()))
            raise StoreError(f"unknown cell option {', '.join(sorted(unknown))}; valid: {valid}")

        def change(nb: Notebook) -> tuple[str | None, set[str]]:
            old = nb.get(self._id(nb, cell))
            nb.replace_cell(replace(old, options={**old.options, **options}))
            return old.id, {old.id} if "disabled" in options else set()

        return self._commit(path, "set_cell_options", change, base=base, detail=cell)

    def save(self, notebook: Notebook, *, base: str | None = None) -> EditResult:
        """Write a whole notebook model (e.g. the user chose 'keep mine' in a conflict)."""

        def change(nb: Notebook) -> tuple[str | None, set[str]]:
            old = {c.id: c for c in nb.cells}
            nb.cells[:] = notebook.cells
            nb.index = type(nb.index).build(nb.cells)
            nb.header, nb.app_options = notebook.header, dict(notebook.app_options)
            return None, {c.id for c in notebook.cells if old.get(c.id) != c}

        return self._commit(notebook.path, "save", change, base=base)

    def create(self, path: Path | str, text: str, *, op: str = "create") -> Notebook:
        """Create a new notebook file; refuses to overwrite anything."""
        p = self.resolve(path)
        data = text.encode("utf-8")
        with self._locked():
            self.lander.create(p, self.relative(p), data, op=op, group=self.group)
        return self.read(p)

    def undo(self, path: Path | str) -> Entry:
        """Restore the version before the last write to `path` that is not undone yet."""
        p = self.resolve(path)
        rel = self.relative(p)
        with self._locked():
            # The disk tells a write that landed from one whose process died before its swap.
            entry = self.journal.last_undoable(rel, disk_hash(p))
            if entry is None:
                raise StoreError(f"nothing to undo for {rel}")
            self.lander.revert(p, rel, entry)
        self._refresh(p)
        return entry

    def undo_group(self, group: str) -> list[Entry]:
        """Undo every write journaled under `group`, newest first."""
        with self._locked():
            entries = self.journal.undoable(
                current=lambda rel: disk_hash(self.resolve(rel)), group=group
            )
            if not entries:
                raise StoreError(f"nothing to undo for {group}")
            for entry in reversed(entries):
                p = self.resolve(entry.path)
                self.lander.revert(p, entry.path, entry)
                self._refresh(p)
        return entries

    def sweep(self) -> None:
        """Settle files earlier writes moved aside (e.g. at exit): see `Lander.sweep`."""
        with self._locked():
            self.lander.sweep()

    def _refresh(self, p: Path) -> None:
        """Re-read after an undo, so cell ids carry over to the restored version."""
        try:
            self.read(p)
        except NotebookError:
            self.forget(p)

    @staticmethod
    def _id(nb: Notebook, ref: str) -> str:
        cell = nb.find(ref)
        if cell is None:
            known = ", ".join(c.label for c in nb.cells[:20])
            raise StoreError(f"no cell {ref!r} in {nb.path.name} (cells: {known})")
        return cell.id


__all__ = ["EditResult", "NotebookError", "NotebookStore", "canonical_code", "make_cell"]
