#!/usr/bin/env python3
"""Follow latency: how fast the workbench shows an edit another program made to the notebook.

    .venv/bin/python bench/follow.py [--edits N] [--cells N] [--cmd "COMMAND"]

Opens a generated notebook of 200 cells in the app (`python -m marimo_tui NOTEBOOK`) in tmux at
200x50. Once its first cell shows, rewrites the file 50 times the way an editor saves (write a
temp file in the same folder, then `os.replace`; no fsync) and times each from just before the
write until the screen shows the new token. Every edit gives the first cell, which stays on
screen, a new line `follow_<n> = <n>`; the edits vary around it: the line changed in place, the
cell grown by a line, a cell in the middle changed too, or a cell appended at the end (removed
again by the next edit). Between edits the script sleeps 150-300 ms, with seeded jitter.

The marimo server runs (the project's defaults), so each edit is also rerun and its rows
repainted; with --charts (the default) the second and third cells are an altair chart and a
matplotlib figure, drawn as pictures on the same screen as the edited cell.

Targets: p50 <= 60 ms, p95 <= 150 ms. An edit not shown within --timeout counts as a miss.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _tmux import (
    HEIGHT,
    WIDTH,
    Tmux,
    TmuxError,
    WaitTimeout,
    add_cmd_option,
    add_edit_options,
    command_argv,
    editor_save,
    isolated_env,
    median,
    percentile,
    precompile,
    report_failure,
    run_main,
    verdict,
)

TARGET_P50_MS = 60.0
TARGET_P95_MS = 150.0
CHART_CELLS = [
    "import altair as alt\nimport pandas as pd\n\n"
    "_df = pd.DataFrame({'x': list(range(30)), 'y': [k * k for k in range(30)]})\n"
    "alt.Chart(_df, title='squares').mark_line().encode(x='x', y='y')",
    "import matplotlib\nimport matplotlib.pyplot as plt\n\n"
    "_fig, _ax = plt.subplots(figsize=(5, 2))\n"
    "_ax.plot(range(30), [k % 7 for k in range(30)])\n_ax.set_title('waves')\n_fig",
]


def token(n: int) -> str:
    """The line that marks edit n (`follow_1 = 1` is no substring of `follow_11 = 11`)."""
    return f"follow_{n} = {n}"


class Notebook:
    """The generated notebook's cells, and the variants of edit that rewrite it."""

    def __init__(self, cells: int, charts: bool) -> None:
        from notebook_core import cell_code

        self.base = [f"{token(0)}\nimport marimo as mo\nimport math"]
        extra = CHART_CELLS if charts else []
        self.base += extra
        self.base += [cell_code(i) for i in range(1, cells - len(extra))]
        self.variants: dict[str, Callable[[int], list[str]]] = {
            "in place": self.in_place,
            "cell grows": self.grows,
            "+ middle cell": self.middle,
            "+ cell appended": self.appended,
        }

    def first(self, n: int, extra: str = "") -> str:
        return f"{token(n)}\nimport marimo as mo\nimport math{extra}"

    def in_place(self, n: int) -> list[str]:
        return [self.first(n), *self.base[1:]]

    def grows(self, n: int) -> list[str]:
        return [self.first(n, f"\ngrown_{n} = follow_{n} + 1"), *self.base[1:]]

    def middle(self, n: int) -> list[str]:
        codes = self.in_place(n)
        mid = len(codes) // 2
        codes[mid] = f"{codes[mid]}\ntweak_{n} = {n}"
        return codes

    def appended(self, n: int) -> list[str]:
        return [*self.in_place(n), f"appended_{n} = follow_{n} * 2\nappended_{n}"]

    def render(self, codes: list[str]) -> bytes:
        from marimo_tui.notebook import marimo_render
        from marimo_tui.notebook.model import Cell

        cells = [Cell(id=f"f{i}", code=c) for i, c in enumerate(codes)]
        return marimo_render.render("", {"width": "medium"}, cells).encode()


