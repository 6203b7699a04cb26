"""The cell view: every cell of the open notebook, virtualised with Textual's line API.

Nothing is mounted per cell or per line. Each cell is a block of lines whose height is known
without rendering (`cell_layout`); `render_line` finds the block under a screen row by
bisection and renders only that block, cached by the cell's content. A 1000-cell notebook
therefore costs what its visible rows cost. Selection, scrolling and folding are
`cell_scroller`'s; painting the rows `cell_painter`'s; the rows' text `cell_lines`', the
kernel's outputs `cell_outputs`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer

from marimo_tui.events import NotebookBroken
from marimo_tui.notebook.model import Cell, Notebook
from marimo_tui.safe_text import one_line
from marimo_tui.tui import workbench_messages as wm
from marimo_tui.tui.actions import CELL_BINDINGS, CellAction
from marimo_tui.tui.widgets.cell_layout import Block
from marimo_tui.tui.widgets.cell_lines import CellLines
from marimo_tui.tui.widgets.cell_outputs import NO_ROWS, CellOutputs
from marimo_tui.tui.widgets.cell_painter import GUTTER, CellPainter
from marimo_tui.tui.workbench_messages import shows_errors

if TYPE_CHECKING:
    from marimo_tui.runtime.kernel_state import CellRun, KernelState
    from marimo_tui.tui.widgets.output_render import OutputStyles

DOCUMENT_DELAY = 0.05  # seconds a kernel's new code waits for the runs it starts
ANALYSING_DELAY = 1.0  # s a reload may stay unanalysed before the title says so


def broken_message(event: NotebookBroken) -> str:
    """What the view and the notice say of a file that no longer parses."""
    where = f"line {event.line}: " if event.line else ""
    message = f"{where}{event.error}"
    return message if event.cell_index is not None else f"the file: {message}"


def cells_title(notebook: Notebook) -> Content:
    """A border title is markup when given a str: a file name is text."""
    return Content(one_line(f"cells · {notebook.path.name}"))


class CellView(CellPainter, can_focus=True):
    """Shows a `Notebook`; keeps the selection and the viewport on the same cell across
    reloads (cells have stable ids)."""

    ALLOW_MAXIMIZE = True
    BINDINGS: ClassVar[list[BindingType]] = list(CELL_BINDINGS)
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
        """The user asked for something done with the selected cell (`edit`, `run`, …)."""

        def __init__(self, action: CellAction, cell: Cell | None) -> None:
            super().__init__()
            self.action = action
            self.cell = cell

    def __init__(
        self, notebook: Notebook | None = None, *, id: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.notebook: Notebook | None = None
        self.broken: tuple[int | None, str] | None = None
        self._memory: dict[Path, tuple[str | None, int, set[str]]] = {}
        self.text = CellLines()
        self.outputs = CellOutputs(self._picture_ready)
        self._relayout_pending = False
        # what the last full layout was made for; the kernel's cells whose runs changed since
        self._laid_out: tuple[object, ...] | None = None
        self._changed_runs: set[str] | None = set()  # None: lay every cell out
        self._styles: OutputStyles | None = None
        self._spinner: Timer | None = None
        self._document_timer: Timer | None = None
        self._analysing_timer: Timer | None = None
        if notebook is not None:
            self.show(notebook)

    # -- model -------------------------------------------------------------------------------
    def show(self, notebook: Notebook) -> None:
        """Show a (new version of a) notebook; the selected cell keeps its place on screen.
        Switching to another notebook restores where the view was when it was last shown."""
        if self.notebook is not None and notebook.path != self.notebook.path:
            self._switch(notebook)
            return
        self.notebook = notebook
        self._relayout_anchored()
        if self._wanted is not None and self._wanted in self._cell_index:
            self.select_id(self._wanted)

    def _relayout_anchored(self, runs: set[str] | None = None) -> None:
        """Lay out again (only the cells of the kernel's `runs` when those are all that
        changed); the selected cell stays where it was on screen."""
        old_index = self.selected_index
        keep = self.selected_id
        anchor = None
        if old_index is not None and self.blocks:
            anchor = self.blocks[old_index].top - self.scroll_offset.y
        self._layout(runs)
        keep = self._valid_selection(keep, old_index)
        self.set_reactive(CellView.selected_id, keep)
        if anchor is not None and keep is not None:
            top = self.blocks[self._cell_index[keep]].top
            # force: Textual allows a scroll only once a layout has shown the scrollbar, and
            # the view may have just grown past its height (outputs arriving): unforced, the
            # scroll was dropped and the selected cell slid out of view.
            self.scroll_to(y=max(0, top - anchor), animate=False, immediate=True, force=True)
        self._changed()

    def _switch(self, notebook: Notebook) -> None:
        assert self.notebook is not None
        self._memory[self.notebook.path] = (
            self.selected_id,
            self.scroll_offset.y,
            set(self.cell_layout.folded),
        )
        selected, scroll_y, folded = self._memory.get(notebook.path, (None, 0, set()))
        self.notebook = notebook
        self.cell_layout.folded = folded
        self.broken = None
        self._layout()
        self.set_reactive(CellView.selected_id, self._valid_selection(selected, 0))
        self.scroll_to(y=scroll_y, animate=False, immediate=True, force=True)
        self._changed()

    def _valid_selection(self, wanted: str | None, old_index: int | None) -> str | None:
        if wanted in self._cell_index:
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

    @property
    def highlighting(self) -> bool:
        return self.text.highlighting

    def enable_highlighting(self) -> None:
        self.text.highlighting = True
        self.text.clear()
        self._repaint()

    def _layout(self, runs: set[str] | None = None) -> None:
        """Lay the cells out. `runs`: the kernel's cells whose runs changed, when nothing else
        did since the last layout; then only those cells' rows are made again (a rerun of 200
        cells sends ~600 messages: laying all out for each burst cost a fifth of the UI
        thread)."""
        paired = self.outputs.match(self.notebook)
        broken_at = self.broken[0] if self.broken else None
        width = self._output_width()
        rows = partial(self._output_rows, width=width)
        basis = (self.notebook, self._styles, broken_at, width)
        last = self._laid_out
        same = (
            last is not None
            and last[0] is basis[0]
            and last[1] is basis[1]
            and last[2:] == basis[2:]
        )
        if runs is not None and paired and same:
            cell_of = self.outputs.cell_of
            self.cell_layout.update((cell_of[k] for k in runs if k in cell_of), rows)
        else:
            cells = self.notebook.cells if self.notebook else []
            self.cell_layout.build(cells, broken_at, rows)
            self._laid_out = (self.notebook, self._styles, broken_at, width)  # styles: made now
        self.virtual_size = Size(self.cell_layout.width + GUTTER + 1, self.cell_layout.height)

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
        return self.outputs.status_of(cell, self.notebook)

    # -- workbench events --------------------------------------------------------------------
    @shows_errors
    def on_workbench_notebook_loaded(self, message: wm.NotebookLoaded) -> None:
        if not message.current:
            return
        notebook = message.event.notebook
        self.show(notebook)
        if self.broken is not None:
            self.set_broken(None, None)
        self._update_title(notebook)

    @shows_errors
    def on_workbench_notebook_broken(self, message: wm.NotebookBroken) -> None:
        if message.current:
            event = message.event
            self.set_broken(event.cell_index or 0, broken_message(event))
            self.border_subtitle = "does not parse: showing the last good version"

    @shows_errors
    def on_workbench_notebook_removed(self, message: wm.NotebookRemoved) -> None:
        if message.current and message.event.renamed_to is None:
            if self._analysing_timer is not None:  # its analysis will not come
                self._analysing_timer.stop()
                self._analysing_timer = None
            self.border_subtitle = "deleted on disk"

    @shows_errors
    def on_workbench_kernel_changed(self, message: wm.KernelChanged) -> None:
        message.taken = True
        if message.current:
            for cell_id in message.cell_ids:
                self.set_kernel(message.event.kernel, cell_id)

    def _update_title(self, notebook: Notebook) -> None:
        # Setting a border title repaints the whole view, even to the same text. The cells
        # waiting for marimo's analysis say so in their own rows at once; the title waits for
        # an analysis that is slow to come: on a busy machine one takes 0.3-0.5 s (200 cells,
        # while marimo reruns them), and flashing it would cost two full redraws per change on
        # disk, in the middle of the next change's frame.
        title = cells_title(notebook)
        if self.border_title != title.markup:
            self.border_title = title
        if self._analysing_timer is not None:
            self._analysing_timer.stop()
            self._analysing_timer = None
        if notebook.pending:
            self._analysing_timer = self.set_timer(ANALYSING_DELAY, self._show_analysing)
        elif self.border_subtitle:
            self.border_subtitle = ""

    def _show_analysing(self) -> None:
        self._analysing_timer = None
        if self.notebook is not None and self.notebook.pending:
            self.border_subtitle = "analysing…"

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
        if cell_id is None or kernel is not self.kernel:
            self._changed_runs = None
        elif self._changed_runs is not None:
            self._changed_runs.add(cell_id)
        self.outputs.follow(kernel, cell_id)
        self._schedule_apply()

    def _schedule_apply(self) -> None:
        self._document_timer = None
        if not self._relayout_pending:
            self._relayout_pending = True
            self.call_later(self._apply_kernel)

    def _apply_kernel(self) -> None:
        self._relayout_pending = False
        runs, self._changed_runs = self._changed_runs, set()
        if self.notebook is not None:
            self._relayout_anchored(runs)
        running = bool(self.outputs.running_since)
        if running and self._spinner is None:
            self._spinner = self.set_interval(0.25, self._tick)
        elif not running and self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def _tick(self) -> None:
        self._repaint()

    @property
    def kernel(self) -> KernelState | None:
        return self.outputs.kernel

    @property
    def cell_names(self) -> Mapping[str, str]:
        """The kernel's cell ids → the names the view shows (`'load' (#3)`, `#4`)."""
        return self.outputs.cell_names

    def kernel_id(self, cell: Cell) -> str | None:
        return self.outputs.kernel_ids.get(cell.id)

    def run_for(self, cell: Cell) -> CellRun | None:
        return self.outputs.run_for(cell)

    def _output_width(self) -> int:
        width = self.scrollable_content_region.width - GUTTER
        return width if width > 10 else 78

    def _output_styles(self) -> OutputStyles:
        if self._styles is None:
            from marimo_tui.tui.widgets.output_render import OutputStyles

            self._styles = OutputStyles.from_widget(self, "cell-view")
        return self._styles

    def _output_rows(self, cell: Cell, width: int) -> list[Strip]:
        if not self.outputs.kernel_ids:
            return NO_ROWS
        return self.outputs.rows(cell, width, self._output_styles())

    def _picture_ready(self) -> None:
        self._changed_runs = None  # (rare: once a chart) the cell is not known here
        if not self._relayout_pending:
            self._relayout_pending = True
            self.call_later(self._apply_kernel)

    def tab_choice(self, cell: Cell) -> Mapping[int, int]:
        """The pane shown per tabs block of `cell`'s output (numbered in reading order)."""
        return self.outputs.tab_choice(cell)

    def select_tab(self, cell: Cell, tabs_number: int, pane: int) -> None:
        self.outputs.tabs.setdefault(cell.id, {})[tabs_number] = pane
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
        current = self.outputs.tabs.get(cell.id, {}).get(0, 0)
        self.select_tab(cell, 0, (current + 1) % len(first.panes))

    def _block_lines(self, block: Block, index: int) -> list[Content]:
        cell = block.cell
        status = self.status_of(cell)
        return self.text.lines(
            cell,
            index,
            status=status,
            seconds=self.outputs.run_seconds(cell, status),
            folded=block.folded,
            code_lines=block.code_lines,
            broken=self.broken[1] if self.broken and self.broken[0] == index else None,
            pending=self.notebook is not None and cell.id in self.notebook.pending,
        )

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.text.clear()
        self.outputs.clear()
        if self._styles is not None:  # outputs are drawn with the theme's colours
            self._styles = None
            if self.notebook is not None and self.outputs.kernel_ids:
                self._relayout_anchored()

    def on_resize(self, event: events.Resize) -> None:
        # Outputs wrap to the view's width, so their heights change with it.
        if self.outputs.kernel_ids and self.notebook is not None:
            self._relayout_anchored()

    def action_request(self, action: CellAction) -> None:
        self.post_message(self.Requested(action, self.selected))
