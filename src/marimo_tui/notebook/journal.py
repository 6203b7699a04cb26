"""Append-only journal of every version the store replaced, so nothing is ever lost.

Layout under `.marimo-tui/journal/`: `blobs/` holds contents by SHA-256 (written once, never
changed) and `log.jsonl` one entry per write. An entry names the content before and after, so
any write can be undone and every undo is itself an entry.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from marimo_tui.notebook.atomic import atomic_write
from marimo_tui.notebook.model import text_hash


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
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.blobs = folder / "blobs"
        self.log = folder / "log.jsonl"

    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest[:2] / digest[2:]

    def keep(self, data: bytes) -> str:
        """Store content (once) and return its hash."""
        digest = text_hash(data)
        path = self.blob_path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
        return digest

    def load(self, digest: str) -> bytes:
        return self.blob_path(digest).read_bytes()

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
        entry = Entry(
            id=f"{time.time_ns():x}-{uuid.uuid4().hex[:6]}",
            time=time.time(),
            path=path,
            op=op,
            before=self.keep(before) if before is not None else None,
            after=self.keep(after) if after is not None else None,
            detail=detail,
            group=group,
            undoes=undoes,
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        line = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode("utf-8")
        # One write() of one line with O_APPEND: concurrent writers never interleave a line.
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
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

    def last_undoable(self, path: str) -> Entry | None:
        """The newest write to `path` that no undo has reverted yet."""
        history = list(self.entries(path))
        undone = {e.undoes for e in history if e.undoes}
        for entry in reversed(history):
            if entry.op in ("undo", "conflict") or entry.id in undone:
                continue
            return entry
        return None
