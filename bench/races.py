#!/usr/bin/env python3
"""Racing human saves against store writes: lost / total, and what a landing costs.

    .venv/bin/python bench/races.py [--count 2000] [--seed 16005] [--repeat 200] [--dir PATH]

races    The interleavings of tests/test_save_races.py, longer: per interleaving a fresh
         notebook, 1-3 store actors in their own processes (agent add_cell, inline replace_cell,
         undo) against one human save (rename, in place, in place with an fd opened early,
         vim backup rename, `git checkout`), with the landing's windows widened at random
         phases. Prints lost / total (versions not on disk, not in the journal, not in
         `conflicts/`), how often a save was put back after the swap, and the outcomes.
landing  `Lander.land` on a ~50 KB notebook (p50 / p95 over REPEAT landings, alternating two
         versions): sweep, read + check, blobs, staged file (fsync), journal entry (fsync),
         check, RENAME_EXCHANGE, read of the displaced file, folder fsync. Shown beside a bare
         `atomic_write` of the same bytes (temp file, fsync, os.replace, folder fsync), the floor
         any crash-safe write pays; the difference is what the landing adds.
Target (issue 16, item 5): lost = 0.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
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


def timed(action: Callable[[int], object], repeat: int) -> list[float]:
    samples = []
    for i in range(repeat):
        start = time.perf_counter()
        action(i)
        samples.append(time.perf_counter() - start)
    return samples


def landing_figures(folder: Path, repeat: int) -> None:
    cells = "".join(
        f"\n\n@app.cell\ndef _():\n    value_{i} = {i} * 2  # {'x' * 40}\n    return\n"
        for i in range(500)
    )
    base = BLANK.replace("\n\nif __name__", f"{cells}\n\nif __name__", 1)
    # Each landing a new version (as edits are): its blob is new too.
    versions = [base.replace("value_7 = 7", f"value_7 = {i}").encode() for i in range(repeat + 1)]
    print(f"landing: a {len(versions[0]) / 1000:.0f} KB notebook, {repeat} landings")
    store = NotebookStore(folder)
    store.create("big.py", versions[0].decode())
    lander: Lander = store.lander
    path = folder / "big.py"

    def land(i: int) -> None:
        expected = text_hash(versions[i])
        lander.land(path, "big.py", versions[i + 1], expected=expected, op="bench")

    p50, p95 = percentiles(timed(land, repeat))
    print(f"  Lander.land        p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
    bare = folder / "bare.py"
    p50b, p95b = percentiles(timed(lambda i: atomic_write(bare, versions[i]), repeat))
    print(f"  atomic_write alone p50 {p50b:6.2f} ms   p95 {p95b:6.2f} ms")
    print(f"  the landing adds   p50 {p50 - p50b:6.2f} ms   p95 {p95 - p95b:6.2f} ms")


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
