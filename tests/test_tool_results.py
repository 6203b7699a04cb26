"""Tool results are compact: no code the model already has, no empty fields, and tracebacks cut
to the frames of the notebook's own code plus the library line that raised."""

from __future__ import annotations

import html
import json
import traceback
from pathlib import Path
from typing import Any

import pytest

from marimo_tui.agent.cell_report import error_of, trim_traceback
from marimo_tui.agent.tools import ToolContext, dispatch
from marimo_tui.config import load_config
from marimo_tui.notebook.model import Cell
from marimo_tui.runtime.kernel_state import CellRun, KernelState
from marimo_tui.workbench import Workbench
from tests.tui_support import make_project

CORPUS = Path(__file__).parent / "outputs_corpus"
PICK = """\
import pandas as pd
df = pd.DataFrame({"a": [1]})
def pick(d):
    return d["revenue"]

x = 1
pick(df)
"""


def run_of(payload: dict[str, Any]) -> CellRun:
    """A cell's run as the kernel state builds it from marimo's cell-op message."""
    return KernelState().apply_cell_op({**payload, "status": "idle"})


def corpus(case: str) -> tuple[Cell, CellRun]:
    fx = json.loads((CORPUS / f"{case}.json").read_text())
    return Cell("c1", fx["code"]), run_of(fx)


def pandas_failure(tmp_path: Path) -> tuple[Cell, CellRun]:
    """A real traceback through pandas, from a file named as marimo names a cell's, sent the
    way marimo sends it (escaped HTML on the console's traceback channel)."""
    folder = tmp_path / "marimo_1"
    folder.mkdir()
    cell_file = folder / "__marimo__cell_Hbol_.py"
    cell_file.write_text(PICK)
    try:
        exec(compile(PICK, str(cell_file), "exec"), {})
    except KeyError:
        text = traceback.format_exc()
    assert "site-packages/pandas" in text and "The above exception" in text
    error = {"type": "exception", "msg": "'revenue'", "exception_type": "KeyError"}
    return Cell("c1", PICK), run_of(
        {
            "cell_id": "Hbol",
            "output": {"mimetype": "application/vnd.marimo+error", "data": [error]},
            "console": [
                {
                    "channel": "stderr",
                    "mimetype": "application/vnd.marimo+traceback",
                    "data": f"<pre>{html.escape(text)}</pre>",
                }
            ],
        }
    )


def test_a_traceback_keeps_the_cells_frames_and_the_raising_library_line(
    tmp_path: Path,
) -> None:
    cell, run = pandas_failure(tmp_path)
    told = (error_of(cell, run) or "").splitlines()
    assert told[:3] == [
        "KeyError: 'revenue'",
        "  line 7: pick(df)",
        '  line 4, in pick: return d["revenue"]',
    ]
    # pandas' frames in between are counted, the one that raised is kept, without the
    # machine's path; the chained KeyError inside pandas' index engine is left out.
    assert told[3].startswith("  … ") and told[3].endswith(("library frame", "library frames"))
    assert told[4].startswith("  pandas/core/indexes/base.py:")
    assert told[4].endswith(", in get_loc: raise KeyError(key) from err")
    assert len(told) == 5 and len("\n".join(told)) < len(run.traceback) / 3


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("zero_division", "ZeroDivisionError: division by zero\n  line 3: zz = a / b"),
        (
            "nested_function_error",
            "KeyError: 'missing'\n  line 5: inner({})\n  line 2, in inner: return v[\"missing\"]",
        ),
        (
            "interrupted",
            "interruption: This cell was interrupted and needs to be re-run\n"
            "  line 2: time.sleep(30)\n"
            "  … 1 library frame\n"
            "  marimo/_runtime/handlers.py:74, in interrupt_handler: raise MarimoInterrupt",
        ),
        # A message of several lines: its first line, the frame, then the whole message.
        (
            "print_then_raise",
            "ValueError: bad value …\n"
            '  line 2: raise ValueError("bad value\\nsecond line")\n'
            "ValueError: bad value\nsecond line",
        ),
        ("ancestor_raised", "ancestor-raised: An ancestor raised an exception "),
    ],
)
def test_real_marimo_errors_are_told_in_a_few_lines(case: str, expected: str) -> None:
    cell, run = corpus(case)
    told = error_of(cell, run) or ""
    assert told.startswith(expected), told
    assert "__marimo__cell_" not in told and "site-packages" not in told and "^" not in told


def test_text_without_python_frames_keeps_its_last_lines() -> None:
    assert trim_traceback("Binder Error: column revenue not found\nLINE 1: select revenue") == []
    assert trim_traceback("") == []


async def test_results_over_the_real_sidecar_send_no_code_back(tmp_path: Path) -> None:
    path = make_project(
        tmp_path,
        [
            ("data", 'import pandas as pd\nframe = pd.DataFrame({"a": [1, 2]})'),
            ("pick", 'def pick(d):\n    return d["revenue"]\n\npicked = pick(frame)'),
        ],
    )
    wb = Workbench(load_config(start=tmp_path, environ={}))
    wb.current = path
    await wb.start(watch=False, run=True)
    try:
        ctx = ToolContext(wb, "turn", lambda _e: None, approval="auto", rerun_timeout=120)
        ran = await dispatch(ctx, "run_cells", {"timeout": 120})
        assert ran.data["settled"], ran.data
        (failing,) = ran.data["errors"]
        assert failing["cell"] == "pick"
        assert failing["error"].startswith("KeyError: 'revenue'\n  line 4: picked = pick(frame)")
        assert '  line 2, in pick: return d["revenue"]' in failing["error"]
        assert "pandas/core/indexes/base.py:" in failing["error"]
        assert "site-packages" not in failing["error"] and "__marimo__" not in failing["error"]
        outputs = await dispatch(ctx, "read_outputs", {})
        for entry in outputs.data["cells"]:
            assert "code" not in entry and "defines" not in entry and "reads" not in entry
        listed = await dispatch(ctx, "list_cells", {})
        assert [c["status"] for c in listed.data["cells"]] == ["idle", "error"]
        assert listed.data["cells"][1]["error"] == "KeyError: 'revenue'"
        code = 'def pick(d):\n    return int(d["a"].sum())\n\npicked = pick(frame)\npicked'
        fixed = await dispatch(ctx, "edit_cell", {"cell": "pick", "code": code})
        assert fixed.data["errors"] == [] and "pick" in fixed.data["reran"], fixed.data
        assert "return d" not in json.dumps(fixed.data)  # its code is not sent back
        assert fixed.data["outputs"]["pick"]["text"] == "3"
    finally:
        await wb.stop()
