"""Capture real chart outputs from the real marimo sidecar into tests/outputs_corpus/.

Run from a worktree: `PYTHONPATH=src python -m tests.capture_charts [CASE…]`. Each case is
one cell of our own; the file keeps the cell's last output and its console as the kernel
sent them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from marimo_tui.runtime.session import NotebookSession
from marimo_tui.runtime.sidecar import Sidecar, SidecarOptions
from tests.sidecar_support import make_notebook

CORPUS = Path(__file__).parent / "outputs_corpus"

SETUP = (
    "import marimo as mo\nimport matplotlib\n"
    "import matplotlib.pyplot as plt\nimport altair as alt\nimport pandas as pd\n"
    "import plotly.graph_objects as go"
)
CASES: dict[str, str] = {
    "altair_line": (
        "sales = pd.DataFrame({'month': [1, 2, 3, 4], 'sales': [3, 1, 4, 2]})\n"
        "alt.Chart(sales).mark_line().encode(x='month', y='sales')"
        ".properties(title='Sales by month')"
    ),
    "altair_ui_chart": (
        "mo.ui.altair_chart(alt.Chart(sales).mark_bar().encode(x='month:O', y='sales')"
        ".properties(title='Sales as bars'))"
    ),
    "plotly_scatter": (
        "go.Figure(go.Scatter(x=[1, 2, 3, 4], y=[4, 1, 3, 2], mode='lines+markers'),"
        " layout={'title': {'text': 'Plotly points'}})"
    ),
    "plotly_bar_heatmap": (
        "from plotly.subplots import make_subplots\n"
        "both = make_subplots(rows=1, cols=2)\n"
        "both.add_trace(go.Bar(x=['a', 'b', 'c'], y=[2, 5, 3]), row=1, col=1)\n"
        "both.add_trace(go.Heatmap(z=[[1, 2], [3, 4]]), row=1, col=2)\n"
        "both"
    ),
    "plotly_pie": "go.Figure(go.Pie(labels=['a', 'b'], values=[1, 2]))",
    "plotly_express_numpy": (
        "import numpy as np\nimport plotly.express as px\n"
        "_rng = np.random.default_rng(0)\n"
        "px.histogram(x=_rng.normal(size=300), nbins=20, title='Normal sample')"
    ),
    "matplotlib_plt_show": (
        "plt.figure(figsize=(3, 2))\nplt.plot([1, 3, 2])\nplt.title('Shown')\nplt.show()"
    ),
    "mo_ui_matplotlib": (
        "_fig, _ax = plt.subplots(figsize=(3, 2))\n_ax.scatter([1, 2, 3], [3, 1, 2])\n"
        "mo.ui.matplotlib(_ax)"
    ),
    "svg_value": (
        "class Badge:\n    def _repr_svg_(self):\n"
        '        return (\'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">\'\n'
        '                \'<rect width="120" height="40" fill="#3a7"/>\'\n'
        '                \'<circle cx="20" cy="20" r="12" fill="#fff"/></svg>\')\n'
        "Badge()"
    ),
}


async def capture(root: Path) -> dict[str, dict[str, Any]]:
    cells = [("setup", SETUP)] + [(name, code) for name, code in CASES.items()]
    path = make_notebook(root, cells)
    raw: dict[str, dict[str, Any]] = {}
    sidecar = Sidecar(SidecarOptions(root, root / ".marimo-tui" / "logs"), lambda *_: None)
    session = NotebookSession(sidecar, path, lambda _update: None)
    handle = session._handle

    async def keep(message: Any) -> None:
        if message.get("op") == "cell-op":
            data = message["data"]
            entry = raw.setdefault(data["cell_id"], {"output": None, "console": []})
            if data.get("output") is not None:
                entry["output"] = data["output"]
            console = data.get("console")
            if isinstance(console, list):
                entry["console"] = list(console)
            elif isinstance(console, dict):
                entry["console"].append(console)
        await handle(message)

    session._handle = keep  # type: ignore[method-assign]
    sidecar.start()
    session.start()
    try:
        await session.wait_ready(120)
        await session.settle([code for _, code in cells], 120.0)
        kernel = session.kernel
        found: dict[str, dict[str, Any]] = {}
        for cid in kernel.ids:
            code = kernel.codes[cid]
            for case, case_code in CASES.items():
                if code == case_code and cid in raw:
                    found[case] = {"case": case, "cell_id": cid, "code": code, **raw[cid]}
        return found
    finally:
        await session.close()
        await sidecar.stop()


def main() -> None:
    """All cases run (they share the set-up cell); only those named on the command line are
    written, when any are (the others' random ids would change for nothing)."""
    wanted = set(sys.argv[1:]) or set(CASES)
    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(capture(Path(tmp)))
    for case, entry in found.items():
        if case not in wanted:
            continue
        (CORPUS / f"{case}.json").write_text(json.dumps(entry, indent=1) + "\n")
        print(case, entry["output"]["mimetype"] if entry["output"] else None, len(entry["console"]))
    missing = set(CASES) - set(found)
    if missing:
        raise SystemExit(f"not captured: {sorted(missing)}")


if __name__ == "__main__":
    main()
