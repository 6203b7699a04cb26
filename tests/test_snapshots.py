"""Screens as SVG snapshots (pytest-textual-snapshot): layouts, themes, a cell that fails.

Update after an intended change with `pytest tests/test_snapshots.py --snapshot-update` and
review the SVGs. Clocks stay off-screen: the file watcher (a timed job) is not started.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui_support import (
    CHAIN,
    analysed,
    isolate_user_config,
    make_app,
    make_project,
    wait_until,
)


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


def project(tmp_path: Path, cells: list[tuple[str, str]] | None = None, **config: str) -> Path:
    # The project folder's name shows in the status bar: keep it the same on every run.
    return make_project(tmp_path / "demo", cells, **config)


async def settled(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    await wait_until(lambda: analysed(app) and app.cell_view.highlighting, what="settled")
    app.cell_view.select_id(app.cell_view.notebook.find("total").id)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def test_wide_dark(snap_compare: Any, tmp_path: Path) -> None:
    path = project(tmp_path)
    app = make_app(path.parent.parent, path, watch=False)
    assert snap_compare(app, terminal_size=(200, 50), run_before=settled)


def test_narrow(snap_compare: Any, tmp_path: Path) -> None:
    path = project(tmp_path)
    app = make_app(path.parent.parent, path, watch=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled)


def test_stacked_light(snap_compare: Any, tmp_path: Path) -> None:
    path = project(tmp_path, theme="marimo-light")
    app = make_app(path.parent.parent, path, watch=False)
    assert snap_compare(app, terminal_size=(130, 40), run_before=settled)


def test_cell_with_a_syntax_error(snap_compare: Any, tmp_path: Path) -> None:
    cells = list(CHAIN)
    cells[3] = ("_", "doubled = total *\nprint(doubled)")
    path = project(tmp_path, cells, theme="high-contrast")
    app = make_app(path.parent.parent, path, watch=False)
    assert snap_compare(app, terminal_size=(160, 40), run_before=settled)
