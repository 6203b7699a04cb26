"""Files a landing took out of a notebook's place, kept until no editor can still write them.

A landing swaps its staged file with the notebook (RENAME_EXCHANGE, within the notebook's
folder), so the old file is not unlinked: it moves to `.marimo-tui/journal/displaced/`. That
matters for an editor saving in place (open with O_TRUNC and write, vim's `backupcopy=yes`)
that opened the old file just before the swap: its bytes go into the displaced file, where
`Lander.sweep` finds them. A displaced file is named after its notebook (`rel_of`), so whatever
turns up in it is journaled under that notebook.

Staged files live beside the notebook (`.<name>.landing-<token>.marimo-tui.tmp`): swapping
within one folder is what file watchers (marimo's among them) read as a save. One left there by
a crash is a stray the next landing of that notebook judges like a displaced file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from marimo_tui.notebook.atomic import TMP_SUFFIX

STAGE_MARK = ".landing-"  # atomic_write's temp names never hold a '-': ours are told apart
PART = ".part"  # a staged file being written: renamed to drop this once complete
_NAME_MAX = 150  # of the quoted notebook path; the rest of the 255 bytes is the token
# Where no lease can tell whether an editor still has a displaced file open, it is kept this
# long (seconds) after it last changed: an in-place save finishes well within it.
UNKNOWN_WRITERS_GRACE = 600.0


def stage_names(path: Path) -> tuple[Path, Path]:
    """Fresh names beside notebook `path` to stage a version: while written, and complete."""
    stem = f".{path.name}{STAGE_MARK}{uuid.uuid4().hex[:12]}"
    return path.with_name(f"{stem}{PART}{TMP_SUFFIX}"), path.with_name(f"{stem}{TMP_SUFFIX}")


def aside_name(rel: str) -> str:
    """A fresh name in the displaced folder for a file that held notebook `rel`."""
    # '#' is escaped by quote(), so the last '#' separates the notebook from the token.
    return f"{quote(rel, safe='')[:_NAME_MAX]}#{uuid.uuid4().hex[:12]}{TMP_SUFFIX}"


def rel_of(name: str) -> str:
    """The notebook a displaced file came from (cut short for very long paths)."""
    return unquote(name.rsplit("#", 1)[0])


@dataclass(frozen=True, slots=True)
class Snapshot:
    data: bytes
    ino: int
    ctime: float  # last rename or write: when it was displaced, or last written into
    writers: bool | None  # someone has it open for writing; None: cannot tell here


def read(path: Path, *, probe: bool = False) -> Snapshot:
    """Content and identity of one file, read through a single descriptor.

    Raises FileNotFoundError when it is gone.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        writers = _writers(fd) if probe else None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return Snapshot(b"".join(chunks), st.st_ino, st.st_ctime, writers)


def _writers(fd: int) -> bool | None:
    """Whether another descriptor has the file open for writing (Linux: a read lease).

    A read lease is granted only when nobody has the file open for writing; it is released at
    once. While it is held, an opener would make the kernel signal us (SIGIO, which kills by
    default): the signal is set to SIGURG, which is ignored unless someone handles it.
    """
    setlease = getattr(fcntl, "F_SETLEASE", None)
    setsig = getattr(fcntl, "F_SETSIG", None)
    if setlease is None or setsig is None:
        return None
    try:
        fcntl.fcntl(fd, setsig, signal.SIGURG)
        fcntl.fcntl(fd, setlease, fcntl.F_RDLCK)
    except BlockingIOError:
        return True
    except OSError:  # no leases on this filesystem, or not our file
        return None
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, setlease, fcntl.F_UNLCK)
    return False


def files(folder: Path, still_for: float = 0.0) -> list[Path]:
    """The displaced files unchanged for `still_for` seconds: younger ones are neither judged
    nor read yet (a busy agent lands many a second)."""
    since = time.time() - still_for
    return [p for p, ctime in _listed(folder, "") if ctime <= since]


def strays(path: Path, still_for: float = 0.0) -> tuple[list[Path], list[Path]]:
    """What crashed landings of notebook `path` left beside it, unchanged for `still_for`:
    staged files cut short, and whole ones (staged, or displaced and not yet moved away)."""
    since = time.time() - still_for
    found = [p for p, ctime in _listed(path.parent, f".{path.name}{STAGE_MARK}") if ctime <= since]
    parts = [p for p in found if p.name.endswith(PART + TMP_SUFFIX)]
    return parts, [p for p in found if p not in parts]


def _listed(folder: Path, prefix: str) -> list[tuple[Path, float]]:
    """Our files in `folder` (named `prefix…` + TMP_SUFFIX), with their ctimes."""
    found = []
    try:
        for e in os.scandir(folder):
            with contextlib.suppress(FileNotFoundError):
                if (
                    e.name.startswith(prefix)
                    and e.name.endswith(TMP_SUFFIX)
                    and e.is_file(follow_symlinks=False)
                ):
                    found.append((Path(e.path), e.stat(follow_symlinks=False).st_ctime))
    except (FileNotFoundError, NotADirectoryError):
        pass
    return sorted(found)


def removable(snap: Snapshot, now: float, min_age: float) -> bool:
    """Whether a displaced file may go: nobody writing into it, and still for `min_age`."""
    age = now - snap.ctime
    if snap.writers is None:
        return age >= max(min_age, UNKNOWN_WRITERS_GRACE)
    return not snap.writers and age >= min_age
