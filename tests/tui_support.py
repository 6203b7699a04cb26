"""Shared set-up for the Textual tests: a project on disk and a workbench app over it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widget import Widget

from marimo_tui.config import load_config
from marimo_tui.notebook import marimo_render
from marimo_tui.notebook.atomic import atomic_write
from marimo_tui.notebook.model import UNNAMED, Cell, CellKind, Notebook
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.widgets.cell_view import CellView
from marimo_tui.workbench import Workbench
from tests.conftest import HANG

CHAIN = [
    ("setup_cell", "import math"),
    ("numbers", "numbers = [math.sqrt(i) for i in range(10)]"),
    ("total", "total = sum(numbers)"),
    ("_", "doubled = total * 2\nprint(doubled)"),
    ("report", 'label = f"total={total:.2f}"'),
]


def render(cells: list[tuple[str, str]]) -> str:
    model = [
        Cell(id=f"c{i}", code=code, name=name if name != "_" else UNNAMED, kind=CellKind.CELL)
        for i, (name, code) in enumerate(cells)
    ]
    return marimo_render.render("", {}, model)


def make_project(root: Path, cells: list[tuple[str, str]] | None = None, **config: str) -> Path:
    """A project with marimo-tui.yaml and notebooks/main.py; returns the notebook path."""
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    lines = ["notebooks:", "  folder: notebooks"]
    lines += [f"{k}: {v}" for k, v in config.items()]
    (root / "marimo-tui.yaml").write_text("\n".join(lines) + "\n")
    path = root / "notebooks" / "main.py"
    path.write_text(render(cells or CHAIN))
    return path


class CellViewApp(App[None]):
    """A cell view alone over a notebook (no workbench): for tests of what it draws."""

    def __init__(self, notebook: Notebook) -> None:
        super().__init__()
        self.notebook = notebook

    def compose(self) -> ComposeResult:
        yield CellView(self.notebook)


def make_app(
    root: Path, notebook: Path | None = None, *, watch: bool = True, run: bool = False
) -> WorkbenchApp:
    """The app over `root`; `run=True` starts the real marimo server (off by default: most
    tests are about the view and the files)."""
    config = load_config(start=root, environ={})
    workbench = Workbench(config)
    target = notebook or workbench.first_notebook()
    initial = workbench.quick_open(target) if target else None
    return WorkbenchApp(workbench, initial, watch=watch, run=run)


def write_like_an_editor(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


async def wait_until(
    predicate: Callable[[], object], timeout: float = HANG, what: str = "condition"
) -> None:
    """Poll `predicate` until it holds; fail after `timeout` seconds (a hang, not slowness)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def analysed(app: WorkbenchApp) -> bool:
    nb = app.cell_view.notebook
    return nb is not None and not nb.pending and app.workbench.store.cached(nb.path) is not None


def isolate_user_config(tmp_path: Path) -> None:
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")


def painted_text(app: WorkbenchApp, widget: Widget) -> str:
    """What `widget` shows on the screen as the compositor paints it: rows a refresh missed
    still show their old text here (unlike calling `render_line` directly)."""
    region = widget.region
    rows = app.screen._compositor.render_strips()[region.y : region.bottom]
    return "\n".join(row.crop(region.x, region.right).text for row in rows)
