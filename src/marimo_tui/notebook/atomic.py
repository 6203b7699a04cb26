"""Crash-safe file writes: a reader sees the old content or the new, never a torn file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

TMP_SUFFIX = ".marimo-tui.tmp"


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_temp(path: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; some filesystems refuse to open a folder for this.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: temp file in the same folder, fsync, `os.replace`.

    The file's permission bits are kept (a new file gets the umask's default).
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = _umask_mode()
    tmp = _write_temp(path, data)
    try:
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_create(path: Path, data: bytes) -> None:
    """Create `path` with `data`, atomically, failing with FileExistsError if it exists."""
    tmp = _write_temp(path, data)
    try:
        os.chmod(tmp, _umask_mode())
        os.link(tmp, path)  # unlike os.replace, link refuses to overwrite
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
