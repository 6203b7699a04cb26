"""Crash safety of notebook writes: SIGKILLed writers, conflicts, the journal and undo.

- A writer SIGKILLed at random points, 50 times, never leaves a torn notebook: the file is always
  exactly one of the versions it may have written, and parses.
- An edit based on a version that changed on disk is refused (ConflictError); the disk keeps the
  other version byte for byte and ours is saved beside it.
- Every write is journaled; undo restores each previous version exactly, is journaled itself, and
  is refused (nothing written) when the file changed after the write to undo.
- A killed writer's stray temp file is never taken for a notebook.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from marimo_tui.config_schema import Config
from marimo_tui.notebook import marimo_render
from marimo_tui.notebook.atomic import TMP_SUFFIX
from marimo_tui.notebook.errors import ConflictError, StoreError
from marimo_tui.notebook.model import text_hash
from marimo_tui.notebook.reader import read_notebook
from marimo_tui.notebook.store import NotebookStore, make_cell
from marimo_tui.project import clean_targets, discover_notebooks

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
BLANK = (TEMPLATES / "blank.py").read_text(encoding="utf-8")
NB = "nb.py"
KILLS = 50
MAX_DELAY = 0.050  # seconds between the writer's "started" and SIGKILL


@pytest.fixture(autouse=True)
def _quiet_marimo() -> None:
    logging.getLogger("marimo").setLevel(logging.ERROR)


def _big_version(fill: str, cells: int) -> bytes:
    """A valid notebook of ~1.2 MB: `cells` cells, each one long string literal."""
    chunk = 60_000
    codes = [f"v{i} = {(fill * chunk)[:chunk]!r}\n# {fill} {i}" for i in range(cells)]
    text = marimo_render.render("", {}, [make_cell(f"c{i}", c) for i, c in enumerate(codes)])
    return text.encode("utf-8")


def _spawn(script: str, *args: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line != b"started\n":
        proc.kill()
        raise AssertionError(f"writer did not start: {line!r} {proc.stderr.read()!r}")  # type: ignore[union-attr]
    return proc


def _kill(proc: subprocess.Popen[bytes], delay: float) -> None:
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL, "the writer ended before it was killed"
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]


def _strays(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(TMP_SUFFIX))


# -- (a) a writer SIGKILLed mid-write ------------------------------------------------------------
ATOMIC_WRITER = """
    import sys
    from pathlib import Path
    from marimo_tui.notebook.atomic import atomic_write

    path = Path(sys.argv[1])
    versions = [Path(p).read_bytes() for p in sys.argv[2:]]
    print("started", flush=True)
    i = 1
    while True:
        atomic_write(path, versions[i % len(versions)])
        i += 1
"""


def test_sigkilled_writer_never_leaves_a_torn_notebook(tmp_path: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    # Different fills and sizes: any mix or truncation of the two is neither.
    versions = [_big_version("a", 20), _big_version("b", 21)]
    assert all(1_000_000 < len(v) < 2_000_000 for v in versions)
    sources = []
    for i, data in enumerate(versions):
        src = tmp_path / f"version{i}.py"
        src.write_bytes(data)
        sources.append(str(src))
    target = work / NB
    target.write_bytes(versions[0])
    parsed = {
        text_hash(v): len(read_notebook(Path(s)).cells)
        for v, s in zip(versions, sources, strict=True)
    }

    rng = random.Random(20240611)
    seen: set[int] = set()
    torn_writes = 0  # kills that landed while a temp file existed: mid-write
    for kill in range(KILLS):
        proc = _spawn(ATOMIC_WRITER, str(target), *sources)
        _kill(proc, rng.uniform(0, MAX_DELAY))
        data = target.read_bytes()
        assert data in versions, (
            f"kill {kill}: {len(data)} bytes on disk, neither of the versions "
            f"({[len(v) for v in versions]} bytes)"
        )
        seen.add(versions.index(data))
        # ... and it parses, into that version's cells.
        assert len(read_notebook(target).cells) == parsed[text_hash(data)]
        strays = _strays(work)
        if strays:
            torn_writes += 1
            # (d) what the killed writer left is not a notebook, and `clean` removes it.
            config = Config(root=work)
            assert discover_notebooks(config) == [target]
            assert set(strays) <= set(clean_targets(config))
            for stray in strays:
                stray.unlink()
    assert sorted(os.listdir(work)) == [NB]
    assert seen == {0, 1}, f"only version(s) {seen} seen after the kills: timing too narrow"
    assert torn_writes > 0, "no kill landed mid-write: the test did not test anything"


STORE_WRITER = """
    import sys
    from pathlib import Path
    from marimo_tui.notebook.store import NotebookStore

    root = Path(sys.argv[1])
    store = NotebookStore(root)
    codes = [f"x = {c * int(sys.argv[2])!r}" for c in sys.argv[3]]
    store.read("nb.py")
    print("started", flush=True)
    i = 0
    while True:
        store.replace_cell("nb.py", "big", codes[i % len(codes)])
        i += 1
