#!/usr/bin/env python3
"""Charts in the cell view: kernel output message → picture on screen, and the first frame.

    PYTHONPATH=src .venv/bin/python bench/outputs.py [--runs N] [--ttfp-runs N]

1. Chart latency, in process (Textual's headless driver, 120x40): a `CellView` over a kernel
   state; the clock starts when the raw websocket text of a `cell-op` message arrives (its JSON
   is parsed, folded into the kernel state and handed to the view, as `runtime/session.py`
   does) and stops when the view's laid-out rows — what its next frame paints — hold the
   picture (≥ 4 half-block rows under the caption; then checked on the rendered screen).
   Payloads are the real ones in tests/outputs_corpus (`altair_line`: a vega-lite spec;
   `matplotlib_plt_show`: a `plt.show()` figure on the console), each run with different
   data, so every run draws a new picture (no cache hit); the first run of each kind (the
   library's import and warm-up) is printed apart as "cold". Goal: p50 ≤ 150 ms.
2. First frame: `bench/ttfp.py` (the workbench against a bare Textual app in tmux), whose
   median ratio must stay ≤ 0.85 — chart libraries load only when a chart arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "outputs_corpus"
GOAL_P50_MS = 150.0
GOAL_RATIO = 0.85


def altair_message(run: int) -> str:
    fx = json.loads((CORPUS / "altair_line.json").read_text())
    spec = json.loads(fx["output"]["data"])
    rows = next(iter(spec["datasets"].values()))
    for i, row in enumerate(rows):
        row["sales"] = (i * 7) % 5 + 1 + run / 10  # new data each run: a new picture
    output = {**fx["output"], "data": json.dumps(spec)}
    return json.dumps({"op": "cell-op", "data": {"cell_id": "k0", "output": output}})


def matplotlib_message(run: int) -> str:
    """A `plt.show()` figure as marimo sends it (see the `matplotlib_plt_show` case), drawn here
    beforehand with matplotlib like the kernel would (not timed)."""
    import base64

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    ax = fig.subplots()
    ax.plot([1, 3, 2, (run % 4) + 1])
    ax.set_title(f"run {run}")
    png = io.BytesIO()
    fig.savefig(png, format="png")
    url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    console = {
        "channel": "media",
        "mimetype": "application/vnd.marimo+mimebundle",
        "data": json.dumps({"image/png": url}),
    }
    output = {"channel": "output", "mimetype": "text/plain", "data": ""}
    return json.dumps(
        {"op": "cell-op", "data": {"cell_id": "k0", "output": output, "console": [console]}}
    )


async def chart_latencies(kind: str, runs: int) -> list[float]:
    from textual.app import App, ComposeResult

    from marimo_tui.notebook.model import Cell, CellKind, Notebook
    from marimo_tui.runtime.kernel_state import KernelState
    from marimo_tui.tui.widgets.cell_view import CellView

    make = altair_message if kind == "altair" else matplotlib_message
    messages = [make(run) for run in range(runs + 1)]
    code = "chart"
    notebook = Notebook(path=Path("bench.py"), cells=[Cell(id="c0", code=code, kind=CellKind.CELL)])

    class ViewApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CellView(notebook)

    times: list[float] = []
    app = ViewApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(CellView)
        for raw in messages:
            kernel = KernelState()
            kernel.reset(["k0"], [code], ["_"], resumed=False)
            view.set_kernel(None)
            await pilot.pause()
            start = time.perf_counter()
            message: dict[str, Any] = json.loads(raw)
            kernel.apply_cell_op(message["data"])
            view.set_kernel(kernel, "k0")
            # The view's laid-out rows are what its next frame paints; reading them is cheap,
            # where rendering the screen on every poll would take the worker's CPU (the GIL).
            while not _picture_in(view.blocks[0].output if view.blocks else []):
                await asyncio.sleep(0.002)
            times.append((time.perf_counter() - start) * 1000)
            await pilot.pause()
            assert _picture_on_screen(view.screen_text()), "laid out but not on screen"
    return times


def _picture_in(rows: list[Any]) -> bool:
    return sum("▀▀▀▀" in row.text for row in rows) >= 4


def _picture_on_screen(screen: str) -> bool:
    lines = screen.splitlines()
    at = next((i for i, line in enumerate(lines) if "▧ " in line and "drawing" not in line), None)
    return at is not None and sum("▀▀▀▀" in line for line in lines[at + 1 :]) >= 4


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def first_frame(runs: int) -> float | None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "ttfp.py"), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"ratio median app / median bare: ([0-9.]+)", done.stdout)
    if match is None:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
        return None
    for line in done.stdout.splitlines():
        if line.strip().startswith(("app ", "bare ", "ms ")):
            print(f"    {line.strip()}")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed charts of each kind")
    parser.add_argument("--ttfp-runs", type=int, default=10, help="runs of bench/ttfp.py")
    args = parser.parse_args()
    ok = True
    print(f"chart: kernel message → picture in the cell view (headless 120x40, {args.runs} runs)")
    print(f"  {'kind':<11} {'cold':>8} {'p50':>8} {'p95':>8} {'max':>8}   (ms)")
    for kind in ("altair", "matplotlib"):
        times = asyncio.run(chart_latencies(kind, args.runs))
        cold, warm = times[0], times[1:]
        p50, p95 = statistics.median(warm), percentile(warm, 95)
        ok &= p50 <= GOAL_P50_MS
        print(f"  {kind:<11} {cold:8.1f} {p50:8.1f} {p95:8.1f} {max(warm):8.1f}")
    print(f"  goal p50 ≤ {GOAL_P50_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    print(f"first frame: bench/ttfp.py --runs {args.ttfp_runs}")
    ratio = first_frame(args.ttfp_runs)
    if ratio is None:
        print("  ttfp.py gave no ratio")
        return 1
    print(f"  ratio app / bare: {ratio:.3f}  goal ≤ {GOAL_RATIO}: "
          f"{'met' if ratio <= GOAL_RATIO else 'NOT met'}")  # fmt: skip
    return 0 if ok and ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
