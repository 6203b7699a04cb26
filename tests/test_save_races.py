"""No human save is ever lost to a store write (issue 16, item 5).

- Randomized interleavings in real processes (see `race_support.py`): an editor saving by
  rename, in place (truncate and write, also with an fd opened before the swap), vim-style
  backup rename, and `git checkout`, against agent edits, inline edits and undo from other
  processes, with the landing's windows widened at random phases. Every version anyone wrote
  must be on disk, in the journal or in `conflicts/`.
- A store writer SIGKILLed at random points, 120 times: every version on disk has a log entry,
  and undo is not refused.
- Targeted cases: a save inside the check→swap window is put back (and a yet newer one wins);
  an in-place write into the displaced file is journaled by the sweep; a path missing at the
  swap is a conflict; undo of a creation does not delete a racing save; where the exchange is
  refused, the fallback checks last and replaces.

RACE_SEED / RACE_COUNT override the seed and the number of interleavings.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import mmap
import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from marimo_tui.notebook import landing
from marimo_tui.notebook.atomic import TMP_SUFFIX, swap_available
from marimo_tui.notebook.errors import ConflictError, StoreError
from marimo_tui.notebook.model import text_hash
from marimo_tui.notebook.reader import read_notebook
from marimo_tui.notebook.store import NotebookStore
from tests.race_support import BLANK, run_races

SEED = int(os.environ.get("RACE_SEED", "16005"))
INTERLEAVINGS = int(os.environ.get("RACE_COUNT", "240"))
KILLS = 120
NB = "nb.py"

pytestmark = pytest.mark.skipif(not swap_available(), reason="needs renameat2 (Linux)")


@pytest.fixture(autouse=True)
def _quiet_marimo() -> None:
    logging.getLogger("marimo").setLevel(logging.ERROR)


@pytest.fixture(autouse=True)
def _no_hook() -> Iterator[None]:
    yield
    landing.hook = None


def test_racing_saves_are_never_lost(tmp_path: Path) -> None:
    started = time.monotonic()
    tally = run_races(tmp_path, SEED, INTERLEAVINGS)
    summary = f"seed {SEED}: {tally.summary()} in {time.monotonic() - started:.1f} s"
    print(summary)
    assert not tally.lost, f"{summary}\n" + "\n".join(tally.lost[:5])
    assert tally.interleavings == INTERLEAVINGS
    # The windows were really raced: saves were put back after a swap, and some were refused.
    assert tally.phases["put-back"] > 0, summary
    assert tally.outcomes["agent:conflict"] + tally.outcomes["inline:conflict"] > 0, summary


# -- SIGKILL -------------------------------------------------------------------------------------
PHASES = ["idle", "start", "staged", "journaled", "checked", "swapped", "put-back", "done"]


def _writer(root: Path, seed: int, shared: mmap.mmap) -> None:
    """The killed process: edits and undoes in a loop, recording the phase it is in."""
    rng = random.Random(seed)

    def hook(phase: str) -> None:
        shared[0] = PHASES.index(phase)
        # Longer in the windows that matter: after the entry, and right after the swap.
        time.sleep(rng.uniform(0, 0.004 if phase in ("journaled", "swapped") else 0.002))

    landing.hook = hook
    store = NotebookStore(root)
    while True:
        shared[0] = 0
        try:
            store.read(NB)
            if rng.random() < 0.25:
                store.undo(NB)
            elif rng.random() < 0.5:
                store.add_cell(NB, f"k = {rng.getrandbits(64)}")
            else:
                store.replace_cell(NB, "#1", f"r = {rng.getrandbits(64)}")
        except StoreError:
            pass


def test_sigkilled_store_writer_leaves_every_version_journaled(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    store.create(NB, BLANK)
    for i in range(3):
        store.add_cell(NB, f"base = {i}")
    rng = random.Random(SEED)
    hit: dict[str, int] = {}
    shared = mmap.mmap(-1, 1)
    for kill in range(KILLS):
        seed = rng.getrandbits(32)
        pid = os.fork()
        if pid == 0:  # the child never returns into pytest
            try:
                _writer(tmp_path, seed, shared)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.005, 0.060))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), f"kill {kill}: the writer had ended ({status})"
        phase = PHASES[shared[0]]
        hit[phase] = hit.get(phase, 0) + 1

        fresh = NotebookStore(tmp_path)
        data = (tmp_path / NB).read_bytes()
        entries = list(fresh.journal.entries(NB))
        afters = {e.after for e in entries if e.op != "conflict"}
        where = f"kill {kill} (seed {SEED}) in phase {phase}"
        assert text_hash(data) in afters, f"{where}: the version on disk has no log entry"
        read_notebook(tmp_path / NB)  # whole, and a notebook
        with fresh._locked():  # what the kill left (staged, displaced) holds known versions
            assert fresh.lander._sweep(0, tmp_path / NB, NB) == [], f"{where}: unknown version"
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(TMP_SUFFIX)], where
        undone = fresh.undo(NB)  # not refused
        assert (tmp_path / NB).read_bytes() == fresh.journal.load(undone.before or ""), where
        fresh.replace_cell(NB, "#1", f"after_kill = {kill}")  # and writes go on
    print(f"kills by phase: {hit}")
    # The kills landed between the journal and the swap, and between the swap and its check.
    assert hit.get("journaled", 0) + hit.get("checked", 0) > 0, hit
    assert hit.get("swapped", 0) > 0, hit


# -- targeted cases ------------------------------------------------------------------------------
def _project(tmp_path: Path) -> tuple[NotebookStore, Path]:
    store = NotebookStore(tmp_path)
    store.create(NB, BLANK)
    store.add_cell(NB, "x = 1", name="t")
    return store, tmp_path / NB


def _save(path: Path, data: bytes) -> None:
    tmp = path.with_name(".editor-save")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def test_a_save_in_the_swap_window_is_put_back(tmp_path: Path) -> None:
    store, path = _project(tmp_path)
    saves = [b"# first save\n" + path.read_bytes(), b"# second save\n" + path.read_bytes()]

    def hook(phase: str) -> None:
        if phase == "checked":
            _save(path, saves[0])  # after the check, before the swap
        elif phase == "put-back":
            _save(path, saves[1])  # and a newer one while the first is being put back

    landing.hook = hook
    with pytest.raises(ConflictError) as info:
        store.replace_cell(NB, "t", "x = 2")
    landing.hook = None
    assert path.read_bytes() == saves[1]  # the newest save wins the disk
    with store._locked():  # the older one waits in `displaced/`; the sweep journals it
        made = store.lander.sweep(min_age=0)
    assert [p.read_bytes() for p in made] == [saves[0]]
    assert store.journal.has(text_hash(saves[0])) and store.journal.has(text_hash(saves[1]))
    assert info.value.saved_as is not None and b"x = 2" in info.value.saved_as.read_bytes()
    # Our write was withdrawn: undo does not try to revert it.
    voids = [e for e in store.journal.entries(NB) if e.op == "conflict" and e.undoes]
    assert len(voids) == 1
    assert store.journal.last_undoable(NB, text_hash(saves[1])).op == "add_cell"  # type: ignore[union-attr]


def test_an_in_place_write_into_the_displaced_file_is_journaled(tmp_path: Path) -> None:
    store, path = _project(tmp_path)
    opened: list[int] = []

    def hook(phase: str) -> None:
        if phase == "checked":  # an editor opens the file to save in place, before the swap
            opened.append(os.open(path, os.O_WRONLY))

    landing.hook = hook
    store.replace_cell(NB, "t", "x = 2")  # lands: the editor's fd now points at the old file
    landing.hook = None
    late = b"# written in place, late\n" + BLANK.encode()
    os.ftruncate(opened[0], 0)
    os.write(opened[0], late)
    with store._locked():
        store.lander.sweep(min_age=0)  # the editor still has it open: kept
    displaced = list(store.lander.displaced.iterdir())
    assert len(displaced) == 1
    os.close(opened[0])
    with store._locked():
        made = store.lander.sweep(min_age=0)
    assert made == [] and not list(store.lander.displaced.iterdir())
    assert store.journal.has(text_hash(late))
    copies = [p.read_bytes() for p in store.lander.conflicts.iterdir()]
    assert late in copies


def test_a_path_missing_at_the_swap_is_a_conflict(tmp_path: Path) -> None:
    store, path = _project(tmp_path)
    backup = path.with_name(NB + "~")
    landing.hook = lambda phase: os.rename(path, backup) if phase == "checked" else None
    with pytest.raises(ConflictError):
        store.replace_cell(NB, "t", "x = 2")
    landing.hook = None
    assert not path.exists() and backup.exists()  # vim is about to write the new file


def test_undo_of_a_creation_keeps_a_racing_save(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    path = tmp_path / NB
    store.create(NB, BLANK)
    theirs = b"# theirs\n" + BLANK.encode()
    landing.hook = lambda phase: _save(path, theirs) if phase == "journaled" else None
    with pytest.raises(StoreError, match="changed since"):
        store.undo(NB)
    landing.hook = None
    assert path.read_bytes() == theirs
    assert sorted(p.name for p in tmp_path.iterdir()) == [".marimo-tui", NB]  # no temp files
    # Without a race, undoing a creation removes the file (kept aside until swept).
    store.create("other.py", BLANK)
    store.undo("other.py")
    assert not (tmp_path / "other.py").exists()


def test_without_rename_exchange_the_fallback_checks_last_and_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filesystem that refuses RENAME_EXCHANGE (EINVAL): check last, then os.replace."""
    store, path = _project(tmp_path)

    def refuse(a: Path, b: Path) -> None:
        raise OSError(errno.EINVAL, "not here")

    monkeypatch.setattr(landing, "exchange", refuse)
    monkeypatch.setattr(landing, "_NO_EXCHANGE", set())
    store.replace_cell(NB, "t", "x = 2")  # refused once: the device is remembered
    assert os.stat(tmp_path).st_dev in landing._NO_EXCHANGE
    store.replace_cell(NB, "t", "x = 3")  # staged beside the notebook, replaced
    assert read_notebook(path).cells[-1].code == "x = 3"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".marimo-tui", NB]
    x3 = path.read_bytes()
    theirs = b"# theirs\n" + x3
    landing.hook = lambda phase: _save(path, theirs) if phase == "journaled" else None
    with pytest.raises(ConflictError):  # found by the check made last, before the replace
        store.replace_cell(NB, "t", "x = 4")
    landing.hook = None
    assert path.read_bytes() == theirs
    # The withdrawn write is passed over: the newest write that took effect is x = 3.
    assert store.journal.last_undoable(NB, text_hash(theirs)).after == text_hash(x3)  # type: ignore[union-attr]