"""


def test_sigkilled_store_leaves_file_and_journal_consistent(tmp_path: Path) -> None:
    """The same through NotebookStore: file, journal and lock all survive a SIGKILL."""
    root = tmp_path
    size, fills = 200_000, "xy"
    codes = [f"x = {c * size!r}" for c in fills]
    store = NotebookStore(root)
    store.create(NB, BLANK)
    store.add_cell(NB, "x = 0", name="big")
    versions = {(root / NB).read_bytes()}
    for code in codes:  # what the writer will write, made the same way
        store.replace_cell(NB, "big", code)
        versions.add((root / NB).read_bytes())
    store.replace_cell(NB, "big", "x = 0")
    assert len(versions) == 3

    rng = random.Random(7)
    for kill in range(6):
        proc = _spawn(STORE_WRITER, str(root), str(size), fills)
        _kill(proc, rng.uniform(0, 0.3))
        data = (root / NB).read_bytes()
        assert data in versions, f"kill {kill}: a torn notebook of {len(data)} bytes"
        assert read_notebook(root / NB).cells[-1].name == "big"
        # Every complete journal line is an entry whose contents are all kept; only a last line
        # cut by the kill may be torn.
        lines = (root / ".marimo-tui" / "journal" / "log.jsonl").read_bytes().split(b"\n")
        for line in lines[:-1]:
            entry = json.loads(line)
            for digest in (entry["before"], entry["after"]):
                assert digest is None or store.journal.load(digest)
        # The killed writer's lock is released: another store edits without waiting.
        after_kill = NotebookStore(root)
        after_kill.replace_cell(NB, "big", "x = 0")
        assert (root / NB).read_bytes() in versions
    assert discover_notebooks(Config(root=root)) == [root / NB]


CRASH_AT = """
    import os, sys
    from pathlib import Path
    from marimo_tui.notebook import landing
    from marimo_tui.notebook.store import NotebookStore

    store = NotebookStore(Path(sys.argv[1]))
    store.read("nb.py")
    # Die the moment the landing reaches a phase: what a SIGKILL or power cut there does.
    landing.hook = lambda phase: os._exit(137) if phase == sys.argv[2] else None
    store.add_cell("nb.py", "y = 2")
