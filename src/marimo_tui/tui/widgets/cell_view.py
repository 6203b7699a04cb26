"""The cell view: every cell of the open notebook, virtualised with Textual's line API.

Nothing is mounted per cell or per line. Each cell is a block of lines whose height is known
without rendering (header, defs/refs, code or a fold marker, errors, a gap); `render_line`
finds the block under a screen row by bisection and renders only that block, cached by the
cell's content. A 1000-cell notebook therefore costs what its visible rows cost.
"""

from __future__ import annotations

import builtins
import time
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from marimo_tui.notebook.model import Cell, CellKind, Notebook
from marimo_tui.notebook.pyversion import is_requirement
from marimo_tui.runtime.output_blocks import Chart
from marimo_tui.safe_text import one_line, visible

if TYPE_CHECKING:
    from marimo_tui.runtime.kernel_state import CellRun, KernelState
    from marimo_tui.tui.widgets.output_render import OutputStyles

GUTTER = 2
BUILTINS = frozenset(dir(builtins))  # marimo counts them as refs; shown they are only noise
STATUS_BADGES = {
    # status -> (symbol, label, component class)
    "pending": ("…", "analysing", "dim"),
    "syntax-error": ("✗", "syntax error", "error"),
    # Valid code for a newer Python than ours: not broken, kept as written; it cannot run here.
    "needs-python": ("⚠", "needs a newer Python", "warning"),
    "parsed": ("·", "not run", "dim"),
    "not-run": ("·", "not run", "dim"),
    "queued": ("◷", "queued", "running"),
    "running": ("▶", "running", "running"),
    "idle": ("✓", "ran", "ok"),
    "stale": ("◌", "stale: rerun to update", "warning"),
    "error": ("✗", "error", "error"),
    "disabled": ("⊘", "disabled", "dim"),
}
SPINNER = "◐◓◑◒"
OUTPUT_ROWS = 24  # rows of output shown per cell; `v` shows all of it
CONSOLE_ROWS = 12
CHART_ROWS = 16  # a chart's picture, in half-block rows (two pixels each)
DOCUMENT_DELAY = 0.05  # seconds a kernel's new code waits for the runs it starts


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def _merge_channels(run: CellRun) -> list[tuple[str, str, Chart | None]]:
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


NO_ROWS: list[Strip] = []  # shared, never changed: the same list means nothing to repaint


@dataclass(slots=True)
class _Block:
    cell: Cell
    top: int
    height: int
    folded: bool
    code_lines: int
    output: list[Strip]  # rows after the header, info, code and errors; then a gap


@dataclass(slots=True)
class _Painted:
    """What a cell's rows showed when last painted; lists are compared by identity (the
    caches hand out the same list for the same content)."""

    top: int
    height: int
    relation: str
    lines: list[Content]
    output: list[Strip]

    def same(self, other: _Painted) -> bool:
        return (
            self.top == other.top
            and self.height == other.height
            and self.relation == other.relation
            and self.lines is other.lines
            and self.output is other.output
        )


