"""A cell that needs a newer Python is said so, not called a syntax error: in the cell view,
the agent's cell report and `doctor` (the analysis sets `Cell.error` to the message)."""

from __future__ import annotations

from pathlib import Path

import pytest

from marimo_tui.agent.cell_report import cell_summary, error_of, status
from marimo_tui.config_schema import Config, NotebooksConfig
from marimo_tui.doctor import check_notebooks
from marimo_tui.notebook.model import Cell, Notebook
from marimo_tui.notebook.pyversion import RUNNING, requirement_message
from marimo_tui.tui.widgets.cell_view import CellView
from tests.tui_support import CellViewApp

on_311 = pytest.mark.skipif(RUNNING != (3, 11), reason="the cells are 3.12 code, run on 3.11")
NEEDS = "needs Python ≥ 3.12 (running 3.11)"
BROKEN = "SyntaxError: '(' was never closed (line 1)"


def cells() -> list[Cell]:
    return [
        Cell(id="c1", code="x = 1", defs=frozenset({"x"})),
        Cell(id="c2", code="type Vec = list[float]", error=NEEDS),
        Cell(id="c3", code="y = (1 +", error=BROKEN),
    ]


async def test_cell_view_says_which_python_not_syntax_error(tmp_path: Path) -> None:
    app = CellViewApp(Notebook(path=tmp_path / "nb.py", cells=cells()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        view = app.query_one(CellView)
        assert view.status_of(view.notebook.cells[1]) == "needs-python"  # type: ignore[union-attr]
        assert view.status_of(view.notebook.cells[2]) == "syntax-error"  # type: ignore[union-attr]
        lines = view.screen_text().splitlines()
        second = next(i for i, line in enumerate(lines) if "#2 c2" in line)
        third = next(i for i, line in enumerate(lines) if "#3 c3" in line)
        newer, broken = "\n".join(lines[second:third]), "\n".join(lines[third:])
        assert "needs a newer Python" in newer
        assert f"⚠ {NEEDS}; kept as written" in newer
        assert "syntax error" not in newer and "✗" not in newer
        assert "syntax error" in broken and f"✗ {BROKEN}" in broken


def test_agent_report_tells_the_requirement_not_a_syntax_error() -> None:
    newer, broken = cells()[1], cells()[2]
    assert status(newer, None, live=False) == "needs-newer-python"
    assert error_of(newer, None) == (
        f"{NEEDS}: valid code for that Python, kept as written; not a syntax error"
    )
    summary = cell_summary(newer, None, live=False)
    assert summary["status"] == "needs-newer-python" and summary["error"].startswith(NEEDS)
    assert status(broken, None, live=False) == "syntax-error"
    assert "SyntaxError" in str(error_of(broken, None))


NOTEBOOK = """import marimo as mo

__generated_with = "0.25.2"
app = mo.App()


@app.cell
def _():
    x = 1
    return (x,)


@app.cell
def _():
    type Vec = list[float]
    return


@app.cell
def _():
    y = (1 +
    return


if __name__ == "__main__":
    app.run()
"""


@on_311
def test_doctor_says_the_cell_needs_a_newer_python(tmp_path: Path) -> None:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "x.py").write_text(NOTEBOOK)
    config = Config(notebooks=NotebooksConfig(folder="notebooks"), root=tmp_path)
    checks = check_notebooks(config)  # discovered though it says `mo.App()`
    details = [c.detail for c in checks]
    assert "notebooks/x.py: cell 2 needs Python ≥ 3.12 (running 3.11); kept as written" in details
    broken = [d for d in details if "cell" in d and "needs" not in d and "notebooks/x.py:" in d]
    assert len(broken) == 1 and "never closed" in broken[0]
    head = checks[0]
    assert "1 cell needs a newer Python" in head.detail and not head.ok
    assert requirement_message("type Vec = list[float]") == NEEDS


async def test_cell_view_hides_the_kernels_syntax_error_for_a_newer_python_cell(
    tmp_path: Path,
) -> None:
    # On this Python the kernel cannot compile the cell either: its SyntaxError output and
    # traceback are not shown; the broken cell's are.
    from marimo_tui.runtime.kernel_state import KernelState

    app = CellViewApp(Notebook(path=tmp_path / "nb.py", cells=cells()))
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(CellView)
        kernel = KernelState()
        kernel.reset(["k1", "k2", "k3"], [c.code for c in cells()], ["_"] * 3, resumed=False)
        for kid, message in (("k2", "invalid syntax"), ("k3", "'(' was never closed")):
            kernel.apply_cell_op(
                {
                    "cell_id": kid,
                    "status": "idle",
                    "output": {
                        "channel": "marimo-error",
                        "mimetype": "application/vnd.marimo+error",
                        "data": [{"type": "syntax", "msg": f"SyntaxError: {message}"}],
                    },
                    "console": [{"channel": "stderr", "data": f"SyntaxError: {message}\n"}],
                }
            )
        view.set_kernel(kernel)
        await pilot.pause()
        text = view.screen_text()
        assert "was never closed" in text.split("#3 c3")[1]
        assert "invalid syntax" not in text
