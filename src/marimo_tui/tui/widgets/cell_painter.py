"""How the cell view paints its rows: each row's strip made from its cell's lines or output
rows and cached by the very lists it is drawn from, and after a change only the rows whose
cell changed refreshed. What the lines say is the view's (`cell_view`)."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Offset, Region
from textual.strip import Strip

from marimo_tui.tui.widgets.cell_layout import Block, Painted
from marimo_tui.tui.widgets.cell_scroller import CellScroller

GUTTER = 2


class _RenderPass:
    """What every row of one `render_lines` call shares."""

    __slots__ = ("base", "blocks", "offset", "width")

    def __init__(self, offset: Offset, width: int, base: Style) -> None:
        self.offset = offset
        self.width = width
        self.base = base
        self.blocks: dict[int, tuple[str, list[Content]]] = {}  # block index -> relation, lines


class CellPainter(CellScroller):
    """Rows of laid-out cells, painted; subclasses say what a cell's lines are
    (`_block_lines`) and which cells are the selected one's parents and children."""

    def __init__(self, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(id=id, classes=classes)
        self._parents: set[str] = set()
        self._children: set[str] = set()
        # A row's strip is keyed by the very lists it is drawn from: any change of a cell's
        # text, status or output makes new lists, so nothing needs clearing on a change.
        self._strips: LRUCache[tuple[object, ...], tuple[object, object, Strip]] = LRUCache(4096)
        self._painted: dict[str, Painted] = {}  # cell id -> what its rows last showed
        self._painted_view: tuple[object, ...] | None = None
        self._painted_total = 0
        self._pass: _RenderPass | None = None  # set while Textual renders a batch of rows

    def _block_lines(self, block: Block, index: int) -> list[Content]:
        raise NotImplementedError

    def _repaint(self) -> None:
        """Refresh only the rows whose cell changed since they were last painted (a kernel
        message touches one or two cells: redrawing the whole view would cost a frame's worth
        of work and bytes to the terminal). A scroll or resize repaints everything."""
        region = self.scrollable_content_region
        scroll_y = self.scroll_offset.y
        view = (self.scroll_offset, region.size, self.virtual_size.width)
        total = self.virtual_size.height
        painted: dict[str, Painted] = {}
        dirty: list[tuple[int, int]] = []
        for i in self.cell_layout.visible(scroll_y, region.height):
            block = self.blocks[i]
            now = Painted(
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

    def _strip(self, content: Content) -> Strip:
        segments = [
            Segment(text, style.rich_style if style else None)
            for text, style in content.render(end="", parse_style=self._get_style)
        ]
        return Strip(segments)

    def render_lines(self, crop: Region) -> list[Strip]:
        # Textual asks for a frame's rows in one call: the base style (a walk up the DOM),
        # the region and each block's lines are the same for all of them, so they are
        # found once here rather than once a row (a shifted view re-renders ~50 rows).
        self._pass = self._new_pass()
        try:
            return super().render_lines(crop)
        finally:
            self._pass = None

    def _new_pass(self) -> _RenderPass:
        return _RenderPass(
            self.scroll_offset, self.scrollable_content_region.width, self.rich_style
        )

    def render_line(self, y: int) -> Strip:
        rows = self._pass or self._new_pass()
        scroll_x, scroll_y = rows.offset
        width = rows.width
        base = rows.base
        row = scroll_y + y
        i = self.cell_layout.at(row)
        if i is None:
            return Strip.blank(width, base)
        block = self.blocks[i]
        offset = row - block.top
        found = rows.blocks.get(i)
        if found is None:
            found = rows.blocks[i] = (self._relation(block.cell.id), self._block_lines(block, i))
        relation, lines = found
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
        self._strips.clear()
        self._painted_view = None

    def screen_text(self) -> str:
        """The visible rows as plain text (for tests and debugging)."""
        height = self.scrollable_content_region.height
        return "\n".join(self.render_line(y).text for y in range(height))
