#!/usr/bin/env python3
"""Open a large notebook: time to the first cell, time to interactive, and memory.

    .venv/bin/python bench/open_large.py [--runs N] [--cells N] [--cmd "COMMAND"]

Generates a realistic notebook of 1000 cells (imports, table-like data steps over lists of
dicts that chain on earlier cells, markdown cells reading results, named cells) whose first cell
holds `open_large_first = True` and whose last cell holds `open_large_last = 999`. Launches the
app (`python -m marimo_tui NOTEBOOK`) in tmux at 200x50 and measures, from just before the spawn:

  first cell   until the first cell's marker shows;
  interactive  until the last cell's marker shows, `End` having been sent the moment the first
               cell showed (and again every --resend seconds while the last cell does not show;
               a lost key press shows up as presses > 1).

Then reads the app's memory from /proc/<pid>/status (VmRSS, VmHWM = peak RSS) of its python
process (the pane's process, or the first python below it), at interactive and after --settle
seconds, plus the RSS of its whole process tree. Target: interactive <= 1.2 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from _tmux import (
    HEIGHT,
    WIDTH,
    Pane,
    Tmux,
    TmuxError,
    WaitTimeout,
    add_cmd_option,
    command_argv,
    isolated_env,
    median,
    precompile,
    proc_memory,
    python_pid,
    report_failure,
    run_main,
    tree_rss_kib,
    verdict,
)

FIRST = "open_large_first = True"
TARGET_INTERACTIVE_MS = 1200.0

STEPS = ("load", "clean", "enrich", "aggregate", "report")


def last_marker(cells: int) -> str:
    return f"open_large_last = {cells - 1}"


def cell_codes(cells: int) -> list[tuple[str, str]]:
    """(name, code) of each cell; "_" for an unnamed one. Every 20 cells are one section:
    a named loader, steps that each read the previous frame, a group-by, markdown, a check."""
    out: list[tuple[str, str]] = [
        (
            "imports",
            f"import marimo as mo\nimport math\nimport random\nimport statistics\n{FIRST}",
        ),
        ("_", 'REGIONS = ["north", "south", "east", "west"]\nrandom.seed(7)'),
    ]
    frame = ""  # the latest table-like value, a list of dicts
    section = 0
    while len(out) < cells - 1:
        i = len(out)
        pos = i % 20
        if pos == 2 or not frame:
            section += 1
            frame = f"orders_{i}"
            out.append(
                (
                    f"load_section_{section}",
                    f"{frame} = [\n"
                    f'    {{"id": _k, "region": REGIONS[_k % 4], "qty": _k % 7 + 1,'
                    f' "price": round(random.random() * 100, 2)}}\n'
                    f"    for _k in range({200 + section})\n]\nlen({frame})",
                )
            )
        elif pos % 5 == 0:
            out.append(
                (
                    "_",
                    f'mo.md(f"""\n## Section {section}, step {pos}\n\n'
                    f"{{len({frame})}} rows so far; the mean price is"
                    f' {{statistics.fmean(_r["price"] for _r in {frame}):.2f}}.\n""")',
                )
            )
        elif pos % 5 == 1:
            new = f"clean_{i}"
            out.append(
                (
                    "_",
                    f'{new} = [_r for _r in {frame} if _r["qty"] > 1 and _r["price"] > 1]'
                    f"\n{new}[:5]",
                )
            )
            frame = new
        elif pos % 5 == 2:
            new = f"enriched_{i}"
            out.append(
                (
                    f"enrich_{i}" if i % 40 == 7 else "_",
                    f'{new} = [\n    _r | {{"total": _r["qty"] * _r["price"],'
                    f' "log_price": math.log1p(_r["price"])}}\n    for _r in {frame}\n]',
                )
            )
            frame = new
        elif pos % 5 == 3:
            out.append(
                (
                    "_",
                    f"by_region_{i} = {{}}\nfor _r in {frame}:\n"
                    f'    by_region_{i}[_r["region"]] = by_region_{i}.get(_r["region"], 0)'
                    f' + _r.get("total", _r["price"])\nby_region_{i}',
                )
            )
        else:
            out.append(
                (
                    f"check_{i}" if i % 3 == 0 else "_",
                    f'assert all(_r["qty"] > 0 for _r in {frame}), "bad quantity"\n'
                    f'summary_{i} = {{"rows": len({frame}), "regions": len(REGIONS)}}\nsummary_{i}',
                )
            )
    out.append(("final_summary", f"{last_marker(cells)}\nfinal_rows = len({frame})\nfinal_rows"))
    return out


def write_notebook(folder: Path, cells: int) -> Path:
    from marimo_tui.notebook import marimo_render
    from marimo_tui.notebook.model import Cell
    from marimo_tui.notebook.reader import read_notebook

    codes = cell_codes(cells)
    nb_cells = [Cell(id=f"c{i}", code=code, name=name) for i, (name, code) in enumerate(codes)]
    path = folder / "large_notebook.py"
    path.write_text(marimo_render.render("", {"width": "medium"}, nb_cells))
    # Check the generator: marimo parses it back, every cell compiles, no name defined twice.
    nb = read_notebook(path)
    errors = [(c.name, c.error) for c in nb.cells if c.error]
    twice = sorted(d for d, n in Counter(d for c in nb.cells for d in c.defs).items() if n > 1)
    if len(nb.cells) != cells or errors or twice:
        raise SystemExit(
            f"generated notebook is wrong: {len(nb.cells)} cells, {errors[:3]}, {twice}"
        )
    return path


