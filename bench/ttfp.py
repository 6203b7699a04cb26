#!/usr/bin/env python3
"""Time to first paint: the workbench against a bare Textual app, in tmux at 200x50.

    .venv/bin/python bench/ttfp.py [--runs N] [--cells N] [--cmd "COMMAND"]

Measures, for `python -m marimo_tui NOTEBOOK` (the app) and `python bench/bare_app.py NOTEBOOK`
(the baseline), the time from just before tmux spawns the process until the screen shows the
first cell's code (`ttfp_marker = 1`) of a generated notebook. Runs alternate between the two
(app first in even pairs, baseline first in odd ones), after one discarded warm-up each. The
notebook sits in a temporary project; HOME and the XDG folders are temporary too, and the agent
host points at a closed port. See `_tmux.py` for how the clock and the screen are read.

Targets: median app / median bare <= 1.15, and median app <= 450 ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _tmux import (
    HEIGHT,
    WIDTH,
    Pane,
    Tmux,
    TmuxError,
    add_cmd_option,
    command_argv,
    isolated_env,
    median,
    percentile,
    precompile,
    report_failure,
    run_main,
    verdict,
)

MARKER = "ttfp_marker = 1"
TARGET_RATIO = 1.15
TARGET_APP_MS = 450.0
BARE_APP = Path(__file__).resolve().parent / "bare_app.py"


def write_notebook(folder: Path, cells: int) -> Path:
    """A marimo notebook of `cells` cells, written by marimo's codegen; cell 1 holds MARKER."""
    from marimo_tui.notebook import marimo_render
    from marimo_tui.notebook.model import Cell
    from notebook_core import cell_code

    codes = [f"{MARKER}\nimport marimo as mo\nimport math"]
    codes += [cell_code(i) for i in range(1, cells)]
    text = marimo_render.render(
        "", {"width": "medium"}, [Cell(id=f"t{i}", code=c) for i, c in enumerate(codes)]
    )
    path = folder / "ttfp_notebook.py"
    path.write_text(text)
    return path


def make_project(root: Path, cells: int) -> tuple[Path, Path, dict[str, str]]:
    """(project folder, notebook, environment) under root."""
    project = root / "project"
    project.mkdir()
    (project / "marimo-tui.yaml").write_text("# ttfp benchmark project: defaults only\n")
    notebook = write_notebook(project, cells)
    return project, notebook, isolated_env(root / "home")


def time_once(
    tmux: Tmux, argv: Sequence[str], env: dict[str, str], cwd: Path, text: str, timeout: float
) -> float:
    with tmux.pane(argv, env, cwd) as pane:
        return pane.wait_for(text, timeout).elapsed_ms


def floor_ms(tmux: Tmux, cwd: Path, n: int = 5) -> float:
    """Spawn-to-screen time of a trivial command: the harness's own share of every figure."""
    times = []
    for _ in range(n):
        with tmux.pane(["sh", "-c", "echo ttfp_floor; exec sleep 600"], cwd=cwd) as pane:
            times.append(pane.wait_for("ttfp_floor", 5).elapsed_ms)
    return median(times)


def capture_cost(
    tmux: Tmux, argv: Sequence[str], env: dict[str, str], cwd: Path
) -> tuple[float, float]:
    pane: Pane
    with tmux.pane(argv, env, cwd) as pane:
        pane.wait_for(MARKER, 15)
        return tmux.capture_overhead(pane.id)


def row(name: str, values: list[float]) -> str:
    return (
        f"  {name:<5} {median(values):>9.1f} {percentile(values, 90):>9.1f}"
        f" {min(values):>9.1f} {max(values):>9.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each (default 10)")
    parser.add_argument("--cells", type=int, default=50, help="cells in the notebook (default 50)")
    add_cmd_option(parser)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per run (default 20)")
    parser.add_argument(
        "--gap", type=float, default=0.3, help="pause between runs, s (default 0.3)"
    )
    parser.add_argument(
        "--poll", type=float, default=0.002, help="poll interval, s (default 0.002)"
    )
    args = parser.parse_args()
    precompile()

    app = command_argv(args.cmd, [sys.executable, "-m", "marimo_tui"])
    bare = [sys.executable, str(BARE_APP)]

    with tempfile.TemporaryDirectory(prefix="mtui-ttfp-") as tmp:
        project, notebook, env = make_project(Path(tmp), args.cells)
        sides = {"app": [*app, str(notebook)], "bare": [*bare, str(notebook)]}
        size = notebook.stat().st_size / 1024
        print(f"ttfp: tmux {WIDTH}x{HEIGHT}, notebook of {args.cells} cells ({size:.1f} KiB)")
        for name, argv in sides.items():
            print(f"  {name:<5} {' '.join(argv)}")
        results: dict[str, list[float]] = {"app": [], "bare": []}
        try:
            with Tmux(poll=args.poll) as tmux:
                floor = floor_ms(tmux, project)
                for argv in sides.values():  # warm-up: page cache, .pyc files
                    time_once(tmux, argv, env, project, MARKER, args.timeout)
                    time.sleep(args.gap)
                ctl, sub = capture_cost(tmux, sides["bare"], env, project)
                print(
                    f"  capture-pane round trip {ctl:.2f} ms over the control connection"
                    f" ({sub:.2f} ms as a tmux subprocess); polled every {args.poll * 1000:g} ms"
                )
                print(f"  floor (spawn to screen of `sh -c echo`): {floor:.1f} ms, in every figure")
                print(f"  1 warm-up run each (discarded), then {args.runs} alternating runs")
                for i in range(args.runs):
                    order = ("app", "bare") if i % 2 == 0 else ("bare", "app")
                    for name in order:
                        time.sleep(args.gap)
                        ms = time_once(tmux, sides[name], env, project, MARKER, args.timeout)
                        results[name].append(ms)
                    print(
                        f"    run {i + 1:>2}/{args.runs}: app {results['app'][-1]:7.1f} ms"
                        f"   bare {results['bare'][-1]:7.1f} ms",
                        flush=True,
                    )
        except TmuxError as exc:
            report_failure(exc)
            return 1

    app_ms, bare_ms = median(results["app"]), median(results["bare"])
    ratio = app_ms / bare_ms
    print()
    print(f"  {'ms':<5} {'median':>9} {'p90':>9} {'min':>9} {'max':>9}")
    print(row("app", results["app"]))
    print(row("bare", results["bare"]))
    print(f"  ratio median app / median bare: {ratio:.3f}")
    print()
    ok_ratio, ok_app = ratio <= TARGET_RATIO, app_ms <= TARGET_APP_MS
    print(f"  target ratio <= {TARGET_RATIO:.2f}          {ratio:>8.3f}     {verdict(ok_ratio)}")
    print(f"  target app median <= {TARGET_APP_MS:.0f} ms   {app_ms:>8.1f} ms  {verdict(ok_app)}")
    return 0


if __name__ == "__main__":
    run_main(main)
