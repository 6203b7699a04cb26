"""Capture real UI-element outputs from the marimo sidecar into tests/outputs_corpus/.

Run by hand when marimo changes (`PYTHONPATH=src python -m tests.capture_widgets [CASE…]`):
each case is one cell of our own code; its output message is stored as the kernel sent it,
with the anywidget model messages (`model-lifecycle`) sent while it ran.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from marimo_tui.runtime.session import NotebookSession, SessionUpdate
from marimo_tui.runtime.sidecar import Sidecar, SidecarOptions
from tests.sidecar_support import make_notebook

CORPUS = Path(__file__).parent / "outputs_corpus"
CASES: dict[str, str] = {
    "widget_slider": "mo.ui.slider(0, 100, step=5, value=25, label='**Rows** shown')",
    "widget_slider_steps": "mo.ui.slider(steps=[1, 10, 100], value=10)",
    "widget_number": "mo.ui.number(start=0.5, stop=2.5, step=0.5, value=1.0, label='Scale')",
    "widget_text": "mo.ui.text(value='north', placeholder='region', label='Region')",
    "widget_text_area": "mo.ui.text_area(value='line one', label='Notes')",
    "widget_checkbox": "mo.ui.checkbox(value=True, label='Log scale')",
    "widget_switch": "mo.ui.switch(label='Live')",
    "widget_dropdown": "mo.ui.dropdown({'One': 1, 'Two': 2}, value='Two', label='Count')",
    "widget_radio": "mo.ui.radio(['mean', 'median'], value='median', label='Statistic')",
    "widget_multiselect": "mo.ui.multiselect(['a', 'b', 'c'], value=['b'], max_selections=2)",
    "widget_date": "mo.ui.date(start='2024-01-01', stop='2024-06-30', value='2024-02-29')",
    "widget_button": "mo.ui.button(label='Refresh', kind='success')",
    "widget_run_button": "mo.ui.run_button(label='Train')",
    "widget_form": "mo.ui.text(value='draft', label='Title').form(submit_button_label='Save')",
    "widget_table": (
        "mo.ui.table([{'city': 'Oslo', 'pop': 709}, {'city': 'Bergen', 'pop': 291}], "
        "selection='single', label='Cities')"
    ),
    "ui_dataframe": (
        "import pandas as pd\n\n"
        "mo.ui.dataframe(pd.DataFrame({'city': ['Oslo', 'Bergen', 'Tromsø'], "
        "'pop': [709, 291, 77]}))"
    ),
    "ui_anywidget": (
        "import anywidget\nimport traitlets\n\n\n"
        "class Counter(anywidget.AnyWidget):\n"
        "    _esm = 'export default { render({ model, el }) { el.textContent = 1; } }'\n"
        "    count = traitlets.Int(3).tag(sync=True)\n"
        "    unit = traitlets.Unicode('clicks').tag(sync=True)\n\n\n"
        "mo.ui.anywidget(Counter())"
    ),
}


async def capture(root: Path, only: list[str]) -> dict[str, dict[str, object]]:
    names = only or list(CASES)
    cells = [("_", "import marimo as mo")] + [(n, CASES[n]) for n in names]
    path = make_notebook(root, cells)
    sidecar = Sidecar(SidecarOptions(root, root / "logs"), lambda *_: None)
    messages: dict[str, dict[str, object]] = {}
    models: list[dict[str, object]] = []

    def keep(update: SessionUpdate) -> None:
        del update

    session = NotebookSession(sidecar, path, keep)
    original = session._handle

    async def handle(message: dict[str, object]) -> None:
        data = message.get("data")
        if message.get("op") == "cell-op" and isinstance(data, dict) and data.get("output"):
            messages[str(data["cell_id"])] = data
        if message.get("op") == "model-lifecycle" and isinstance(data, dict):
            models.append(data)
        await original(message)

    session._handle = handle  # type: ignore[assignment,method-assign]
    sidecar.start()
    session.start()
    try:
        await session.wait_ready(120)
        kernel = session.kernel
        for _ in range(600):
            if all(
                any(CASES[n] == kernel.codes.get(c) and c in messages for c in kernel.ids)
                for n in names
            ):
                break
            await asyncio.sleep(0.1)
        found: dict[str, dict[str, object]] = {}
        for name in names:
            cid = next(c for c in kernel.ids if kernel.codes[c] == CASES[name])
            data = messages[cid]
            found[name] = {
                "case": name,
                "cell_id": cid,
                "code": CASES[name],
                "output": data["output"],
                "console": [],
            }
            if "anywidget" in CASES[name]:
                found[name]["models"] = models
        return found
    finally:
        await session.close()
        await sidecar.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        found = asyncio.run(capture(Path(tmp), sys.argv[1:]))
    for name, case in found.items():
        (CORPUS / f"{name}.json").write_text(json.dumps(case, indent=1) + "\n")
        print(f"wrote {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
