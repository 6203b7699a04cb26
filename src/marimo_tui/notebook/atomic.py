"""Crash-safe file writes: a reader sees the old content or the new, never a torn file.

Also the primitives a safe landing needs (see `landing.py`): writing a new file durably under a
chosen name, and Linux's `renameat2` (RENAME_EXCHANGE swaps two names atomically, so the file
we replace is kept rather than unlinked).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import platform
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

TMP_SUFFIX = ".marimo-tui.tmp"

RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
# What renameat2 answers where it cannot do the job: no such call (old kernel, not Linux), a
# filesystem without the flag, or two names on different mounts (e.g. a bind mount).
SWAP_UNSUPPORTED = frozenset({errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EXDEV})
_AT_FDCWD = -100
# renameat2's number, for a glibc older than 2.28 that lacks the wrapper (only where checked).
_SYS_RENAMEAT2 = {"x86_64": 316, "aarch64": 276}


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


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: some filesystems refuse)."""
    _fsync_dir(folder)


def write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` (which must not exist) holding `data` with permission bits `mode`, fsynced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, mode)  # exactly `mode`: os.open's mode would be cut by the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def file_mode(path: Path) -> int:
    """The permission bits a new version of `path` gets: the file's own, else the umask's."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return _umask_mode()


@functools.cache
def _renameat2() -> Callable[[bytes, bytes, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    wrapper = getattr(libc, "renameat2", None)
    if wrapper is not None:
        wrapper.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
        wrapper.argtypes += [ctypes.c_uint]
        wrapper.restype = ctypes.c_int
        return lambda src, dst, flags: int(wrapper(_AT_FDCWD, src, _AT_FDCWD, dst, flags))
    number = _SYS_RENAMEAT2.get(platform.machine())
    if number is None:
        return None
    syscall = libc.syscall
    syscall.restype = ctypes.c_long

    def call(src: bytes, dst: bytes, flags: int) -> int:
        args = (ctypes.c_int(_AT_FDCWD), src, ctypes.c_int(_AT_FDCWD), dst, ctypes.c_uint(flags))
        return int(syscall(ctypes.c_long(number), *args))

    return call


def swap_available() -> bool:
    """Whether this system has renameat2 at all (a filesystem may still refuse a flag)."""
    return _renameat2() is not None


def renameat2(src: Path, dst: Path, flags: int) -> None:
    """Linux renameat2(2); OSError(ENOSYS) where there is no such call."""
    call = _renameat2()
    if call is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available here", str(src))
    if call(os.fsencode(src), os.fsencode(dst), flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(src), None, str(dst))


def exchange(a: Path, b: Path) -> None:
    """Swap the files named `a` and `b` atomically (both must exist).

    Raises OSError with an errno in SWAP_UNSUPPORTED where this cannot be done, and
    FileNotFoundError when either name is missing.
    """
    renameat2(a, b, RENAME_EXCHANGE)