"""


@pytest.mark.parametrize("phase", ["journaled", "swapped"])
def test_crash_around_the_replace_loses_no_version(tmp_path: Path, phase: str) -> None:
    """The entry is written before the file changes: whatever is on disk after a crash is
    journaled, and undo goes back past a write that never landed."""
    store = NotebookStore(tmp_path)
    store.create(NB, BLANK)
    theirs = BLANK.replace("return", "x = 1\n    return").encode()
    (tmp_path / NB).write_bytes(theirs)  # e.g. saved from an editor: not in the journal
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH_AT), str(tmp_path), phase],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 137, proc.stderr
    on_disk = (tmp_path / NB).read_bytes()
    assert (on_disk == theirs) == (phase == "journaled")  # after "swapped", ours is in place
    assert store.journal.blob_path(text_hash(theirs)).exists()
    assert text_hash(on_disk) in {e.after for e in store.journal.entries(NB)} | {text_hash(theirs)}
    if phase == "swapped":
        store.undo(NB)  # the crashed write is undone: theirs is back
        assert (tmp_path / NB).read_bytes() == theirs
    else:  # the write never landed: the newest write that did is the creation, not on disk
        with pytest.raises(StoreError, match="changed since"):
            store.undo(NB)
    assert (tmp_path / NB).read_bytes() == theirs


# -- (b) conflicts -------------------------------------------------------------------------------
def test_edit_based_on_a_stale_version_is_a_conflict(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    store.create(NB, BLANK)
    store.add_cell(NB, "a = 1", name="first")
    assert store.read(NB).cells[-1].code == "a = 1"

    # Someone else writes the file behind the store's back.
    theirs = (tmp_path / NB).read_text().replace("a = 1", "a = 'theirs'").encode()
    (tmp_path / NB).write_bytes(theirs)

    with pytest.raises(ConflictError) as info:
        store.replace_cell(NB, "first", "a = 'ours'")
    err = info.value
    message = str(err)
    assert str(tmp_path / NB) in message
    assert "changed on disk" in message and "refused" in message
    assert err.saved_as is not None and str(err.saved_as) in message
    assert "\n" not in message  # one line, fit for a status bar

    assert (tmp_path / NB).read_bytes() == theirs  # theirs is untouched, byte for byte
    assert err.saved_as.is_file()
    saved = read_notebook(err.saved_as)  # ours is a whole notebook with our edit
    assert [c.code for c in saved.cells] == ["", "a = 'ours'"]
    assert [c.name for c in saved.cells] == ["_", "first"]

    conflicts = [e for e in store.journal.entries(NB) if e.op == "conflict"]
    assert len(conflicts) == 1
    assert conflicts[0].before == text_hash(theirs)
    assert conflicts[0].after == text_hash(err.saved_as.read_bytes())

    # Re-reading picks up their version; the edit then goes through on top of it.
    assert store.read(NB).cells[-1].code == "a = 'theirs'"
    store.replace_cell(NB, "first", "a = 'ours'")
    assert read_notebook(tmp_path / NB).cells[-1].code == "a = 'ours'"


def test_conflict_with_a_deleted_file_is_refused(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    store.create(NB, BLANK)
    (tmp_path / NB).unlink()
    with pytest.raises(StoreError, match="no longer exists"):
        store.add_cell(NB, "x = 1")
    assert not (tmp_path / NB).exists()


# -- (c) the journal and undo --------------------------------------------------------------------
def test_undo_restores_every_version_and_is_journaled(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    path = tmp_path / NB
    store.create(NB, BLANK)
    history = [path.read_bytes()]
    edits = [
        lambda: store.add_cell(NB, "import math", name="imports"),
        lambda: store.add_cell(NB, "r = math.pi * 2\n", after="imports"),
        lambda: store.replace_cell(NB, "#3", "r = math.tau  # 𝜏 ✓"),
        lambda: store.rename_cell(NB, "#3", "radius"),
        lambda: store.set_cell_options(NB, "radius", hide_code=True, disabled=True),
        lambda: store.add_cell(NB, "broken = (", before="imports"),
        lambda: store.move_cell(NB, "radius", 0),
        lambda: store.delete_cell(NB, "imports"),
    ]
    for edit in edits:
        edit()
        history.append(path.read_bytes())
    assert len(set(history)) == len(history), "every edit changed the file"

    entries = list(store.journal.entries(NB))
    assert [e.op for e in entries] == [
        "create",
        "add_cell",
        "add_cell",
        "replace_cell",
        "rename_cell",
        "set_cell_options",
        "add_cell",
        "move_cell",
        "delete_cell",
    ]
    for entry, before, after in zip(entries[1:], history[:-1], history[1:], strict=True):
        assert (entry.before, entry.after) == (text_hash(before), text_hash(after))
        assert store.journal.load(entry.before) == before

    # Undo walks back through every version, byte for byte, each undo journaled.
    for k in range(len(edits), 0, -1):
        undone = store.undo(NB)
        assert undone.id == entries[k].id
        assert path.read_bytes() == history[k - 1]
        last = list(store.journal.entries(NB))[-1]
        assert (last.op, last.undoes) == ("undo", undone.id)
        assert (last.before, last.after) == (text_hash(history[k]), text_hash(history[k - 1]))
    assert [e.op for e in store.journal.entries(NB)].count("undo") == len(edits)

    # The store reads the restored version: a new edit is based on it, not a conflict.
    assert [c.code for c in store.notebook(NB).cells] == [""]
    store.add_cell(NB, "z = 1")
    assert [c.code for c in read_notebook(path).cells] == ["", "z = 1"]
    store.undo(NB)
    assert path.read_bytes() == history[0]

    # Undoing the creation removes the file; then there is nothing left to undo.
    store.undo(NB)
    assert not path.exists()
    with pytest.raises(StoreError, match="nothing to undo"):
        store.undo(NB)


def test_undo_after_an_external_change_is_refused(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    path = tmp_path / NB
    store.create(NB, BLANK)
    store.add_cell(NB, "x = 1")
    external = path.read_bytes().replace(b"x = 1", b"x = 'edited elsewhere'")
    path.write_bytes(external)
    log = store.journal.log.read_bytes()

    with pytest.raises(StoreError, match="changed since") as info:
        store.undo(NB)
    assert "\n" not in str(info.value)
    assert path.read_bytes() == external  # nothing changed on disk
    assert store.journal.log.read_bytes() == log  # nor in the journal
    assert not (tmp_path / ".marimo-tui" / "conflicts").exists()


def test_undo_of_a_conflict_is_not_possible(tmp_path: Path) -> None:
    """A refused edit wrote nothing, so there is nothing of it to undo."""
    store = NotebookStore(tmp_path)
    path = tmp_path / NB
    store.create(NB, BLANK)
    store.read(NB)
    external = BLANK.replace("return", "q = 1\n    return").encode()
    path.write_bytes(external)
    with pytest.raises(ConflictError):
        store.add_cell(NB, "ours = 1")
    # The newest undoable write is the creation, whose result is no longer on disk.
    with pytest.raises(StoreError, match="changed since"):
        store.undo(NB)
    assert path.read_bytes() == external


# -- (d) stray temp files ------------------------------------------------------------------------
def test_stray_temp_file_is_not_a_notebook(tmp_path: Path) -> None:
    store = NotebookStore(tmp_path)
    store.create(NB, BLANK)
    data = (tmp_path / NB).read_bytes()
    # What atomic_write leaves when killed mid-write: a hidden temp file beside the target,
    # named like the target, holding a prefix of the new content (which looks like a notebook).
    strays = []
    for cut in (0, len(data) // 2, len(data)):
        fd, name = tempfile.mkstemp(prefix=f".{NB}.", suffix=TMP_SUFFIX, dir=tmp_path)
        os.write(fd, data[:cut])
        os.close(fd)
        strays.append(Path(name))

    config = Config(root=tmp_path)
    assert discover_notebooks(config) == [tmp_path / NB]
    assert set(strays) <= set(clean_targets(config))
    assert tmp_path / NB not in clean_targets(config)
    # The notebook itself is unaffected: it reads and takes edits as before.
    store.add_cell(NB, "x = 1")
    assert [c.code for c in read_notebook(tmp_path / NB).cells] == ["", "x = 1"]
    assert all(p.exists() for p in strays)  # and the store leaves them to `clean`
