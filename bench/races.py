#!/usr/bin/env python3
"""Racing human saves against store writes: lost / total, and what a landing costs.

    .venv/bin/python bench/races.py [--count 2000] [--seed 16005] [--repeat 200] [--dir PATH]

races    The interleavings of tests/test_save_races.py, longer: per interleaving a fresh
         notebook, 1-3 store actors in their own processes (agent add_cell, inline replace_cell,
         undo) against one human save (rename, in place, in place with an fd opened early,
         vim backup rename, `git checkout`), with the landing's windows widened at random
         phases. Prints lost / total (versions not on disk, not in the journal, not in
         `conflicts/`), how often a save was put back after the swap, and the outcomes.
landing  `Lander.land` on a ~50 KB notebook (p50 / p95 over REPEAT landings, each a new
         version): sweep, read + check, blobs, staged file (fsync), journal entry (fsync),
         check, RENAME_EXCHANGE, read of the displaced file, folder fsync. Shown beside the
         landing before issue 16 (check, blobs, temp file + os.replace, then the entry: the same
         fsyncs in another order) and a bare `atomic_write` (temp file, fsync, os.replace, folder
         fsync), the floor of any crash-safe write. Measured round robin: fsync times vary.
Target (issue 16, item 5): lost = 0.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.race_support import BLANK, run_races  # noqa: E402

from marimo_tui.notebook.atomic import atomic_write  # noqa: E402
from marimo_tui.notebook.landing import Lander  # noqa: E402
from marimo_tui.notebook.model import text_hash  # noqa: E402
from marimo_tui.notebook.store import NotebookStore  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def landing_figures(folder: Path, repeat: int) -> None:
    cells = "".join(
        f"\n\n@app.cell\ndef _():\n    value_{i} = {i} * 2  # {'x' * 40}\n    return\n"
        for i in range(500)
    )
    base = BLANK.replace("\n\nif __name__", f"{cells}\n\nif __name__", 1)
    # Each landing a new version (as edits are), each file its own: every blob is new too.
    versions = {
        name: [
            base.replace("value_7 = 7", f"value_7 = {i}  # {name}").encode()
            for i in range(repeat + 1)
        ]
        for name in ("new.py", "old.py", "bare.py")
    }
    print(
        f"landing: a {len(versions['new.py'][0]) / 1000:.0f} KB notebook, {repeat} landings of each"
    )
    store = NotebookStore(folder)
    lander: Lander = store.lander
    for name, history in versions.items():
        store.create(name, history[0].decode())

    def land(i: int) -> None:
        history = versions["new.py"]
        expected = text_hash(history[i])
        lander.land(folder / "new.py", "new.py", history[i + 1], expected=expected, op="bench")

    def old_land(i: int) -> None:
        """The landing before issue 16 (check, blobs, os.replace, then the log entry)."""
        path, data = folder / "old.py", versions["old.py"][i + 1]
        current = path.read_bytes()
        assert text_hash(current) == text_hash(versions["old.py"][i])
        store.journal.keep(current)
        store.journal.keep(data)
        atomic_write(path, data)
        store.journal.record("old.py", "bench", current, data)

    def bare(i: int) -> None:
        atomic_write(folder / "bare.py", versions["bare.py"][i + 1])

    # Round robin, so that the disk's moods (fsync times vary a lot) fall on all three alike.
    samples: dict[str, list[float]] = {"Lander.land": [], "before issue 16": [], "bare": []}
    for i in range(repeat):
        for name, action in (("Lander.land", land), ("before issue 16", old_land), ("bare", bare)):
            start = time.perf_counter()
            action(i)
            samples[name].append(time.perf_counter() - start)
    for name, label in (
        ("Lander.land", "Lander.land (this landing)"),
        ("before issue 16", "the landing before issue 16"),
        ("bare", "a bare atomic_write"),
    ):
        p50, p95 = percentiles(samples[name])
        print(f"  {label:30} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="interleavings")
    parser.add_argument("--seed", type=int, default=16005)
    parser.add_argument("--repeat", type=int, default=200, help="landings timed")
    parser.add_argument("--dir", type=Path, help="where to run (default: a temp folder)")
    args = parser.parse_args()
    logging.getLogger("marimo").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        landing_figures(Path(tmp), args.repeat)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        started = time.monotonic()
        tally = run_races(Path(tmp), args.seed, args.count)
        print(f"races (seed {args.seed}): {tally.summary()}")
        print(f"  in {time.monotonic() - started:.0f} s")
        for lost in tally.lost[:10]:
            print(f"  LOST {lost}")
    sys.exit(1 if tally.lost else 0)


if __name__ == "__main__":
    main()
