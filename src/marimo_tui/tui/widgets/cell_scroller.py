"""Selection and scrolling over the cell view's laid-out cells: the keys and clicks that move
between cells, page, and fold, apart from what the cells show (`cell_view`)."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.geometry import Region
from textual.reactive import reactive
from textual.scroll_view import ScrollView

from marimo_tui.notebook.model import Cell
from marimo_tui.tui.widgets.cell_layout import Block, CellLayout
from marimo_tui.tui.widgets.steady_scrollbar import SteadyScrollbars


class CellScroller(SteadyScrollbars, ScrollView):
    """A scroll view over a `CellLayout` with one selected cell (kept by id, so it survives a
    reload); subclasses lay the cells out (`_layout`) and paint what changed (`_repaint`)."""

    selected_id: reactive[str | None] = reactive(None, always_update=False, layout=False)

    def __init__(self, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self.cell_layout = CellLayout()
        self._wanted: str | None = None  # a cell to select once it is shown

    def _layout(self) -> None:
        raise NotImplementedError

    def _repaint(self) -> None:
        raise NotImplementedError

    @property
    def blocks(self) -> list[Block]:
        return self.cell_layout.blocks

    @property
    def _cell_index(self) -> dict[str, int]:
        return self.cell_layout.index

    @property
    def selected(self) -> Cell | None:
        if self.selected_id is None or self.selected_id not in self._cell_index:
            return None
        return self.blocks[self._cell_index[self.selected_id]].cell

    @property
    def selected_index(self) -> int | None:
        return self._cell_index.get(self.selected_id) if self.selected_id is not None else None

    def select(self, index: int) -> None:
        if not self.blocks:
            return
        index = max(0, min(index, len(self.blocks) - 1))
        self.selected_id = self.blocks[index].cell.id
        self.scroll_to_cell(index)

    def select_id(self, cell_id: str) -> None:
        """Select a cell; one the view has not been shown yet (a write's event is on its way
        in the message queue) is selected when it arrives."""
        if cell_id in self._cell_index:
            self._wanted = None
            self.select(self._cell_index[cell_id])
        else:
            self._wanted = cell_id

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
        self.selected_id = self.blocks[self.cell_layout.first_in_view(target, height)].cell.id

    def action_toggle_fold(self) -> None:
        cell = self.selected
        if cell is None:
            return
        self.cell_layout.toggle_fold(cell.id)
        self._relayout_keeping(cell.id)

    def action_fold_all(self) -> None:
        self.cell_layout.fold_all()
        if self.selected_id is not None:
            self._relayout_keeping(self.selected_id)

    def _relayout_keeping(self, cell_id: str) -> None:
        self._layout()
        self.scroll_to_cell(self._cell_index[cell_id])
        self._repaint()

    def on_click(self, event: events.Click) -> None:
        i = self.cell_layout.at(self.scroll_offset.y + event.y)
        if i is not None:
            self.selected_id = self.blocks[i].cell.id
            if event.chain == 2:
                self.action_toggle_fold()

    def cells(self) -> Iterable[Cell]:
        return (b.cell for b in self.blocks)