async def test_marimo_s_file_watcher_sees_a_landing_and_a_put_back(tmp_path: Path) -> None:
    """The swap happens within the notebook's folder: marimo's `--watch` reads it as a save
    (it follows a rename onto the file, not one from another folder), so the kernel reruns."""
    file_watcher = pytest.importorskip("marimo._utils.file_watcher")
    store, path = _project(tmp_path)
    seen: list[bytes] = []

    async def changed(p: Path) -> None:
        seen.append(p.read_bytes())

    watcher = file_watcher.FileWatcher.create(path, changed)
    watcher.start()
    try:
        await asyncio.sleep(0.2)
        store.replace_cell(NB, "t", "x = 2")
        await _settled(seen)  # (watchdog holds events half a second, to pair renames)
        assert seen and b"x = 2" in seen[-1]
        theirs = b"# theirs\n" + path.read_bytes()
        landing.hook = lambda phase: _save(path, theirs) if phase == "checked" else None
        with pytest.raises(ConflictError):
            store.replace_cell(NB, "t", "x = 3")
        landing.hook = None
        seen.clear()
        await _settled(seen)
        assert seen[-1] == theirs  # the last thing marimo read is their save, put back
    finally:
        watcher.stop()


async def _settled(seen: list[bytes], quiet: float = 1.0, limit: float = 5.0) -> None:
    """Wait until the watcher reported something and then nothing for `quiet` seconds."""
    deadline = time.monotonic() + limit
    count, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if len(seen) != count:
            count, since = len(seen), time.monotonic()
        elif seen and time.monotonic() - since >= quiet:
            return
