"""Landing a new version of a notebook file: checked, journaled, and never losing another's save.

The store decides *what* to write; this module puts it on disk. A version lands only over the
version it was based on (its hash); anything else on disk is someone else's save and stays, with
ours kept under `.marimo-tui/conflicts/`.

The order of a landing (callers hold the store's lock):

1. sweep: re-check files earlier landings displaced (see `displaced.py`);
2. read the file: not `expected` → conflict now, nothing written but the conflict entry;
3. slow work: blobs of both versions, the new version staged (fsynced) beside the file;
4. journal first: the entry (before → after) is appended and fsynced before the file changes,
   so after a crash at any point every version on disk has an entry (an entry whose swap never
   happened is an orphan, which undo passes over: see `journal.py`);
5. check last: read the file again; not `expected` → the entry is voided (a `conflict` entry
   with `undoes` naming it), ours goes to `conflicts/`;
6. swap: `renameat2(RENAME_EXCHANGE)` puts ours at the path and the file it displaces under the
   staged name, so nothing is unlinked. If that file is not `expected`, a save arrived in the
   window: it is put back (exchanging again, as long as yet newer saves keep arriving) and ours
   is voided as in 5. A path missing at the swap (mid `git checkout`, vim's backup rename) is a
   conflict too. The displaced file moves to `displaced/` until no editor has it open (an
   in-place save into it is journaled as a conflict version by `sweep`).

Fallback where RENAME_EXCHANGE is refused (not Linux, a filesystem without it): steps 1-5 as
above, then `os.replace`. A save landing in the microseconds between the check and the replace is
then lost, and an editor writing in place into the replaced file loses its bytes; both are closed
only by the exchange.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from marimo_tui.notebook import displaced
from marimo_tui.notebook.atomic import (
    SWAP_UNSUPPORTED,
    atomic_create,
    atomic_write,
    exchange,
    file_mode,
    fsync_dir,
    swap_available,
    write_new,
)
from marimo_tui.notebook.errors import ConflictError, StoreError
from marimo_tui.notebook.journal import CONFLICT, UNDO, Entry, Journal
from marimo_tui.notebook.model import text_hash
from marimo_tui.notebook.write_paths import OutsideRoot, check_inside

# Called with the name of each phase a landing reaches ("start", "staged", "journaled",
# "checked", "swapped", "put-back" when a save raced the swap, "done"). Tests set it to widen
# race windows or to die at a phase; None costs one comparison.
hook: Callable[[str], None] | None = None

_PUT_BACKS = 16  # exchanges to put a racing save back while yet newer saves keep arriving
_NO_EXCHANGE: set[int] = set()  # devices whose filesystem refused RENAME_EXCHANGE
SETTLE_AGE = 1.0  # seconds a displaced file stays at least (an open racing the swap)


def _at(phase: str) -> None:
    if hook is not None:
        hook(phase)


def disk_hash(path: Path) -> str | None:
    """Hash of the file now on disk; None when it does not exist."""
    data = _read(path)
    return text_hash(data) if data is not None else None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@dataclass(frozen=True, slots=True)
class _Staged:
    path: Path  # beside the notebook
    ino: int


@dataclass(frozen=True, slots=True)
class Lander:
    """Lands versions of files for one project's store (callers hold the store's lock)."""

    journal: Journal
    conflicts: Path  # where our version goes when the disk moved on without us

    @property
    def displaced(self) -> Path:
        return self.journal.folder / "displaced"

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
        self._sweep(SETTLE_AGE, path, rel)
        _at("start")
        current = _read(path)
        if current is None:
            raise StoreError(f"{path} no longer exists: edit refused")
        if text_hash(current) != expected:
            raise ConflictError(path, self.keep_conflict(path, rel, current, data, op))
        # The version we replace may be someone's save that the journal has never seen.
        self.journal.keep(current)
        after = self.journal.keep(data)  # first: a staged file is always a version we know
        staged = self._stage(path, data)
        _at("staged")
        entry = self.journal.append(rel, op, expected, after, detail=detail, group=group)
        _at("journaled")
        landed, theirs = self._swap_in(path, rel, staged, expected)
        if not landed:
            saved = self.keep_conflict(path, rel, theirs, data, op, undoes=entry.id)
            raise ConflictError(path, saved)
        _at("done")
        return entry

    def revert(self, path: Path, rel: str, entry: Entry) -> Entry:
        """Put back the version before `entry`, if the file is still `entry`'s version."""
        current = _read(path)
        if (text_hash(current) if current is not None else None) != entry.after:
            raise self._refused(rel, entry)
        self._sweep(SETTLE_AGE, path, rel)
        _at("start")
        restored = self.journal.load(entry.before) if entry.before else None
        staged = self._stage(path, restored) if restored is not None else None
        _at("staged")
        undo = self.journal.append(
            rel, UNDO, entry.after, entry.before, detail=entry.op, undoes=entry.id
        )
        _at("journaled")
        if staged is not None:
            landed, theirs = self._swap_in(path, rel, staged, entry.after or "")
        else:
            landed, theirs = self._remove(path, rel, entry.after or "")
        if not landed:
            mine = self.journal.keep(theirs) if theirs is not None else None
            self.journal.append(rel, CONFLICT, mine, entry.before, detail=UNDO, undoes=undo.id)
            raise self._refused(rel, entry)
        _at("done")
        return undo

    def create(
        self, path: Path, rel: str, data: bytes, *, op: str = "create", group: str | None = None
    ) -> Entry:
        """Create `path` with `data`, journaled; refuses (StoreError) to overwrite anything."""
        if os.path.lexists(path):
            raise StoreError(f"{path} already exists: not overwritten")
        self.sweep()
        _at("start")
        entry = self.journal.append(rel, op, None, self.journal.keep(data), group=group)
        _at("journaled")
        try:
            atomic_create(path, data)  # a hard link: refuses to overwrite, no window
        except FileExistsError:
            self.journal.append(rel, CONFLICT, None, entry.after, detail=op, undoes=entry.id)
            raise StoreError(f"{path} already exists: not overwritten") from None
        _at("done")
        return entry

    def keep_conflict(
        self,
        path: Path,
        rel: str,
        theirs: bytes | None,
        ours: bytes,
        op: str,
        *,
        undoes: str | None = None,
    ) -> Path:
        """Both versions are kept: theirs stays on disk, ours goes to `conflicts/`.

        With `undoes`, the conflict also withdraws that entry: its write never took effect.
        """
        self.journal.record(rel, CONFLICT, theirs, ours, detail=op, undoes=undoes)
        return self._conflict_copy(path.stem, ours)

    def sweep(self, min_age: float = SETTLE_AGE) -> list[Path]:
        """Re-check the files landings displaced; returns the conflict copies it made.

        Each file still for `min_age` seconds is read: content the journal does not know (an
        editor wrote into the file after the swap, or a crash came before the check) is
        journaled as a `conflict` version and copied to `conflicts/`; the file goes when nobody
        has it open for writing. Callers hold the store's lock (another landing's staged file
        is not ours to judge while it runs).
        """
        return self._sweep(min_age)

    def _sweep(self, min_age: float, path: Path | None = None, rel: str = "") -> list[Path]:
        """`sweep`, and with a notebook also what crashed landings left beside it."""
        found = [(f, displaced.rel_of(f.name)) for f in displaced.files(self.displaced, min_age)]
        if path is not None:
            parts, whole = displaced.strays(path, min_age)
            for part in parts:  # staged, cut short: never a version anyone saved
                part.unlink(missing_ok=True)
            found += [(f, rel) for f in whole]
        made = []
        now = time.time()
        for file, owner in found:
            try:
                snap = displaced.read(file, probe=True)
            except OSError:  # gone, or unreadable: not a reason to refuse the landing at hand
                continue
            if not self.journal.has(text_hash(snap.data)):
                self.journal.record(
                    owner, CONFLICT, None, snap.data, detail="written into a replaced file"
                )
                made.append(self._conflict_copy(Path(owner).stem, snap.data))
            if displaced.removable(snap, now, min_age):
                file.unlink(missing_ok=True)
        return made

    # -- the swap --------------------------------------------------------------------------
    def _stage(self, path: Path, data: bytes) -> _Staged:
        """Write `data` durably beside `path`, where it is swapped in from.

        Written under a `.part` name first: a crash mid-write leaves a file `sweep` knows to
        drop, never a torn one that looks like a version someone saved.
        """
        part, target = displaced.stage_names(path)
        write_new(part, data, file_mode(path))
        os.rename(part, target)
        return _Staged(target, os.stat(target).st_ino)

    def _swap_in(
        self, path: Path, rel: str, staged: _Staged, expected: str
    ) -> tuple[bool, bytes | None]:
        """Put the staged version at `path` if `path` holds `expected`, losing nothing.

        Returns (landed, theirs): when not landed, `theirs` is the newest version someone else
        saved (on disk, or aside when the path vanished), and the staged file is gone.
        """
        current = _read(path)  # check last: the cheap read right before the swap
        if current is None or text_hash(current) != expected:
            staged.path.unlink(missing_ok=True)
            return False, current
        _at("checked")
        device = os.stat(path.parent).st_dev
        if swap_available() and device not in _NO_EXCHANGE:
            try:
                exchange(staged.path, path)
            except FileNotFoundError:  # the path is gone: someone is saving (git, vim)
                staged.path.unlink(missing_ok=True)
                return False, None
            except OSError as exc:
                if exc.errno not in SWAP_UNSUPPORTED:
                    staged.path.unlink(missing_ok=True)
                    raise
                _NO_EXCHANGE.add(device)
            else:
                _at("swapped")
                return self._settle(path, rel, staged, expected)
        try:
            os.replace(staged.path, path)
        except BaseException:
            staged.path.unlink(missing_ok=True)
            raise
        _at("swapped")
        fsync_dir(path.parent)
        return True, None

    def _settle(
        self, path: Path, rel: str, staged: _Staged, expected: str
    ) -> tuple[bool, bytes | None]:
        """After an exchange: keep what it displaced, and put back a save that raced us."""
        taken = displaced.read(staged.path)
        landed = text_hash(taken.data) == expected
        if not landed:
            # A save arrived between the check and the swap. Put it back; if the exchange
            # brings out yet another save (not the file we put in), that one is newer: put it
            # back too. Each exchange stays in the folder, so file watchers see a save. Nothing
            # is journaled before it is back: a crash in between leaves it where `sweep` looks.
            _at("put-back")
            put_in = staged.ino
            for _ in range(_PUT_BACKS):
                try:
                    exchange(staged.path, path)
                except FileNotFoundError:  # gone meanwhile: the next save is theirs to finish
                    break
                back = displaced.read(staged.path)
                if back.ino == put_in:
                    break
                put_in, taken = taken.ino, back  # the older save goes to `displaced/`
        # Under the staged name now: the displaced file, a superseded save, or ours.
        if _ino(staged.path) == staged.ino:
            staged.path.unlink(missing_ok=True)  # ours: in the journal already
        else:
            self._set_aside(staged.path, rel)
        fsync_dir(path.parent)
        return landed, None if landed else taken.data

    def _set_aside(self, file: Path, rel: str) -> Path:
        """Move a displaced file to `displaced/` (kept beside the notebook where it can't go)."""
        target = self.displaced / displaced.aside_name(rel)
        try:
            check_inside(target, self.journal.root)
            self.displaced.mkdir(parents=True, exist_ok=True)
            os.rename(file, target)
        except (OSError, OutsideRoot):  # e.g. another filesystem: left beside, where the
            return file  # stray sweep looks
        return target

    def _remove(self, path: Path, rel: str, expected: str) -> tuple[bool, bytes | None]:
        """Delete `path` if it holds `expected`: moved aside first, so a racing save survives."""
        _, aside = displaced.stage_names(path)
        try:
            os.rename(path, aside)  # takes whichever file is there at this instant
        except FileNotFoundError:
            return False, None
        _at("swapped")
        taken = displaced.read(aside)
        if text_hash(taken.data) == expected:
            self._set_aside(aside, rel)
            fsync_dir(path.parent)
            return True, None
        # A save arrived before the rename took the file: put it back, unless an even newer one
        # is at the path already (then both are kept: that one on disk, this one set aside).
        _at("put-back")
        try:
            os.link(aside, path)  # refuses to overwrite; the same file, for in-place writers
        except FileExistsError:
            self._set_aside(aside, rel)
        except OSError:  # no hard links on this filesystem: a rename, checked just before
            if os.path.lexists(path):
                self._set_aside(aside, rel)
            else:
                os.rename(aside, path)
        else:
            aside.unlink()
        fsync_dir(path.parent)
        return False, taken.data

    def _conflict_copy(self, stem: str, ours: bytes) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        saved = self.conflicts / f"{stem}.{stamp}.{text_hash(ours)[:8]}.py"
        check_inside(saved, self.journal.root)  # (ours is in the journal already)
        self.conflicts.mkdir(parents=True, exist_ok=True)
        atomic_write(saved, ours)
        return saved

    @staticmethod
    def _refused(rel: str, entry: Entry) -> StoreError:
        return StoreError(
            f"{rel} changed since the write to undo ({entry.op}); undo refused, nothing lost"
        )


def _ino(path: Path) -> int | None:
    try:
        return os.stat(path, follow_symlinks=False).st_ino
    except FileNotFoundError:
        return None
