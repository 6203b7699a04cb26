"""Time to parse and draw layout outputs (issue 18 A): per captured case, and for a big layout
(a vstack of 300 copies of the captured hstack of markdown, a button and a text field).

    PYTHONPATH=src python bench/output_layouts.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.style import Style

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from marimo_tui.runtime.outputs import convert_output  # noqa: E402
from marimo_tui.tui.widgets.output_render import OutputStyles, render_output  # noqa: E402

CORPUS = ROOT / "tests" / "outputs_corpus"
CASES = [
    "hstack_md", "vstack_md", "tabs", "accordion", "stat", "callout", "tree", "mo_json",
    "latex_display", "altair_chart", "plotly_figure", "matplotlib_in_hstack", "ui_dropdown",
    "wide_frame_pandas",
]  # fmt: skip
STYLES = OutputStyles(Style(), Style(dim=True), Style(), Style(), Style(), Style())


def median_ms(work: Callable[[], object], repeat: int = 21) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    print(f"{'case':24} {'bytes':>9} {'parse ms':>9} {'draw ms':>8} {'rows':>5}")
    for case in CASES:
        out = json.loads((CORPUS / f"{case}.json").read_text())["output"]
        data = out["data"]
        size = len(data if isinstance(data, str) else json.dumps(data))
        output = convert_output(out["mimetype"], data)
        parse = median_ms(lambda out=out, data=data: convert_output(out["mimetype"], data))
        draw = median_ms(lambda output=output: render_output(output, 100, STYLES))
        rows = len(render_output(output, 100, STYLES))
        print(f"{case:24} {size:9d} {parse:9.2f} {draw:8.2f} {rows:5d}")
    item = json.loads((CORPUS / "hstack_ui.json").read_text())["output"]["data"]
    style = "display: flex;flex-direction: column"
    big = f"<div style='{style}'>" + item * 300 + "</div>"
    output = convert_output("text/html", big)
    parse = median_ms(lambda: convert_output("text/html", big), 5)
    draw = median_ms(lambda: render_output(output, 100, STYLES), 5)
    rows = len(render_output(output, 100, STYLES))
    print(f"{'vstack of 300 hstacks':24} {len(big):9d} {parse:9.2f} {draw:8.2f} {rows:5d}")


if __name__ == "__main__":
    main()
