"""Reading a file only when it is a regular file: a FIFO, a device or a socket named `x.py` in
the project must never be opened blocking (opening a FIFO for reading waits for a writer
forever, a device may have side effects).

The kind is checked with `stat` before the open, and again with `fstat` on a descriptor opened
`O_NONBLOCK`, so a file swapped for a FIFO between the two cannot block either.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class SpecialFileError(OSError):
    """The path is not a regular file; `kind` says what it is ("a FIFO", "a folder", …)."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EINVAL, f"is {kind}, not a regular file", str(path))
        self.kind = kind


def kind_of(mode: int) -> str | None:
    """What a file of this `st_mode` is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def special_kind(path: Path) -> str | None:
    """What `path` (symlinks followed) is when it is not a regular file; None when it is one
    or does not exist (the reader says so then)."""
    try:
        return kind_of(path.stat().st_mode)
    except OSError:
        return None


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file `path` (at most `limit`); `SpecialFileError` for anything
    else, other `OSError`s as the system raises them. Never blocks on the open."""
    kind = kind_of(os.stat(path).st_mode)
    if kind is not None:
        raise SpecialFileError(path, kind)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        kind = kind_of(os.fstat(fd).st_mode)  # swapped since the stat?
        if kind is not None:
            raise SpecialFileError(path, kind)
        os.set_blocking(fd, True)  # a regular file never blocks; reads want whole chunks
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read() if limit is None else f.read(limit)
    finally:
        os.close(fd)
