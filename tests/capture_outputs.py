# ruff: noqa: E501 (each case is one line of notebook code)
"""Capture real kernel payloads from the marimo sidecar into tests/outputs_corpus/.

Run by hand when marimo changes or a case is added (altair and plotly must be installed):
    PYTHONPATH=src python -m tests.capture_outputs [case …]
Each case is a cell of our own; the file keeps the cell's last `output` message and its
console chunks exactly as the websocket delivered them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marimo_tui.runtime.session import NotebookSession
from marimo_tui.runtime.sidecar import Sidecar, SidecarOptions
from tests.sidecar_support import make_notebook

CORPUS = Path(__file__).parent / "outputs_corpus"
IMPORTS = (
    "import marimo as mo\nimport pandas as pd\nimport altair as alt\nimport plotly.express as px"
)
ROWS = "pd.DataFrame({'x': [1, 2, 3, 4], 'y': [3, 1, 4, 2]})"

CASES: dict[str, str] = {
    "altair_chart": f"alt.Chart({ROWS}, title='Sales by x').mark_bar().encode(x='x', y='y')",
    "altair_ui_point": f"mo.ui.altair_chart(alt.Chart({ROWS}).mark_point().encode(x='x', y='y'))",
    "plotly_figure": "px.line(x=[1, 2, 3], y=[2, 1, 3], title='Plotly line')",
    "latex_inline": r'mo.md(r"Euler: \(e^{i\pi} + 1 = 0\) and $\alpha \leq \beta$, a set \{1,\,2\}.")',
    "latex_display": (
        'mo.md(r"""Sum:\n\n\\[\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}\\]\n\n'
        '$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n\nLines: \\(a \\\\ b\\) end.""")'
    ),
    "hstack_md": 'mo.hstack([mo.md("**one**"), mo.md("two"), mo.md("three")])',
    "vstack_md": 'mo.vstack([mo.md("# Top"), mo.md("below it"), mo.ui.slider(1, 10, value=3, label="n")])',
    "tabs": 'mo.ui.tabs({"First": mo.md("first pane"), "Second": mo.md("second pane")})',
    "accordion": 'mo.accordion({"Open me": mo.md("hidden text"), "More": mo.md("more text")})',
    "stat": 'mo.stat(value="1,234", label="Users", caption="+12% this week", direction="increase")',
    "callout": 'mo.callout(mo.md("Careful **here**"), kind="warn")',
    "tree": 'mo.tree({"a": [1, 2, {"b": 3.5}], "c": {"d": {"e": {"f": "deep"}}}})',
    "json_floats": "{'pi': 3.14159, 'big': 2**70, 'items': [1.5, 2, {'n': 0.25}], 's': {1, 2}}",
    "mo_json": "mo.json({'pi': 3.5, 'big': 2**70, 'nested': {'k': [1, 2]}})",
    "ui_dropdown": 'mo.ui.dropdown(["red", "green", "blue"], value="green", label="Colour")',
    "ui_radio": 'mo.ui.radio(["a", "b", "c"], value="a", label="Pick")',
    "ui_multiselect": 'mo.ui.multiselect(["x", "y", "z"], value=["x", "z"], label="Many")',
    "ui_checkbox": 'mo.ui.checkbox(value=True, label="Enabled")',
    "ui_switch": 'mo.ui.switch(value=False, label="Dark")',
    "ui_text": 'mo.ui.text(value="hello", label="Name")',
    "ui_number": 'mo.ui.number(start=0, stop=10, value=4, label="Num")',
    "ui_slider_count": 'mo.ui.slider(1, 10, value=5, label="Count")',
    "ui_range_slider": 'mo.ui.range_slider(0, 100, value=[20, 60], label="Range")',
    "ui_button": 'mo.ui.button(label="Go")',
    "ui_date": 'mo.ui.date(value="2024-01-02", label="Day")',
    "ui_text_area": 'mo.ui.text_area(value="long text", label="Notes")',
    "wide_frame_pandas": "pd.DataFrame({f'column_{i}': [i * 1000 + r for r in range(3)] for i in range(14)})",
    "mo_audio": 'mo.audio(src="https://example.com/a.mp3")',
    "mo_video": 'mo.video(src="https://example.com/v.mp4")',
    "mo_pdf": 'mo.pdf(src="https://example.com/doc.pdf")',
    "svg_html": 'mo.Html(\'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>Dot</title><circle cx="5" cy="5" r="4"/></svg>\')',
    "matplotlib_in_hstack": "import matplotlib.pyplot as plt\n_fig, _ax = plt.subplots(figsize=(2, 1))\n_ax.plot([1, 2])\n_ax.set_title('Small')\nmo.hstack([_fig, mo.md('right')])",
    "ui_matplotlib_scatter": "import matplotlib.pyplot as _plt\n_fig, _ax = _plt.subplots(figsize=(2, 1))\n_ax.scatter([1, 2], [2, 1])\n_ax.set_title('Dots')\nmo.ui.matplotlib(_ax)",
    "image_in_vstack": "import io as _io\nfrom PIL import Image as _Image\n_buf = _io.BytesIO()\n_Image.new('RGB', (4, 2), (255, 0, 0)).save(_buf, 'PNG')\nmo.vstack([mo.md('an image'), mo.image(_buf.getvalue(), alt='red box')])",
    "error_names_cell": "missing_name_xyz + 1",
}


def main(names: list[str]) -> None:
    chosen = {k: v for k, v in CASES.items() if not names or k in names}
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(capture(Path(tmp), chosen))


async def capture(root: Path, cases: dict[str, str]) -> None:
    cells = [("_", IMPORTS), *((name, code) for name, code in cases.items())]
    path = make_notebook(root, cells)
    sidecar = Sidecar(SidecarOptions(root, root / "logs"), lambda *_: None)
    outputs: dict[str, Mapping[str, Any]] = {}
    consoles: dict[str, list[Mapping[str, Any]]] = {}
    session = NotebookSession(sidecar, path, lambda _u: None)
    handle = session._handle

    async def record(message: Mapping[str, Any]) -> None:
        data = message.get("data") or {}
        if message.get("op") == "cell-op":
            cid = data.get("cell_id", "")
            if data.get("output"):
                outputs[cid] = data["output"]
            console = data.get("console")
            if console:
                chunks = console if isinstance(console, list) else [console]
                consoles.setdefault(cid, []).extend(chunks)
            if data.get("status") == "queued":
                consoles[cid] = []
        await handle(message)

    session._handle = record  # type: ignore[method-assign]
    sidecar.start()
    session.start()
    try:
        deadline = time.monotonic() + 180
        kernel = session.kernel
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            runs = [kernel.runs.get(c) for c in kernel.ids]
            if len(runs) == len(cells) and all(
                r is not None and r.status in ("idle", "error") for r in runs
            ):
                break
        await asyncio.sleep(1.0)
        for cid, (name, code) in zip(kernel.ids[1:], cells[1:], strict=True):
            if cid not in outputs:
                print("no output:", name)
                continue
            out = dict(outputs[cid])
            record_ = {
                "case": name,
                "cell_id": cid,
                "code": code,
                "output": {k: out.get(k) for k in ("channel", "mimetype", "data")},
                "console": consoles.get(cid, []),
            }
            (CORPUS / f"{name}.json").write_text(json.dumps(record_, indent=1) + "\n")
            print("captured", name, out.get("mimetype"))
    finally:
        await session.close()
        await sidecar.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
