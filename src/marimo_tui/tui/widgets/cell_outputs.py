"""The kernel's side of the cell view: which of marimo's cells each shown cell is, its run, its
status, and its output rows, cached by output so a cell whose output did not change is not
repainted."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual.cache import LRUCache
from textual.strip import Strip

from marimo_tui.notebook.model import Cell, Notebook
from marimo_tui.notebook.pyversion import is_requirement
from marimo_tui.runtime.output_blocks import Chart
from marimo_tui.safe_text import one_line

if TYPE_CHECKING:
    from marimo_tui.runtime.kernel_state import CellRun, KernelState
    from marimo_tui.tui.widgets.output_render import OutputStyles

OUTPUT_ROWS = 24  # rows of output shown per cell; `v` shows all of it
CONSOLE_ROWS = 12
CHART_ROWS = 16  # a chart's picture, in half-block rows (two pixels each)
NO_ROWS: list[Strip] = []  # shared, never changed: the same list means nothing to repaint


def merge_channels(run: CellRun) -> list[tuple[str, str, Chart | None]]:
    """Console chunks joined while the channel stays the same: (channel, text, chart); a
    figure from `plt.show()` stands alone."""
    merged: list[tuple[str, str, Chart | None]] = []
    for chunk in run.console:
        same = merged and merged[-1][0] == chunk.channel
        if same and chunk.chart is None and merged[-1][2] is None:
            merged[-1] = (chunk.channel, merged[-1][1] + chunk.text, None)
        else:
            merged.append((chunk.channel, chunk.text, chunk.chart))
    return merged


def note(text: str, styles: OutputStyles) -> Strip:
    return Strip([Segment(text, styles.dim)])


class CellOutputs:
    """Kernel state as the view needs it. `on_picture` is called when a chart drawn off the
    UI thread is ready: the rows that held its caption change."""

    def __init__(self, on_picture: Callable[[], None]) -> None:
        self.kernel: KernelState | None = None
        self.kernel_ids: dict[str, str] = {}  # our cell id -> the kernel's
        # marimo's errors name cells by the kernel's ids: shown as the header names them
        self.cell_names: dict[str, str] = {}
        self.tabs: dict[str, dict[int, int]] = {}  # cell id -> tabs block number -> pane
        self.stale: set[str] = set()  # edited since they ran, and what reads from them
        self.running_since: dict[str, float] = {}  # kernel id -> when we saw it start
        self.cell_of: dict[str, str] = {}  # the kernel's cell id -> ours
        self._matched: tuple[object, object, int] | None = None  # notebook, kernel, document
        self._rows: LRUCache[tuple[object, ...], tuple[object, object, list[Strip]]] = LRUCache(
            1024
        )
        self._on_picture = on_picture

    def clear(self) -> None:
        self._rows.clear()

    def follow(self, kernel: KernelState | None, cell_id: str | None) -> None:
        """A kernel message: note when a cell started running, for its header's timer."""
        if kernel is not self.kernel:
            self.kernel = kernel
            self.running_since.clear()
        if cell_id is not None and kernel is not None:
            run = kernel.runs.get(cell_id)
            if run is not None and run.kernel_status == "running":
                self.running_since.setdefault(cell_id, time.monotonic())
            else:
                self.running_since.pop(cell_id, None)

    def match(self, notebook: Notebook | None) -> bool:
        """Pair our cells with the kernel's; True when the pairs are those of the last call
        (the same notebook and kernel document: only runs changed since)."""
        kernel = self.kernel
        if kernel is None or notebook is None:
            self.kernel_ids, self.cell_of, self.stale = {}, {}, set()
            self._matched = None
            return False
        last = self._matched
        same = (
            last is not None
            and last[0] is notebook
            and last[1] is kernel
            and last[2] == kernel.document
        )
        if not same:
            self._pair(notebook, kernel)
            self._matched = (notebook, kernel, kernel.document)
        # A run takes its cell's code: what was edited (so stale) changes with runs too.
        edited = {ours for ours, theirs in self.kernel_ids.items() if kernel.edited(theirs)}
        self.stale = notebook.index.stale(edited) if edited else set()
        return same

    def _pair(self, notebook: Notebook, kernel: KernelState) -> None:
        cells = notebook.cells
        matched = kernel.match([cell.code for cell in cells])
        self.kernel_ids = {c.id: k for c, k in zip(cells, matched, strict=True) if k is not None}
        self.cell_of = {k: ours for ours, k in self.kernel_ids.items()}
        self.cell_names = {
            k: f"'{one_line(c.name)}' (#{i + 1})" if c.named else f"#{i + 1}"
            for i, (c, k) in enumerate(zip(cells, matched, strict=True))
            if k is not None
        }

    def run_for(self, cell: Cell) -> CellRun | None:
        kid = self.kernel_ids.get(cell.id)
        return self.kernel.runs.get(kid) if kid is not None and self.kernel is not None else None

    def status_of(self, cell: Cell, notebook: Notebook | None) -> str:
        if notebook is not None and cell.id in notebook.pending:
            return "pending"
        if cell.error:
            return "needs-python" if is_requirement(cell.error) else "syntax-error"
        run = self.run_for(cell)
        if run is not None:
            status = run.status
            if status in ("queued", "running"):
                return status
            if cell.id in self.stale:
                return "stale"
            if status != "not-run":
                return status
        if cell.options.get("disabled"):
            return "disabled"
        return "parsed"

    def run_seconds(self, cell: Cell, status: str) -> float | None:
        """How long the cell ran, or has been running."""
        if status == "running":
            kid = self.kernel_ids.get(cell.id)
            since = self.running_since.get(kid) if kid is not None else None
            return time.monotonic() - since if since is not None else None
        run = self.run_for(cell)
        if run is not None and run.run_time is not None and status in ("idle", "error", "stale"):
            return run.run_time
        return None

    def rows(self, cell: Cell, width: int, styles: OutputStyles) -> list[Strip]:
        """The cell's output and console, cut to a few screens (`v` shows everything)."""
        run = self.run_for(cell)
        if run is None or not run.has_output:
            return NO_ROWS
        if is_requirement(cell.error) and run.output.kind == "error":
            # The kernel (this Python) could not compile it: its SyntaxError and traceback say
            # less than the cell's requirement line.
            return NO_ROWS
        # Keyed by the output and console objects (a status change keeps them), so a cell
        # whose output did not change keeps the same rows and is not repainted.
        names = tuple(self.cell_names.items()) if run.output.kind == "error" else ()
        tabs = tuple(self.tabs.get(cell.id, {}).items())
        key: tuple[object, ...] = (id(run.output), id(run.console), run.traceback, cell.code)
        key += (width, id(styles), names, tabs)
        cached = self._rows.get(key)
        if cached is not None and cached[0] is run.output and cached[1] is run.console:
            return cached[2]
        from marimo_tui.tui.graphics import chart_strips
        from marimo_tui.tui.widgets.output_render import render_console, render_output

        def ready() -> None:  # a picture was drawn: these rows change
            if self._rows.get(key) is not None:
                self._rows.discard(key)
                self._on_picture()

        rows: list[Strip] = []
        output = run.shown_output
        if output.kind != "empty":
            rows = render_output(
                output,
                width,
                styles,
                code=cell.code,
                max_image_rows=CHART_ROWS,
                cell_names=self.cell_names,
                tabs=self.tabs.get(cell.id),
                on_ready=ready,  # charts alone or inside layouts (an hstack of figures)
            )
            if len(rows) > OUTPUT_ROWS:
                more = len(rows) - OUTPUT_ROWS + 1
                rows = [*rows[: OUTPUT_ROWS - 1], note(f"… {more} more rows · v shows all", styles)]
        console: list[Strip] = []
        for channel, text, chart in merge_channels(run):
            if chart is not None:
                rows += chart_strips(chart, width, CHART_ROWS, styles.dim, ready)
            else:
                console += render_console(text, channel, width, styles)
        if len(console) > CONSOLE_ROWS:
            earlier = len(console) - CONSOLE_ROWS + 1
            console = [
                note(f"… {earlier} earlier console lines · v shows all", styles),
                *console[-(CONSOLE_ROWS - 1) :],
            ]
        rows += console
        self._rows[key] = (run.output, run.console, rows)
        return rows

    def tab_choice(self, cell: Cell) -> Mapping[int, int]:
        return dict(self.tabs.get(cell.id, {}))
