"""Racing human saves against store writes, in real processes: the harness of the race tests.

Each interleaving gets a fresh notebook, set up by the controller, then at one moment
(`go`, a CLOCK_MONOTONIC time shared by all processes) several actors start, each after its own
random offset:

- store actors, each a forked process with its own `NotebookStore` (so they contend through
  the store's cross-process lock, as the app, the CLI and a headless agent do): `agent` (an
  `add_cell` inside a turn's group), `inline` (a `replace_cell`), `undo` (undo of the last
  write; after a setup without edits, that deletes the file). `landing.hook` sleeps at random
  phases to widen the windows between the check, the journal and the swap;
- one human, a forked process saving the notebook as an editor would: `rename` (temp file +
  rename), `inplace` (open with O_TRUNC, write in two halves with a pause), `inplace_late` (open,
  pause, then truncate and write: the fd predates a swap), `vim` (backup rename to `path~`, write
  a new file, drop the backup), `git` (a real `git checkout -- path` from the index).

Every version anyone wrote is unique (a uuid in it). At the end the controller sweeps (the app
does so at exit) and checks each version is on disk, in the journal's blobs, or in `conflicts/`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import random
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from marimo_tui.notebook import landing
from marimo_tui.notebook.atomic import TMP_SUFFIX
from marimo_tui.notebook.errors import ConflictError, NotebookError, StoreError
from marimo_tui.notebook.model import text_hash
from marimo_tui.notebook.store import NotebookStore

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
BLANK = (TEMPLATES / "blank.py").read_text(encoding="utf-8")
HUMAN_KINDS = ("rename", "inplace", "inplace_late", "vim", "git")
STORE_KINDS = ("agent", "inline", "undo")
PHASES = ("start", "staged", "journaled", "checked", "swapped")


@dataclass(frozen=True, slots=True)
class Act:
    actor: str  # a STORE_KINDS name, or "human"
    kind: str  # what it does (the human's save style; the store actor's own name)
    offset: float  # seconds after `go`
    pauses: dict[str, float] = field(default_factory=dict)  # phase -> seconds (store actors)
    content: bytes = b""  # what the human saves


@dataclass(frozen=True, slots=True)
class Plan:
    index: int
    rel: str
    edited: bool  # the setup made one store edit (so undo reverts it, not the creation)
    acts: list[Act]


def make_plan(rng: random.Random, index: int, window: float = 0.030) -> Plan:
    """One interleaving: 1-3 store actors and one human, at random offsets within `window`."""
    rel = f"nb{index:04d}.py"
    actors = rng.sample(STORE_KINDS, rng.randint(1, 3))
    acts = []
    for actor in actors:
        # Widen up to two windows of the landing; often the critical one (check -> swap).
        widened = rng.sample(PHASES, rng.randint(0, 2))
        if rng.random() < 0.4:
            widened.append("checked")
        pauses = {p: rng.uniform(0.001, 0.010) for p in widened}
        acts.append(Act(actor, actor, rng.uniform(0, window), pauses))
    kind = rng.choice(HUMAN_KINDS)
    content = f"# saved by a human: {uuid.UUID(int=rng.getrandbits(128))}\n{BLANK}".encode()
    acts.append(Act("human", kind, rng.uniform(0, window), content=content))
    return Plan(index, rel, rng.random() < 0.8, acts)


# -- the actors (forked processes, serving commands from a pipe) ---------------------------------
def _sleep_until(t: float) -> None:
    delay = t - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _store_actor(conn: Connection, root: Path) -> None:
    logging.getLogger("marimo").setLevel(logging.ERROR)
    store = NotebookStore(root)
    seen: Counter[str] = Counter()
    pauses: dict[str, float] = {}

    def hook(phase: str) -> None:
        seen[phase] += 1
        if phase in pauses:
            time.sleep(pauses[phase])

    landing.hook = hook
    while (command := conn.recv()) is not None:
        go, rel, act, turn = command
        pauses = act.pauses
        seen.clear()
        _sleep_until(go + act.offset)
        wrote: list[str] = []
        try:
            if act.kind == "undo":
                store.undo(rel)
                outcome = "undone"
            else:
                store.read(rel)
                code = f"v = {uuid.uuid4().hex!r}"
                with store.grouped(turn):
                    if act.kind == "agent":
                        result = store.add_cell(rel, code)
                    else:
                        result = store.replace_cell(rel, "#1", code)
                assert result.entry is not None and result.entry.after is not None
                wrote.append(result.entry.after)
                outcome = "landed"
        except ConflictError as exc:
            assert exc.saved_as is not None
            wrote.append(text_hash(exc.saved_as.read_bytes()))
            outcome = "conflict"
        except (StoreError, NotebookError, OSError) as exc:
            outcome = type(exc).__name__
        conn.send((act.actor, outcome, wrote, dict(seen)))


def _human_actor(conn: Connection, root: Path) -> None:
    while (command := conn.recv()) is not None:
        go, rel, act, _turn = command
        path = root / rel
        rng = random.Random(act.content)
        if act.kind == "git":  # the version to check out waits in the index
            sha = _git(root, "hash-object", "-w", "--stdin", input=act.content).strip()
            _git(root, "update-index", "--add", "--cacheinfo", f"100644,{sha},{rel}")
        _sleep_until(go + act.offset)
        try:
            _save(path, act.kind, act.content, rng)
            outcome, wrote = "saved", [text_hash(act.content)]
        except (OSError, subprocess.CalledProcessError) as exc:
            outcome, wrote = f"failed: {exc}", []
        conn.send(("human", outcome, wrote, {}))


def _save(path: Path, kind: str, content: bytes, rng: random.Random) -> None:
    half = len(content) // 2

    def pause() -> None:
        time.sleep(rng.uniform(0, 0.004))

    if kind == "rename":
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.swp")
        tmp.write_bytes(content)
        os.replace(tmp, path)
    elif kind in ("inplace", "inplace_late"):
        late = kind == "inplace_late"
        flags = os.O_WRONLY | os.O_CREAT | (0 if late else os.O_TRUNC)
        fd = os.open(path, flags, 0o644)
        try:
            pause()
            if late:
                os.ftruncate(fd, 0)
            os.write(fd, content[:half])
            pause()
            os.write(fd, content[half:])
        finally:
            os.close(fd)
    elif kind == "vim":
        backup = path.with_name(path.name + "~")
        with contextlib.suppress(FileNotFoundError):  # (gone: nothing to back up)
            os.rename(path, backup)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, content[:half])
            pause()
            os.write(fd, content[half:])
        finally:
            os.close(fd)
        backup.unlink(missing_ok=True)
    elif kind == "git":
        _git(path.parent, "checkout", "--", path.name)
    else:
        raise ValueError(kind)


def _git(root: Path, *args: str, input: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, input=input, capture_output=True, check=True, timeout=30
    )
    return done.stdout.decode()


# -- the controller ------------------------------------------------------------------------------
@dataclass
class Tally:
    interleavings: int = 0
    versions: int = 0  # versions written: human saves and store versions
    human: int = 0
    lost: list[str] = field(default_factory=list)  # descriptions of lost versions
    outcomes: Counter[str] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    swept: int = 0  # conflict versions the sweep found in displaced files

    def summary(self) -> str:
        lost = len(self.lost)
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (
            f"{self.interleavings} interleavings: lost {lost} / {self.versions} versions "
            f"({self.human} human saves); outcomes: {outcomes}; put back after the swap: "
            f"{self.phases['put-back']}; found by the sweep: {self.swept}"
        )


class Race:
    """Long-lived actor processes over one project folder (a git repository)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        _git(root, "init", "-q")
        _git(root, "config", "user.email", "race@example.com")
        _git(root, "config", "user.name", "race")
        ctx = mp.get_context("fork")  # the actors start with everything imported
        self.conns: dict[str, Connection] = {}
        self.procs: list[Any] = []
        for name in (*STORE_KINDS, "human"):
            parent, child = ctx.Pipe()
            target: Callable[[Connection, Path], None] = (
                _human_actor if name == "human" else _store_actor
            )
            proc = ctx.Process(target=target, args=(child, root), daemon=True)
            proc.start()
            self.conns[name], self.procs = parent, [*self.procs, proc]
        self.store = NotebookStore(root)
        self.tally = Tally()
        self._kept: dict[str, str] = {}  # conflicts/ file name -> hash

    def close(self) -> None:
        for conn in self.conns.values():
            with contextlib.suppress(OSError):
                conn.send(None)
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()

    def run(self, plan: Plan) -> None:
        store, path = self.store, self.root / plan.rel
        store.create(plan.rel, BLANK)
        if plan.edited:
            store.add_cell(plan.rel, f"setup = {plan.index}")
        go = time.monotonic() + 0.005
        for act in plan.acts:
            self.conns[act.actor].send((go, plan.rel, act, f"turn-{plan.index}"))
        results = [self.conns[act.actor].recv() for act in plan.acts]
        # What the app does at exit; the human is done writing, so nothing is open any more.
        with store._locked():
            self.tally.swept += len(store.lander.sweep(min_age=0))
        self._check(plan, path, results)

    def _check(self, plan: Plan, path: Path, results: list[Any]) -> None:
        tally = self.tally
        tally.interleavings += 1
        disk = path.read_bytes() if path.exists() else None
        kept = self._conflict_hashes()
        for (actor, outcome, wrote, seen), act in zip(results, plan.acts, strict=True):
            tally.outcomes[f"{actor}:{outcome.split(':')[0]}"] += 1
            tally.phases.update(seen)
            for digest in wrote:
                tally.versions += 1
                tally.human += actor == "human"
                on_disk = disk is not None and text_hash(disk) == digest
                if not (on_disk or self.store.journal.has(digest) or digest in kept):
                    tally.lost.append(f"#{plan.index} {actor} ({act.kind}, {outcome}): {plan}")
        strays = [p.name for p in self.root.iterdir() if p.name.endswith(TMP_SUFFIX)]
        assert not strays, f"#{plan.index}: temp files left beside the notebook: {strays}"

    def _conflict_hashes(self) -> set[str]:
        folder = self.store.lander.conflicts
        if folder.exists():
            for p in folder.iterdir():
                if p.name not in self._kept:
                    self._kept[p.name] = text_hash(p.read_bytes())
        return set(self._kept.values())


def run_races(root: Path, seed: int, count: int) -> Tally:
    rng = random.Random(seed)
    race = Race(root)
    try:
        for index in range(count):
            race.run(make_plan(rng, index))
    finally:
        race.close()
    return race.tally
