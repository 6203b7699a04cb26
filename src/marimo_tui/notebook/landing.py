"""Landing a new version of a notebook file: checked, journaled, and never losing another's save.

The store decides *what* to write; this module puts it on disk. A version lands only over the
version it was based on (its hash); anything else on disk is someone else's save and stays, with
ours kept under `.marimo-tui/conflicts/`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from marimo_tui.notebook.atomic import atomic_write
from marimo_tui.notebook.errors import ConflictError, StoreError
from marimo_tui.notebook.journal import Entry, Journal
from marimo_tui.notebook.model import text_hash


@dataclass(frozen=True, slots=True)
class Lander:
    """Lands versions of files for one project's store (callers hold the store's lock)."""

    journal: Journal
    conflicts: Path  # where our version goes when the disk moved on without us

    def land(
        self,
        path: Path,
        rel: str,
        data: bytes,
        *,
        expected: str,
        op: str,
        detail: str = "",
        group: str | None = None,
    ) -> Entry:
        """Replace the file whose content hashes to `expected` with `data`, journaled.

        Raises ConflictError (ours kept in `conflicts/`) when the file is not that version,
        StoreError when it no longer exists.
        """
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{path} no longer exists: edit refused") from None
        if text_hash(current) != expected:
            saved = self.keep_conflict(path, rel, current, data, op)
            raise ConflictError(path, saved)
        # Both versions reach the journal before the file changes: a crash in between
        # leaves the old version recoverable even when we never wrote it ourselves.
        self.journal.keep(current)
        self.journal.keep(data)
        atomic_write(path, data)
        return self.journal.record(rel, op, current, data, detail=detail, group=group)

    def revert(self, path: Path, rel: str, entry: Entry) -> Entry:
        """Put back the version before `entry`, if the file is still `entry`'s version."""
        try:
            current: bytes | None = path.read_bytes()
        except FileNotFoundError:
            current = None
        current_hash = text_hash(current) if current is not None else None
        if current_hash != entry.after:
            raise StoreError(
                f"{rel} changed since the write to undo ({entry.op}); undo refused, nothing lost"
            )
        restored = self.journal.load(entry.before) if entry.before else None
        if current is not None:
            self.journal.keep(current)
        # Both versions are blobs before the file changes, so a crash anywhere here loses
        # nothing; the log line comes last so it never claims an undo that did not happen.
        if restored is None:
            path.unlink()
        else:
            atomic_write(path, restored)
        return self.journal.record(rel, "undo", current, restored, detail=entry.op, undoes=entry.id)

    def keep_conflict(self, path: Path, rel: str, theirs: bytes, ours: bytes, op: str) -> Path:
        """Both versions are kept: theirs stays on disk, ours goes to `conflicts/`."""
        self.journal.record(rel, "conflict", theirs, ours, detail=op)
        self.conflicts.mkdir(parents=True, exist_ok=True)
        saved = (
            self.conflicts
            / f"{path.stem}.{time.strftime('%Y%m%d-%H%M%S')}.{text_hash(ours)[:8]}.py"
        )
        atomic_write(saved, ours)
        return saved
