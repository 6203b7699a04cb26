"""Linux Landlock through its three system calls (no library: the `landlock` package on PyPI
is a pre-release, and this is the whole of what we need).

`restrict_writes(places)` confines this process and every process it starts from then on: they
may create, change, rename or delete files only beneath the given folders (or the given files,
such as /dev/null). Reading, running programs and the network stay as they were — reading
includes other processes' `/proc/PID/environ` (measured: a confined kernel read the
workbench's, on Linux 6.18 with Landlock ABI 7), which is why secrets are kept out of the
kernel's environment and redacted in what comes back, not left to this. The kernel keeps the
rules for the process's lifetime; nothing can lift them.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
from collections.abc import Iterable
from pathlib import Path

# System call numbers: the same on every architecture (numbered after the 2019 unification).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights (linux/landlock.h).
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2: renames and links across folders
TRUNCATE = 1 << 14  # ABI 3

# Every right that changes the filesystem, by the ABI that knows it. Read and execute rights
# are left unhandled, so they stay allowed everywhere.
_WRITES_ABI1 = (
    WRITE_FILE
    | REMOVE_DIR
    | REMOVE_FILE
    | MAKE_CHAR
    | MAKE_DIR
    | MAKE_REG
    | MAKE_SOCK
    | MAKE_FIFO
    | MAKE_BLOCK
    | MAKE_SYM
)
# The rights that make sense on a file (not a folder) in a rule.
_FILE_RIGHTS = WRITE_FILE | TRUNCATE


class LandlockUnavailable(OSError):
    """This kernel cannot confine (too old, or Landlock not enabled at boot)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # packed in the kernel's header
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """Landlock's ABI version here; 0 when this kernel cannot confine."""
    try:
        libc = _libc()
    except OSError:
        return 0
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(
        ctypes.c_long(SYS_CREATE_RULESET), None, ctypes.c_size_t(0), CREATE_RULESET_VERSION
    )
    return max(0, int(version))


def unavailable_reason() -> str:
    """Why this kernel cannot confine, in a few words ('' when it can)."""
    if os.uname().sysname != "Linux":
        return "Landlock is Linux only"
    if abi_version() > 0:
        return ""
    code = ctypes.get_errno()
    if code == errno.EOPNOTSUPP:
        return "Landlock is built into this kernel but not enabled (boot option lsm=…,landlock)"
    return "this kernel has no Landlock (Linux 5.13 or newer with CONFIG_SECURITY_LANDLOCK)"


def write_rights(abi: int) -> int:
    rights = _WRITES_ABI1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    return rights


def restrict_writes(places: Iterable[Path]) -> int:
    """Confine this process (and its future children) to writing beneath `places`.

    Places that do not exist are left out. Returns the ABI version used; raises
    LandlockUnavailable when the kernel cannot confine, OSError when a call fails.
    """
    abi = abi_version()
    if abi <= 0:
        raise LandlockUnavailable(errno.ENOSYS, unavailable_reason())
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    handled = write_rights(abi)
    attr = _RulesetAttr(handled)
    ruleset = libc.syscall(
        ctypes.c_long(SYS_CREATE_RULESET),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
        0,
    )
    if ruleset < 0:
        raise _error("landlock_create_ruleset")
    try:
        for place in places:
            _allow(libc, int(ruleset), place, handled)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise _error("prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(ctypes.c_long(SYS_RESTRICT_SELF), int(ruleset), 0) != 0:
            raise _error("landlock_restrict_self")
    finally:
        os.close(int(ruleset))
    return abi


def _allow(libc: ctypes.CDLL, ruleset: int, place: Path, handled: int) -> None:
    try:
        fd = os.open(place, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        rights = handled if os.path.isdir(place) else handled & _FILE_RIGHTS
        beneath = _PathBeneathAttr(rights, fd)
        done = libc.syscall(
            ctypes.c_long(SYS_ADD_RULE), ruleset, RULE_PATH_BENEATH, ctypes.byref(beneath), 0
        )
        if done != 0:
            raise _error(f"landlock_add_rule({place})")
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


def _error(call: str) -> OSError:
    code = ctypes.get_errno()
    return OSError(code, f"{call}: {os.strerror(code)}")