def fmt_ms(value: float) -> str:
    return "miss" if math.isinf(value) else f"{value:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--edits", type=int, default=50, help="timed edits (default 50)")
    parser.add_argument(
        "--cells", type=int, default=200, help="cells in the notebook (default 200)"
    )
    add_cmd_option(parser)
    add_edit_options(parser, "first show", 30.0)
    parser.add_argument(
        "--sleep",
        type=float,
        nargs=2,
        default=(0.15, 0.3),
        metavar=("MIN", "MAX"),
        help="pause between edits, s, uniform in [MIN, MAX] (default 0.15 0.3)",
    )
    parser.add_argument(
        "--charts",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="an altair chart and a matplotlib figure on screen (default on)",
    )
    parser.add_argument("--seed", type=int, default=1, help="jitter and variant order (default 1)")
    parser.add_argument(
        "--poll", type=float, default=0.002, help="poll interval, s (default 0.002)"
    )
    args = parser.parse_args()
    precompile()

    rng = random.Random(args.seed)
    app = command_argv(args.cmd, [sys.executable, "-m", "marimo_tui"])
    book = Notebook(args.cells, args.charts)
    names = list(book.variants)
    plan = [names[i % len(names)] for i in range(args.edits)]
    rng.shuffle(plan)
    times: list[float] = []
    by_variant: dict[str, list[float]] = {name: [] for name in names}

    with tempfile.TemporaryDirectory(prefix="mtui-follow-") as tmp:
        root = Path(tmp)
        project = root / "project"
        project.mkdir()
        (project / "marimo-tui.yaml").write_text("# follow benchmark project: defaults only\n")
        path = project / "follow_notebook.py"
        path.write_bytes(book.render(book.base))
        env = isolated_env(root / "home")
        argv = [*app, str(path)]
        charts = "an altair chart and a matplotlib figure on screen" if args.charts else "no charts"
        print(
            f"follow: tmux {WIDTH}x{HEIGHT}, notebook of {args.cells} cells ({charts}),"
            f" {args.edits} edits"
        )
        print(f"  app  {' '.join(argv)}")
        try:
            with Tmux(poll=args.poll) as tmux, tmux.pane(argv, env, project) as pane:
                shown = pane.wait_for(token(0), args.open_timeout)
                print(
                    f"  first cell shown after {shown.elapsed_ms:.0f} ms; settle {args.settle:g} s"
                )
                # With charts, the first run (200 cells, two chart libraries) must be over
                # before the clock starts: it is not what this measures.
                time.sleep(max(args.settle, 10.0) if args.charts else args.settle)
                ctl, sub = tmux.capture_overhead(pane.id)
                print(
                    f"  capture-pane round trip {ctl:.2f} ms over the control connection"
                    f" ({sub:.2f} ms as a tmux subprocess); polled every {args.poll * 1000:g} ms,"
                    f" so a figure is late by at most ~{ctl + args.poll * 1000:.1f} ms"
                )
                for n, variant in enumerate(plan, start=1):
                    data = book.render(book.variants[variant](n))  # outside the clock
                    t0 = time.perf_counter()
                    editor_save(path, data)
                    try:
                        ms = pane.wait_for(token(n), args.timeout, since=t0).elapsed_ms
                    except WaitTimeout:
                        ms = math.inf
                    times.append(ms)
                    by_variant[variant].append(ms)
                    print(f"    edit {n:>3} {variant:<16} {fmt_ms(ms):>7} ms", flush=True)
                    time.sleep(rng.uniform(*args.sleep))
        except TmuxError as exc:
            report_failure(exc)
            return 1

    misses = sum(math.isinf(t) for t in times)
    p50, p95, worst = median(times), percentile(times, 95), max(times)
    print()
    print(f"  edits {len(times)}, misses (> {args.timeout:g} s) {misses}")
    for name, values in by_variant.items():
        print(f"    {name:<16} n={len(values):<3} median {fmt_ms(median(values)):>7} ms")
    print(f"  p50 {fmt_ms(p50)} ms   p95 {fmt_ms(p95)} ms   max {fmt_ms(worst)} ms")
    print()
    ok50 = p50 <= TARGET_P50_MS
    print(f"  target p50 <= {TARGET_P50_MS:.0f} ms   {fmt_ms(p50):>7} ms  {verdict(ok50)}")
    ok95 = p95 <= TARGET_P95_MS and misses == 0
    print(f"  target p95 <= {TARGET_P95_MS:.0f} ms   {fmt_ms(p95):>7} ms  {verdict(ok95)}")
    return 0


if __name__ == "__main__":
    run_main(main)
