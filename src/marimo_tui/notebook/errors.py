"""Errors of the notebook core. Each carries a one-line message fit for a status bar."""

from __future__ import annotations

from pathlib import Path


class NotebookError(Exception):
    """A file that cannot be read as a marimo notebook (the reason is one line)."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {reason}")


class StoreError(Exception):
    """An edit the store refused: nothing was written."""


class ConflictError(StoreError):
    """The file changed on disk since the version an edit was based on.

    The disk version is left alone; our version is kept in the journal (`saved_as`).
    """

    def __init__(self, path: Path, saved_as: Path | None) -> None:
        self.path = path
        self.saved_as = saved_as
        kept = f"; your version is kept at {saved_as}" if saved_as else ""
        super().__init__(
            f"{path} changed on disk since it was read: edit refused, re-read and retry{kept}"
        )