@dataclass(frozen=True)
class Memory:
    rss_kib: int  # VmRSS of the app's python process
    hwm_kib: int  # VmHWM: its peak RSS so far
    tree_kib: int  # VmRSS summed over the pane's whole process tree

    @classmethod
    def read(cls, pane: Pane) -> Memory:
        status = proc_memory(python_pid(pane.pid) or pane.pid)
        return cls(status.get("VmRSS", 0), status.get("VmHWM", 0), tree_rss_kib(pane.pid))


@dataclass(frozen=True)
class Run:
    first_ms: float
    interactive_ms: float
    end_to_last_ms: float
    presses: int
    at_interactive: Memory
    settled: Memory


def one_run(pane: Pane, last: str, timeout: float, resend: float, settle: float) -> Run:
    first = pane.wait_for(FIRST, timeout)
    t_end = pane.send_keys("End")
    presses = 1
    deadline = time.perf_counter() + timeout
    while True:
        try:
            hit = pane.wait_for(last, min(resend, max(0.0, deadline - time.perf_counter())))
            break
        except WaitTimeout:
            if time.perf_counter() >= deadline:
                raise
            pane.send_keys("End")
            presses += 1
    memory = Memory.read(pane)
    time.sleep(settle)
    return Run(
        first.elapsed_ms,
        hit.elapsed_ms,
        (hit.at - t_end) * 1000,
        presses,
        memory,
        Memory.read(pane),
    )


def mib(kib: float) -> str:
    return f"{kib / 1024:7.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=3, help="launches (default 3)")
    parser.add_argument("--cells", type=int, default=1000, help="cells (default 1000)")
    add_cmd_option(parser)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per wait (default 30)")
    parser.add_argument(
        "--resend", type=float, default=3.0, help="send End again after this many s (default 3)"
    )
    parser.add_argument(
        "--settle", type=float, default=1.0, help="second memory reading after, s (default 1)"
    )
    parser.add_argument(
        "--gap", type=float, default=0.5, help="pause between runs, s (default 0.5)"
    )
    parser.add_argument(
        "--poll", type=float, default=0.002, help="poll interval, s (default 0.002)"
    )
    args = parser.parse_args()
    precompile()

    app = command_argv(args.cmd, [sys.executable, "-m", "marimo_tui"])
    last = last_marker(args.cells)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="mtui-large-") as tmp:
        root = Path(tmp)
        project = root / "project"
        project.mkdir()
        (project / "marimo-tui.yaml").write_text("# open_large benchmark project: defaults only\n")
        path = write_notebook(project, args.cells)
        lines = path.read_text().count("\n")
        env = isolated_env(root / "home")
        argv = [*app, str(path)]
        size = f"{lines} lines, {path.stat().st_size / 1024:.0f} KiB"
        print(f"open_large: tmux {WIDTH}x{HEIGHT}, {args.cells} cells ({size}), {args.runs} runs")
        print(f"  app  {' '.join(argv)}")
        try:
            with Tmux(poll=args.poll) as tmux:
                for i in range(args.runs):
                    if i:
                        time.sleep(args.gap)
                    with tmux.pane(argv, env, project) as pane:
                        r = one_run(pane, last, args.timeout, args.resend, args.settle)
                    runs.append(r)
                    print(
                        f"    run {i + 1}: first cell {r.first_ms:7.1f} ms   interactive"
                        f" {r.interactive_ms:7.1f} ms   (End -> last {r.end_to_last_ms:6.1f} ms,"
                        f" {r.presses} press{'es' if r.presses > 1 else ''})"
                        f"   VmRSS {mib(r.at_interactive.rss_kib)}",
                        flush=True,
                    )
        except TmuxError as exc:
            report_failure(exc)
            return 1

    first = median([r.first_ms for r in runs])
    inter = median([r.interactive_ms for r in runs])
    end_last = median([r.end_to_last_ms for r in runs])
    print()
    print(f"  first cell shown     {first:8.1f} ms   (median of {len(runs)})")
    print(f"  interactive          {inter:8.1f} ms   (End -> last cell shown {end_last:.1f} ms)")
    print("  memory of the app's python process (median over runs):")
    readings = (
        ("at interactive", [r.at_interactive for r in runs]),
        (f"after {args.settle:g} s", [r.settled for r in runs]),
    )
    for label, mems in readings:
        rss = median([m.rss_kib for m in mems])
        hwm = median([m.hwm_kib for m in mems])
        tree = median([m.tree_kib for m in mems])
        print(f"    {label:<15} VmRSS {mib(rss)}   VmHWM {mib(hwm)}   process tree RSS {mib(tree)}")
    print()
    ok = inter <= TARGET_INTERACTIVE_MS
    print(
        f"  target interactive <= {TARGET_INTERACTIVE_MS:.0f} ms   {inter:8.1f} ms  {verdict(ok)}"
    )
    return 0


if __name__ == "__main__":
    run_main(main)