class CellView(ScrollView, can_focus=True):
    """Shows a `Notebook`; keeps the selection and the viewport on the same cell across
    reloads (cells have stable ids)."""

    ALLOW_MAXIMIZE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="cell_up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="cell_down"),
        Binding("home", "first", "First", show=False, id="cell_first"),
        Binding("end", "last", "Last", show=False, id="cell_last"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="cell_page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="cell_page_down"),
        Binding("enter", "toggle_fold", "Fold", show=False, id="fold_cell"),
        Binding("z", "fold_all", "Fold all", show=False, id="fold_all"),
        Binding("e", "request('edit')", "Edit", id="edit_cell"),
        Binding("n", "request('add')", "New cell", id="add_cell"),
        Binding("d", "request('delete')", "Delete", id="delete_cell"),
        Binding("K", "request('move_up')", "Move up", show=False, id="move_cell_up"),
        Binding("J", "request('move_down')", "Move down", show=False, id="move_cell_down"),
        Binding("r", "request('rename')", "Rename", show=False, id="rename_cell"),
        Binding("u", "request('undo')", "Undo", id="undo"),
        # Terminals send ctrl+enter as enter or ctrl+j unless they speak the kitty protocol.
        Binding("ctrl+enter,ctrl+j", "request('run')", "Run", key_display="^⏎", id="run_cell"),
        Binding("R", "request('run_all')", "Run all", id="run_all"),
        Binding("i", "request('interrupt')", "Interrupt", show=False, id="interrupt"),
        Binding("X", "request('restart')", "Restart kernel", show=False, id="restart_kernel"),
        Binding("v", "request('view_output')", "Output", id="view_output"),
        Binding("right_square_bracket", "next_tab", "Next tab", show=False, id="output_next_tab"),
        # The cell's UI elements (sliders, dropdowns, …), or the line its `input()` waits for.
        Binding("space", "request('widgets')", "Widgets", show=False, id="use_widgets"),
    ]
    COMPONENT_CLASSES = {
        "cell-view--header",
        "cell-view--dim",
        "cell-view--error",
        "cell-view--selected",
        "cell-view--parent",
        "cell-view--child",
        "cell-view--ok",
        "cell-view--warning",
        "cell-view--running",
        "cell-view--error-line",
        "cell-view--heading",
    }
    DEFAULT_CSS = """
    CellView { background: $surface; }
    CellView > .cell-view--header { text-style: bold; }
    CellView > .cell-view--dim { color: $text-muted; }
    CellView > .cell-view--error { color: $text-error; }
    CellView > .cell-view--selected { background: $primary 18%; color: $accent; }
    CellView > .cell-view--parent { color: $success; }
    CellView > .cell-view--child { color: $warning; }
    CellView > .cell-view--ok { color: $success; }
    CellView > .cell-view--warning { color: $warning; }
    CellView > .cell-view--running { color: $accent; text-style: bold; }
    CellView > .cell-view--error-line { background: $error 25%; color: $text; }
    CellView > .cell-view--heading { color: $accent; text-style: bold; }
    """

    class Requested(Message):
        """The user asked for an edit of the selected cell (`edit`, `add`, `delete`, …)."""

        def __init__(self, action: str, cell: Cell | None) -> None:
            super().__init__()
            self.action = action
            self.cell = cell

    selected_id: reactive[str | None] = reactive(None, always_update=False, layout=False)

    def __init__(
        self, notebook: Notebook | None = None, *, id: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.notebook: Notebook | None = None
        self.blocks: list[_Block] = []
        self._tops: list[int] = []
        self._index: dict[str, int] = {}
        self._folded: set[str] = set()
        self._parents: set[str] = set()
        self._children: set[str] = set()
        self.broken: tuple[int | None, str] | None = None
        self._memory: dict[Path, tuple[str | None, int, set[str]]] = {}
        self.highlighting = False  # switched on after the first frame (pygments is not free)
        self._lines: LRUCache[tuple[object, ...], list[Content]] = LRUCache(2048)
        # A row's strip is keyed by the very lists it is drawn from: any change of a cell's
        # text, status or output makes new lists, so nothing needs clearing on a change.
        self._strips: LRUCache[tuple[object, ...], tuple[object, object, Strip]] = LRUCache(4096)
        self._painted: dict[str, _Painted] = {}  # cell id -> what its rows last showed
        self._painted_view: tuple[object, ...] | None = None
        self._painted_total = 0
        self._code: LRUCache[tuple[str, bool], list[Content]] = LRUCache(1024)
        self._outputs: LRUCache[tuple[object, ...], tuple[object, object, list[Strip]]] = LRUCache(
            1024
        )
        self.kernel: KernelState | None = None
        self._kernel_ids: dict[str, str] = {}  # our cell id -> the kernel's
        # marimo's errors name cells by the kernel's ids: shown as the header names them
        self._cell_names: dict[str, str] = {}
        self._tabs: dict[str, dict[int, int]] = {}  # cell id -> tabs block number -> pane
        self._stale: set[str] = set()  # edited since they ran, and what reads from them
        self._running_since: dict[str, float] = {}  # kernel id -> when we saw it start
        self._relayout_pending = False
        self._styles: OutputStyles | None = None
        self._spinner: Timer | None = None
        self._document_timer: Timer | None = None
        if notebook is not None:
            self.show(notebook)

    # -- model -------------------------------------------------------------------------------
    @property
    def selected(self) -> Cell | None:
        if self.selected_id is None or self.selected_id not in self._index:
            return None
        return self.blocks[self._index[self.selected_id]].cell

    @property
    def selected_index(self) -> int | None:
        return self._index.get(self.selected_id) if self.selected_id is not None else None

    def show(self, notebook: Notebook) -> None:
        """Show a (new version of a) notebook; the selected cell keeps its place on screen.
        Switching to another notebook restores where the view was when it was last shown."""
        if self.notebook is not None and notebook.path != self.notebook.path:
            self._switch(notebook)
            return
        self.notebook = notebook
        self._relayout_anchored()

    def _relayout_anchored(self) -> None:
        """Lay out again; the selected cell stays where it was on screen."""
        old_index = self.selected_index
        keep = self.selected_id
        anchor = None
        if old_index is not None and self.blocks:
            anchor = self.blocks[old_index].top - self.scroll_offset.y
        self._layout()
        keep = self._valid_selection(keep, old_index)
        self.set_reactive(CellView.selected_id, keep)
        if anchor is not None and keep is not None:
            top = self.blocks[self._index[keep]].top
            self.scroll_to(y=max(0, top - anchor), animate=False, immediate=True)
        self._changed()

    def _switch(self, notebook: Notebook) -> None:
        assert self.notebook is not None
        self._memory[self.notebook.path] = (
            self.selected_id,
            self.scroll_offset.y,
            set(self._folded),
        )
        selected, scroll_y, folded = self._memory.get(notebook.path, (None, 0, set()))
        self.notebook = notebook
        self._folded = folded
        self.broken = None
        self._layout()
        self.set_reactive(CellView.selected_id, self._valid_selection(selected, 0))
        self.scroll_to(y=scroll_y, animate=False, immediate=True)
        self._changed()

    def _valid_selection(self, wanted: str | None, old_index: int | None) -> str | None:
        if wanted in self._index:
            return wanted
        if not self.blocks:
            return None
        return self.blocks[min(old_index or 0, len(self.blocks) - 1)].cell.id

    def _changed(self) -> None:
        self._update_relations()
        self._repaint()

    def set_broken(self, index: int | None, message: str | None) -> None:
        self.broken = None if message is None else (index, message)
        self._layout()
        self._repaint()

    def enable_highlighting(self) -> None:
        self.highlighting = True
        self._lines.clear()
        self._code.clear()
        self._repaint()

    def _repaint(self) -> None:
        """Refresh only the rows whose cell changed since they were last painted (a kernel
        message touches one or two cells: redrawing the whole view would cost a frame's worth
        of work and bytes to the terminal). A scroll or resize repaints everything."""
        region = self.scrollable_content_region
        scroll_y = self.scroll_offset.y
        view = (self.scroll_offset, region.size, self.virtual_size.width)
        total = self.virtual_size.height
        first = max(0, bisect_right(self._tops, scroll_y) - 1)
        last = bisect_right(self._tops, scroll_y + region.height)
        painted: dict[str, _Painted] = {}
        dirty: list[tuple[int, int]] = []
        for i in range(first, min(last, len(self.blocks))):
            block = self.blocks[i]
            now = _Painted(
                block.top,
                block.height,
                self._relation(block.cell.id),
                self._block_lines(block, i),
                block.output,
            )
            painted[block.cell.id] = now
            before = self._painted.get(block.cell.id)
            if before is None or not now.same(before):
                dirty.append((block.top, block.height))
        old_total = self._painted_total
        self._painted, self._painted_total = painted, total
        if view != self._painted_view:
            self._painted_view = view
            self.refresh()
            return
        if total != old_total:  # rows below the last cell appear or go blank
            low = min(total, old_total)
            dirty.append((low, max(total, old_total) - low))
        for top, height in dirty:
            self.refresh_lines(top, height)

    def _layout(self) -> None:
        self._match_kernel()
        blocks: list[_Block] = []
        top = 0
        width = 0
        broken_at = self.broken[0] if self.broken else None
        output_width = self._output_width()
        for i, cell in enumerate(self.notebook.cells if self.notebook else []):
            code_lines = cell.code.count("\n") + 1
            folded = cell.id in self._folded
            text_rows = 2 + (1 if folded else code_lines) + bool(cell.error) + (broken_at == i)
            output = self._output_rows(cell, output_width) if self._kernel_ids else NO_ROWS
            height = text_rows + len(output) + 1
            blocks.append(_Block(cell, top, height, folded, code_lines, output))
            top += height
            width = max(width, max(map(len, cell.code.split("\n"))), len(cell.label) + 40)
        self.blocks = blocks
        self._tops = [b.top for b in blocks]
        self._index = {b.cell.id: i for i, b in enumerate(blocks)}
        self.virtual_size = Size(width + GUTTER + 1, top)

    def _update_relations(self) -> None:
        cell = self.selected
        if cell is None or self.notebook is None:
            self._parents, self._children = set(), set()
            return
        index = self.notebook.index
        self._parents = set(index.parents(cell.id)) if cell.id in index.defs else set()
        self._children = set(index.children(cell.id)) if cell.id in index.defs else set()

    def watch_selected_id(self, _old: str | None, _new: str | None) -> None:
        self._changed()

    def status_of(self, cell: Cell) -> str:
        if self.notebook is not None and cell.id in self.notebook.pending:
            return "pending"
        if cell.error:
            return "needs-python" if is_requirement(cell.error) else "syntax-error"
        run = self.run_for(cell)
        if run is not None:
            status = run.status
            if status in ("queued", "running"):
                return status
            if cell.id in self._stale:
                return "stale"
            if status != "not-run":
                return status
        if cell.options.get("disabled"):
            return "disabled"
        return "parsed"

    # -- the kernel --------------------------------------------------------------------------
    def set_kernel(self, kernel: KernelState | None, cell_id: str | None = None) -> None:
        """The shown notebook's kernel changed (one cell's run, or its cells when `cell_id` is
        None). A burst of messages costs one layout, on the next turn of the message loop."""
        if kernel is self.kernel and cell_id is None and kernel is not None:
            # The kernel took new code from the file; with autorun its runs follow within
            # milliseconds. Waiting a moment puts both in one frame: painting the first one
            # alone would hold the outputs back by a frame.
            if self._document_timer is None and not self._relayout_pending:
                self._document_timer = self.set_timer(DOCUMENT_DELAY, self._schedule_apply)
            return
        if self._document_timer is not None:
            self._document_timer.stop()
            self._document_timer = None
        if kernel is not self.kernel:
            self.kernel = kernel
            self._running_since.clear()
        if cell_id is not None and kernel is not None:
            run = kernel.runs.get(cell_id)
            if run is not None and run.kernel_status == "running":
                self._running_since.setdefault(cell_id, time.monotonic())
            else:
                self._running_since.pop(cell_id, None)
        self._schedule_apply()

    def _schedule_apply(self) -> None:
        self._document_timer = None
        if not self._relayout_pending:
            self._relayout_pending = True
            self.call_later(self._apply_kernel)

    def _apply_kernel(self) -> None:
        self._relayout_pending = False
        if self.notebook is not None:
            self._relayout_anchored()
        running = bool(self._running_since)
        if running and self._spinner is None:
            self._spinner = self.set_interval(0.25, self._tick)
        elif not running and self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def _tick(self) -> None:
        self._repaint()

    def _match_kernel(self) -> None:
        kernel, notebook = self.kernel, self.notebook
        if kernel is None or notebook is None:
            self._kernel_ids, self._stale = {}, set()
            return
        cells = notebook.cells
        matched = kernel.match([cell.code for cell in cells])
        self._kernel_ids = {c.id: k for c, k in zip(cells, matched, strict=True) if k is not None}
        self._cell_names = {
            k: f"'{one_line(c.name)}' (#{i + 1})" if c.named else f"#{i + 1}"
            for i, (c, k) in enumerate(zip(cells, matched, strict=True))
            if k is not None
        }
        edited = {ours for ours, theirs in self._kernel_ids.items() if kernel.edited(theirs)}
        self._stale = notebook.index.stale(edited) if edited else set()

    @property
    def cell_names(self) -> Mapping[str, str]:
        """The kernel's cell ids → the names the view shows (`'load' (#3)`, `#4`)."""
        return self._cell_names

    def kernel_id(self, cell: Cell) -> str | None:
        return self._kernel_ids.get(cell.id)

    def run_for(self, cell: Cell) -> CellRun | None:
        kid = self._kernel_ids.get(cell.id)
        return self.kernel.runs.get(kid) if kid is not None and self.kernel is not None else None

    def _output_width(self) -> int:
        width = self.scrollable_content_region.width - GUTTER
        return width if width > 10 else 78

    def _output_styles(self) -> OutputStyles:
        if self._styles is None:
            from marimo_tui.tui.widgets.output_render import OutputStyles

            self._styles = OutputStyles.from_widget(self, "cell-view")
        return self._styles

    def _output_rows(self, cell: Cell, width: int) -> list[Strip]:
        """The cell's output and console, cut to a few screens (`v` shows everything)."""
        run = self.run_for(cell)
        if run is None or not run.has_output:
            return NO_ROWS
        if is_requirement(cell.error) and run.output.kind == "error":
            # The kernel (this Python) could not compile it: its SyntaxError and traceback say
            # less than the cell's requirement line.
            return NO_ROWS
        styles = self._output_styles()
        # Keyed by the output and console objects (a status change keeps them), so a cell
        # whose output did not change keeps the same rows and is not repainted.
        names = tuple(self._cell_names.items()) if run.output.kind == "error" else ()
        tabs = tuple(self._tabs.get(cell.id, {}).items())
        key: tuple[object, ...] = (id(run.output), id(run.console), run.traceback, cell.code)
        key += (width, id(styles), names, tabs)
        cached = self._outputs.get(key)
        if cached is not None and cached[0] is run.output and cached[1] is run.console:
            return cached[2]
        from marimo_tui.tui.graphics import chart_strips
        from marimo_tui.tui.widgets.output_render import render_console, render_output

        def ready() -> None:  # a picture was drawn: these rows change
            self._picture_ready(key)

        rows: list[Strip] = []
        output = run.shown_output
        if output.kind != "empty":
            rows = render_output(
                output,
                width,
                styles,
                code=cell.code,
                max_image_rows=CHART_ROWS,
                cell_names=self._cell_names,
                tabs=self._tabs.get(cell.id),
                on_ready=ready,  # charts alone or inside layouts (an hstack of figures)
            )
            if len(rows) > OUTPUT_ROWS:
                more = len(rows) - OUTPUT_ROWS + 1
                rows = [*rows[: OUTPUT_ROWS - 1], self._note(f"… {more} more rows · v shows all")]
        console: list[Strip] = []
        for channel, text, chart in _merge_channels(run):
            if chart is not None:
                rows += chart_strips(chart, width, CHART_ROWS, styles.dim, ready)
            else:
                console += render_console(text, channel, width, styles)
        if len(console) > CONSOLE_ROWS:
            earlier = len(console) - CONSOLE_ROWS + 1
            console = [
                self._note(f"… {earlier} earlier console lines · v shows all"),
                *console[-(CONSOLE_ROWS - 1) :],
            ]
        rows += console
        self._outputs[key] = (run.output, run.console, rows)
        return rows

    def _picture_ready(self, key: tuple[object, ...]) -> None:
        if self._outputs.get(key) is not None:
            self._outputs.discard(key)
            if not self._relayout_pending:
                self._relayout_pending = True
                self.call_later(self._apply_kernel)

    def tab_choice(self, cell: Cell) -> Mapping[int, int]:
        """The pane shown per tabs block of `cell`'s output (numbered in reading order)."""
        return dict(self._tabs.get(cell.id, {}))

    def select_tab(self, cell: Cell, tabs_number: int, pane: int) -> None:
        self._tabs.setdefault(cell.id, {})[tabs_number] = pane
        self._relayout_keeping(cell.id)

    def action_next_tab(self) -> None:
        """`]`: the next pane of the first tabs in the selected cell's output."""
        from marimo_tui.runtime.output_layouts import Tabs

        cell = self.selected
        run = self.run_for(cell) if cell is not None else None
        if cell is None or run is None:
            return
        first = next((b for b in run.shown_output.blocks if isinstance(b, Tabs)), None)
        if first is None or not first.panes:
            return
        current = self._tabs.get(cell.id, {}).get(0, 0)
        self.select_tab(cell, 0, (current + 1) % len(first.panes))

    def _note(self, text: str) -> Strip:
        return Strip([Segment(text, self._output_styles().dim)])

    # -- rendering ---------------------------------------------------------------------------
    def _block_lines(self, block: _Block, index: int) -> list[Content]:
        cell = block.cell
        status = self.status_of(cell)
        timing = self._timing(cell, status)
        broken = self.broken[1] if self.broken and self.broken[0] == index else None
        key = (
            timing,
            cell.id,
            cell.code,
            cell.name,
            cell.kind,
            cell.error,
            cell.defs,
            cell.refs,
            status,
            block.folded,
            broken,
            self.highlighting,
            index,
        )
        cached = self._lines.get(key)
        if cached is not None:
            return cached
        symbol, label, style_class = STATUS_BADGES[status]
        if status == "running":
            symbol = SPINNER[int(time.monotonic() * 4) % len(SPINNER)]
        if timing:
            label = f"{label} · {timing}"
        lines: list[Content] = []
        kind = "" if cell.kind == CellKind.CELL else f" {cell.kind}"
        lines.append(
            Content.assemble(
                (f"{symbol} ", f".cell-view--{style_class}"),
                (one_line(cell.name) if cell.named else "_", ".cell-view--header"),
                (f"{kind}  #{index + 1} {cell.id}  ", ".cell-view--dim"),
                (label, f".cell-view--{style_class}"),
            )
        )
        if self.notebook is not None and cell.id in self.notebook.pending:
            info = "analysing…"
        else:
            defines = ", ".join(sorted(cell.defs)) or "nothing"
            reads = ", ".join(sorted(cell.refs - BUILTINS)) or "nothing"
            info = f"defines {defines} · reads {reads}"
        lines.append(Content.styled(one_line(info), ".cell-view--dim"))
        if block.folded:
            n = block.code_lines
            lines.append(Content.styled(f"▸ {n} line{'s' if n != 1 else ''} folded", "italic"))
        else:
            lines.extend(self._code_lines(cell.code, block.code_lines))
        if cell.error and is_requirement(cell.error):
            lines.append(
                Content.styled(f"⚠ {one_line(cell.error)}; kept as written", ".cell-view--warning")
            )
        elif cell.error:
            lines.append(Content.styled(f"✗ {one_line(cell.error)}", ".cell-view--error"))
        if broken:
            lines.append(Content.styled(f"✗ {one_line(broken)}", ".cell-view--error"))
        self._lines[key] = lines
        return lines

    def _timing(self, cell: Cell, status: str) -> str:
        """How long the cell ran (or has been running); part of its header."""
        if status == "running":
            kid = self._kernel_ids.get(cell.id)
            since = self._running_since.get(kid) if kid is not None else None
            return format_duration(time.monotonic() - since) if since is not None else ""
        run = self.run_for(cell)
        if run is not None and run.run_time is not None and status in ("idle", "error", "stale"):
            return format_duration(run.run_time)
        return ""

    def _code_lines(self, code: str, count: int) -> list[Content]:
        """Exactly `count` lines (one per newline-separated line of `code`)."""
        key = (code, self.highlighting)
        cached = self._code.get(key)
        if cached is None:
            # A string literal may hold a raw ESC or BEL: shown, never sent (newlines stay,
            # so the count holds).
            code = visible(code)
            if self.highlighting and code:
                from textual.highlight import highlight

                # highlight() splits on every line separator Python knows; keep our count.
                parts = highlight(code, language="python").split("\n", allow_blank=True)
                if len(parts) != count:
                    parts = [Content(line) for line in code.split("\n")]
            else:
                parts = [Content(line) for line in code.split("\n")]
            cached = self._code[key] = parts
        return cached

    def _strip(self, content: Content) -> Strip:
        segments = [
            Segment(text, style.rich_style if style else None)
            for text, style in content.render(end="", parse_style=self._get_style)
        ]
        return Strip(segments)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        row = scroll_y + y
        i = bisect_right(self._tops, row) - 1
        if i < 0 or i >= len(self.blocks) or row >= self.blocks[i].top + self.blocks[i].height:
            return Strip.blank(width, base)
        block = self.blocks[i]
        offset = row - block.top
        relation = self._relation(block.cell.id)
        lines = self._block_lines(block, i)
        key = (id(lines), id(block.output), offset, relation, scroll_x, width)
        cached = self._strips.get(key)
        # The ids are only unique while the lists live: the entry holds them, and `is` checks.
        if cached is not None and cached[0] is lines and cached[1] is block.output:
            return cached[2]
        if offset < len(lines):
            body = self._strip(lines[offset])
        elif offset - len(lines) < len(block.output):
            body = block.output[offset - len(lines)]
        else:
            body = Strip([])
        body = body.crop(scroll_x, scroll_x + width - GUTTER)
        gutter = self._gutter(relation, offset)
        strip = Strip.join([gutter, body]).extend_cell_length(width)
        if relation == "selected":
            strip = strip.apply_style(
                self.get_component_rich_style("cell-view--selected", partial=True)
            )
        strip = strip.apply_style(base).crop(0, width)
        self._strips[key] = (lines, block.output, strip)
        return strip

    def _relation(self, cell_id: str) -> str:
        if cell_id == self.selected_id:
            return "selected"
        if cell_id in self._parents:
            return "parent"
        return "child" if cell_id in self._children else ""

    def _gutter(self, relation: str, offset: int) -> Strip:
        if not relation:
            return Strip([Segment(" " * GUTTER)], GUTTER)
        symbol = {"selected": "▌", "parent": "↑", "child": "↓"}[relation]
        if relation != "selected" and offset != 0:
            symbol = "│"
        style: Style = self.get_component_rich_style(f"cell-view--{relation}", partial=True)
        return Strip([Segment(symbol.ljust(GUTTER), style)], GUTTER)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()
        self._code.clear()
        self._strips.clear()
        self._outputs.clear()
        self._painted_view = None
        if self._styles is not None:  # outputs are drawn with the theme's colours
            self._styles = None
            if self.notebook is not None and self._kernel_ids:
                self._relayout_anchored()

    def on_resize(self, event: events.Resize) -> None:
        # Outputs wrap to the view's width, so their heights change with it.
        if self._kernel_ids and self.notebook is not None:
            self._relayout_anchored()

    # -- navigation --------------------------------------------------------------------------
    def select(self, index: int) -> None:
        if not self.blocks:
            return
        index = max(0, min(index, len(self.blocks) - 1))
        self.selected_id = self.blocks[index].cell.id
        self.scroll_to_cell(index)

    def select_id(self, cell_id: str) -> None:
        if cell_id in self._index:
            self.select(self._index[cell_id])

    def scroll_to_cell(self, index: int) -> None:
        block = self.blocks[index]
        height = min(block.height, self.scrollable_content_region.height or block.height)
        self.scroll_to_region(
            Region(0, block.top, 1, height), animate=False, immediate=True, force=True
        )

    def action_cursor(self, step: int) -> None:
        current = self.selected_index
        self.select(0 if current is None else current + step)

    def action_first(self) -> None:
        self.select(0)

    def action_last(self) -> None:
        self.select(len(self.blocks) - 1)

    def action_page(self, direction: int) -> None:
        """Scroll by a screen; the selection moves to the first cell that starts in view
        (or, when one cell fills the screen, the cell showing at its top)."""
        if not self.blocks:
            return
        height = max(1, self.scrollable_content_region.height)
        before = round(self.scroll_offset.y)
        target = max(0, min(before + direction * height, round(self.max_scroll_y)))
        if target == before:  # at the top or the bottom already: go to the end cell
            self.select(0 if direction < 0 else len(self.blocks) - 1)
            return
        self.scroll_to(y=target, animate=False, immediate=True, force=True)
        index = max(0, bisect_right(self._tops, target) - 1)
        starts_in_view = index + 1 < len(self.blocks) and self._tops[index + 1] < target + height
        if self._tops[index] < target and starts_in_view:
            index += 1
        self.selected_id = self.blocks[index].cell.id

    def action_toggle_fold(self) -> None:
        cell = self.selected
        if cell is None:
            return
        self._folded ^= {cell.id}
        self._relayout_keeping(cell.id)

    def action_fold_all(self) -> None:
        ids = {b.cell.id for b in self.blocks}
        self._folded = set() if ids <= self._folded else ids
        if self.selected_id is not None:
            self._relayout_keeping(self.selected_id)

    def _relayout_keeping(self, cell_id: str) -> None:
        self._layout()
        self.scroll_to_cell(self._index[cell_id])
        self._repaint()

    def action_request(self, action: str) -> None:
        self.post_message(self.Requested(action, self.selected))

    def on_click(self, event: events.Click) -> None:
        row = self.scroll_offset.y + event.y
        i = bisect_right(self._tops, row) - 1
        if 0 <= i < len(self.blocks):
            self.selected_id = self.blocks[i].cell.id
            if event.chain == 2:
                self.action_toggle_fold()

    def cells(self) -> Iterable[Cell]:
        return (b.cell for b in self.blocks)

    def screen_text(self) -> str:
        """The visible rows as plain text (for tests and debugging)."""
        height = self.scrollable_content_region.height
        return "\n".join(self.render_line(y).text for y in range(height))
