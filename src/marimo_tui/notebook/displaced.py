"""Files a landing moved aside, kept until no editor can still be writing into them.

A landing stages the new version in `.marimo-tui/journal/displaced/` and swaps it with the
notebook (RENAME_EXCHANGE): the old file then sits under the staging name instead of being
unlinked. That matters for an editor saving in place (open with O_TRUNC and write, vim's
`backupcopy=yes`) that opened the old file just before the swap: its bytes go into the displaced
file, and `Lander.sweep` finds them there. Staging here also means a crash at any point leaves
nothing in the notebook's folder.

A displaced file is named after the notebook it came from (`rel_of`), so whatever turns up in it
can be journaled under that notebook.
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

PART = ".part"  # a staged file being written: renamed to drop this once complete
_NAME_MAX = 150  # of the quoted notebook path; the rest of the 255 bytes is the token
# Where no lease can tell whether an editor still has a displaced file open, it is kept this
# long (seconds) after it last changed: an in-place save finishes well within it.
UNKNOWN_WRITERS_GRACE = 600.0


def stage_name(rel: str) -> str:
    """A fresh file name in the displaced folder for a version of notebook `rel`."""
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
    """The displaced files (and staged ones a crash left unswapped) unchanged for `still_for`
    seconds: younger ones are neither judged nor read yet (a busy agent lands many a second)."""
    since = time.time() - still_for
    return [p for p, ctime in _listed(folder, TMP_SUFFIX) if ctime <= since]


def parts(folder: Path) -> list[Path]:
    """Staged files whose writing a crash cut short."""
    return [p for p, _ in _listed(folder, PART)]


def _listed(folder: Path, suffix: str) -> list[tuple[Path, float]]:
    found = []
    try:
        for e in os.scandir(folder):
            with contextlib.suppress(FileNotFoundError):
                if e.name.endswith(suffix) and e.is_file(follow_symlinks=False):
                    found.append((Path(e.path), e.stat(follow_symlinks=False).st_ctime))
    except FileNotFoundError:
        pass
    return sorted(found)


def removable(snap: Snapshot, now: float, min_age: float) -> bool:
    """Whether a displaced file may go: nobody writing into it, and still for `min_age`."""
    age = now - snap.ctime
    if snap.writers is None:
        return age >= max(min_age, UNKNOWN_WRITERS_GRACE)
    return not snap.writers and age >= min_age
