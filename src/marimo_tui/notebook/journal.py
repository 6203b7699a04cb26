"""Append-only journal of every version the store replaced, so nothing is ever lost.

Layout under `.marimo-tui/journal/`: `blobs/` holds contents by SHA-256 (written once, never
changed) and `log.jsonl` one entry per write. An entry names the content before and after, so
any write can be undone and every undo is itself an entry.

An entry is appended *before* its write reaches the disk (see `landing.py`), so two kinds of
entries never took effect, and undo passes over both:

- voided: a later `conflict` entry names it in `undoes` (the write found someone else's save
  and was withdrawn). Journals written before this rule have no such entries.
- orphaned: the process died between the append and the swap. Nothing marks it; it is known
  because the file's next state (the next entry's `before`, or the disk) is still its `before`.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from marimo_tui.notebook.atomic import atomic_write
from marimo_tui.notebook.model import text_hash
from marimo_tui.notebook.write_paths import check_inside

UNDO = "undo"
CONFLICT = "conflict"
_UNSEEN = "?"  # not a hash: a state that compares equal to no entry's `before`


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    time: float
    path: str
    op: str
    before: str | None  # hash of the replaced content; None when the file was created
    after: str | None  # hash of the new content; None when the file was removed
    detail: str = ""
    group: str | None = None  # e.g. one agent turn, undone together
    undoes: str | None = None


class Journal:
    def __init__(self, folder: Path, *, root: Path | None = None) -> None:
        self.folder = folder
        self.root = root  # when given, every file written must resolve inside it
        self.blobs = folder / "blobs"
        self.log = folder / "log.jsonl"

    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest[:2] / digest[2:]

    def keep(self, data: bytes) -> str:
        """Store content (once) and return its hash."""
        digest = text_hash(data)
        path = self.blob_path(digest)
        if not path.exists():
            check_inside(path, self.root)
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
        return digest

    def load(self, digest: str) -> bytes:
        return self.blob_path(digest).read_bytes()

    def has(self, digest: str) -> bool:
        return self.blob_path(digest).exists()

    def record(
        self,
        path: str,
        op: str,
        before: bytes | None,
        after: bytes | None,
        *,
        detail: str = "",
        group: str | None = None,
        undoes: str | None = None,
    ) -> Entry:
        return self.append(
            path,
            op,
            self.keep(before) if before is not None else None,
            self.keep(after) if after is not None else None,
            detail=detail,
            group=group,
            undoes=undoes,
        )

    def append(
        self,
        path: str,
        op: str,
        before: str | None,
        after: str | None,
        *,
        detail: str = "",
        group: str | None = None,
        undoes: str | None = None,
    ) -> Entry:
        """Log an entry between contents given by hash (their blobs must be kept already)."""
        entry = Entry(
            id=f"{time.time_ns():x}-{uuid.uuid4().hex[:6]}",
            time=time.time(),
            path=path,
            op=op,
            before=before,
            after=after,
            detail=detail,
            group=group,
            undoes=undoes,
        )
        check_inside(self.log, self.root)
        self.folder.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode("utf-8")
        # One write() of one line with O_APPEND: concurrent writers never interleave a line.
        fd = os.open(self.log, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # a crash tore the last line: ours must not join it
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def entries(self, path: str | None = None) -> Iterator[Entry]:
        """Entries oldest first; a torn last line (a crash mid-append) is skipped."""
        if not self.log.exists():
            return
        with self.log.open(encoding="utf-8") as f:
            for line in f:
                with contextlib.suppress(ValueError, TypeError):
                    entry = Entry(**json.loads(line))
                    if path is None or entry.path == path:
                        yield entry

    def last_undoable(self, path: str, current: str | None = _UNSEEN) -> Entry | None:
        """The newest write to `path` that took effect and no undo has reverted yet.

        `current` is the hash of the file on disk now (None: absent); without it, a last write
        whose process died before the swap cannot be told from one that landed.
        """
        live = self.undoable(path, lambda _path: current)
        return live[-1] if live else None

    def undoable(
        self,
        path: str | None = None,
        current: Callable[[str], str | None] | None = None,
        *,
        group: str | None = None,
    ) -> list[Entry]:
        """Writes that took effect and are not undone, oldest first (only `group`'s, if given).

        `current(path)` gives the hash on disk now (None: absent), to spot an orphaned last
        write; it is asked only about files the answer can concern.
        """
        history = list(self.entries(path))
        voided = {e.undoes for e in history if e.op == CONFLICT and e.undoes}
        moves = [e for e in history if e.op != CONFLICT and e.id not in voided]
        asked = {e.path for e in moves if group is None or e.group == group}
        orphans: set[str] = set()
        after: dict[str, str | None] = {}  # per file: the state that followed, newest first
        for entry in reversed(moves):
            if entry.path in after:
                state = after[entry.path]
            elif current is not None and entry.path in asked:
                state = current(entry.path)
            else:
                state = _UNSEEN
            if state == entry.before and state != entry.after:
                orphans.add(entry.id)  # its swap never happened: the file stayed as it was
            after[entry.path] = entry.before
        undone = {e.undoes for e in moves if e.op == UNDO and e.undoes and e.id not in orphans}
        return [
            e
            for e in moves
            if e.op != UNDO and e.id not in undone | orphans and (group is None or e.group == group)
        ]
