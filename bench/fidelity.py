#!/usr/bin/env python3
"""Fidelity of one-cell writes on real-world notebooks (issue 16).

    .venv/bin/python bench/fidelity.py [--corpus DIR]... [--no-default] [--ops OPS] [--seed S]
                                       [--worst N] [--diffs DIR] [--writes N] [--warmup N]

Over a corpus -- by default tests/fidelity_corpus and the tutorials of the installed marimo;
`--corpus DIR` (repeatable) adds every marimo notebook below DIR, e.g. a local clone of public
notebooks -- makes a two-line edit to one cell of each file (`replace_cell` through
`NotebookStore` on a copy; `--ops all` or `--ops add_cell,move_cell` runs other one-cell
operations too), then judges it as tests/test_fidelity_property.py does and prints:

  files            notebooks tried (and those skipped: marimo does not read them as notebooks)
  outside          files whose write changed lines outside the edited cell (goal 0), with the
                   worst offenders and what kind of lines changed (bench/_fidelity_kinds.py)
  parse differs    files where marimo's parse of the result is not the expected cells
  undo differs     files where `store.undo` did not give back the original bytes
  store failed     files where the store refused or raised

and the p50/p95 time of a one-cell write (`replace_cell` of one cell) on a generated 200-cell
notebook: --warmup writes, then --writes timed ones. `--diffs DIR` writes the diff of every
file with an out-of-cell change there.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fidelity_cells import PCell, parse_cells  # noqa: E402
from tests.fidelity_check import Verdict, judge  # noqa: E402
from tests.fidelity_layout import layout, unified_diff  # noqa: E402
from tests.fidelity_ops import OPS, Outcome, Plan, plan, run  # noqa: E402
from tests.fidelity_sources import (  # noqa: E402
    CORPUS_DIR,
    generated_notebook,
    notebooks_under,
    tutorial_files,
)

from _fidelity_kinds import VERSION, categories  # noqa: E402
from _tmux import median, percentile  # noqa: E402
from marimo_tui.notebook.store import NotebookStore  # noqa: E402


@dataclass(slots=True)
class Tally:
    files: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    outside: dict[str, int] = field(default_factory=dict)  # file -> worst lines outside
    first_problem: dict[str, str] = field(default_factory=dict)
    parse: dict[str, str] = field(default_factory=dict)
    undo: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)  # category -> files
    beyond_version: set[str] = field(default_factory=set)  # more than `__generated_with`
    full_render: Counter[str] = field(default_factory=Counter)


def sources(extra: list[Path], default: bool) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    if default:
        found += [(f"corpus/{p.name}", p) for p in sorted(CORPUS_DIR.glob("*.py"))]
        found += [(f"tutorial/{p.name}", p) for p in tutorial_files()]
    for folder in extra:
        found += [(f"{folder.name}/{p.relative_to(folder)}", p) for p in notebooks_under(folder)]
    return found


def one_file(label: str, path: Path, ops: list[str], seed: str, work: Path, t: Tally) -> None:
    try:
        cells = parse_cells(path.read_bytes(), path)
    except Exception as exc:  # not a notebook marimo reads: not ours to judge
        t.skipped[f"marimo does not read it ({type(exc).__name__})"] += 1
        return
    t.files += 1
    kinds: set[str] = set()
    for n, op in enumerate(ops):
        p = plan(op, cells, random.Random(f"{seed}:{label}:{op}"), multiline=True)
        if p is None:
            continue
        outcome = run(path, work / f"{t.files}-{n}", p)
        verdict = judge(path.name, outcome, cells)
        kinds |= record(label, p, outcome, verdict, cells, t)
    t.kinds.update(kinds)
    if kinds - {VERSION}:
        t.beyond_version.add(label)


def record(
    label: str, p: Plan, outcome: Outcome, v: Verdict, cells: list[PCell], t: Tally
) -> set[str]:
    where = f"{label} [{p.describe()}]"
    if outcome.error is not None:
        t.failed[where] = outcome.error
        return set()
    if v.full_render:
        t.full_render[v.full_render[:80]] += 1
    if v.confined and v.outside >= t.outside.get(label, 0):
        t.outside[label] = v.outside
        t.first_problem[label] = f"{p.describe()}: {'; '.join(v.confined)}"[:200]
    if v.parsed:
        t.parse.setdefault(label, f"{p.describe()}: {v.parsed[0]}"[:200])
    if v.undo:
        t.undo.add(label)
    if not v.confined or outcome.new is None:
        return set()
    old, new = layout(outcome.old), layout(outcome.new)
    try:
        new_cells = parse_cells(outcome.new, Path(label))
    except Exception:
        new_cells = []
    return categories(old, new, p.touch, cells, new_cells)


def write_diffs(folder: Path, label: str, path: Path, ops: list[str], seed: str) -> None:
    cells = parse_cells(path.read_bytes(), path)
    p = plan(ops[0], cells, random.Random(f"{seed}:{label}:{ops[0]}"), multiline=True)
    if p is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run(path, Path(tmp), p)
    if outcome.new is not None:
        name = label.replace("/", "__") + ".diff"
        diff = unified_diff(layout(outcome.old), layout(outcome.new), label)
        (folder / name).write_text(f"# {p.describe()}\n{diff}", encoding="utf-8")


def write_timing(cells: int, warmup: int, writes: int) -> tuple[float, float]:
    """p50 and p95 (ms) of `replace_cell` on one cell of a generated notebook."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nb.py"
        path.write_text(generated_notebook(cells), encoding="utf-8")
        store = NotebookStore(Path(tmp))
        store.read(path.name)
        ref = f"#{cells // 2}"
        base = store.notebook(path.name).get(store.notebook(path.name).cells[cells // 2 - 1].id)
        times = []
        for k in range(warmup + writes):
            code = base.code + f"\n_timed_{k % 2} = {k}"
            t0 = time.perf_counter()
            store.replace_cell(path.name, ref, code)
            if k >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
    return median(times), percentile(times, 95)


def report(t: Tally, worst: int) -> None:
    print(f"files: {t.files}" + "".join(f"; skipped {n}: {why}" for why, n in t.skipped.items()))
    print(f"changed lines outside the edited cell: {len(t.outside)} files (goal 0)")
    ten = sum(lines >= 10 for lines in t.outside.values())
    print(f"  in 10 lines or more: {ten} files; beyond the {VERSION!r} line: ", end="")
    print(f"{len(t.beyond_version)} files")
    ranked = sorted(t.outside.items(), key=lambda kv: -kv[1])
    for label, lines in ranked[:worst]:
        print(f"  {lines:>5} lines  {label}: {t.first_problem[label]}")
    if t.kinds:
        print("  what changed outside the cell (files):")
        for kind, n in t.kinds.most_common():
            print(f"  {n:>7}  {kind}")
    print(f"marimo's parse differs from expected: {len(t.parse)} files")
    for label, why in list(t.parse.items())[:worst]:
        print(f"         {label}: {why}")
    print(f"undo did not restore the bytes: {len(t.undo)} files")
    for label in sorted(t.undo)[:worst]:
        print(f"         {label}")
    print(f"store refused or failed: {len(t.failed)}")
    for where, why in list(t.failed.items())[:worst]:
        print(f"         {where}: {why[:160]}")
    for note, n in t.full_render.most_common():
        print(f"store said {note!r}: {n} writes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--no-default", action="store_true", help="only the --corpus folders")
    parser.add_argument("--ops", default="replace_cell", help="'all' or a comma list")
    parser.add_argument("--seed", default="0")
    parser.add_argument("--worst", type=int, default=10)
    parser.add_argument("--diffs", type=Path, help="write each out-of-cell diff here")
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    ops = list(OPS) if args.ops == "all" else args.ops.split(",")
    unknown = set(ops) - set(OPS)
    if unknown:
        parser.error(f"unknown ops {sorted(unknown)}; choose from {', '.join(OPS)}")
    import marimo

    import marimo_tui

    print(f"marimo {marimo.__version__}, Python {sys.version.split()[0]}")
    print(f"store: {Path(marimo_tui.__file__).parent}; ops: {', '.join(ops)}; seed {args.seed}")
    tally = Tally()
    t0 = time.perf_counter()
    found = sources(args.corpus, not args.no_default)
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in found:
            one_file(label, path, ops, args.seed, Path(tmp), tally)
    report(tally, args.worst)
    if args.diffs:
        args.diffs.mkdir(parents=True, exist_ok=True)
        paths = dict(found)
        for label in tally.outside:
            write_diffs(args.diffs, label, paths[label], ops, args.seed)
        print(f"diffs written to {args.diffs}")
    print(f"({time.perf_counter() - t0:.0f} s)")
    p50, p95 = write_timing(args.cells, args.warmup, args.writes)
    print(
        f"one-cell write (replace_cell) on a {args.cells}-cell notebook: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.warmup} warm-up + {args.writes} timed)"
    )


if __name__ == "__main__":
    main()
