"""Where each cell of the cell view sits: a block of rows per cell, found by bisection.

A block's height is known without rendering (header, defs/refs, code or a fold marker, errors,
the output's rows, a gap), so laying out a 1000-cell notebook costs a pass over its cells, and
finding the cell under a screen row costs a bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from textual.content import Content
from textual.strip import Strip

from marimo_tui.notebook.model import Cell


@dataclass(slots=True)
class Block:
    cell: Cell
    top: int
    height: int
    folded: bool
    code_lines: int
    output: list[Strip]  # rows after the header, info, code and errors; then a gap


@dataclass(slots=True)
class Painted:
    """What a cell's rows showed when last painted; lists are compared by identity (the
    caches hand out the same list for the same content)."""

    top: int
    height: int
    relation: str
    lines: list[Content]
    output: list[Strip]

    def same(self, other: Painted) -> bool:
        return (
            self.top == other.top
            and self.height == other.height
            and self.relation == other.relation
            and self.lines is other.lines
            and self.output is other.output
        )


MEASURED_KEPT = 4096  # cells' codes whose size is remembered


class CellLayout:
    """The blocks of the shown cells, top to bottom, and which cells are folded."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.tops: list[int] = []
        self.index: dict[str, int] = {}  # cell id -> its block's position
        self.folded: set[str] = set()
        self.width = 0  # of the widest row of code or header
        self.height = 0
        # A kernel message lays every cell out again: a cell's code rarely changed since the
        # last time, so its line count and width are looked up, not counted again.
        self._measured: dict[str, tuple[int, int]] = {}

    def build(
        self, cells: Iterable[Cell], broken_at: int | None, rows: Callable[[Cell], list[Strip]]
    ) -> None:
        """Lay the cells out; `rows` gives a cell's output rows, `broken_at` the cell that
        carries the line saying the file does not parse."""
        blocks: list[Block] = []
        top = width = 0
        measured = self._measured
        if len(measured) > MEASURED_KEPT:
            measured.clear()
        for i, cell in enumerate(cells):
            size = measured.get(cell.code)
            if size is None:
                lines = cell.code.split("\n")
                size = measured[cell.code] = (len(lines), max(map(len, lines)))
            code_lines, code_width = size
            folded = cell.id in self.folded
            text_rows = 2 + (1 if folded else code_lines) + bool(cell.error) + (broken_at == i)
            output = rows(cell)
            height = text_rows + len(output) + 1
            blocks.append(Block(cell, top, height, folded, code_lines, output))
            top += height
            width = max(width, code_width, len(cell.label) + 40)
        self.blocks = blocks
        self.tops = [b.top for b in blocks]
        self.index = {b.cell.id: i for i, b in enumerate(blocks)}
        self.width, self.height = width, top

    def update(self, cell_ids: Iterable[str], rows: Callable[[Cell], list[Strip]]) -> None:
        """New output rows for some cells only (a rerun's messages): the blocks after a block
        that grew or shrank move by as much; nothing else is laid out again."""
        blocks, tops = self.blocks, self.tops
        shifts: list[tuple[int, int]] = []
        for i in sorted({self.index[c] for c in cell_ids if c in self.index}):
            block = blocks[i]
            output = rows(block.cell)
            if output is block.output:
                continue
            delta = len(output) - len(block.output)
            blocks[i] = Block(block.cell, block.top, block.height + delta, block.folded,
                              block.code_lines, output)  # fmt: skip
            if delta:
                shifts.append((i, delta))
        moved = 0
        for k, (i, delta) in enumerate(shifts):
            moved += delta
            end = shifts[k + 1][0] + 1 if k + 1 < len(shifts) else len(blocks)
            for j in range(i + 1, end):
                block = blocks[j]
                block.top += moved
                tops[j] = block.top
        self.height += moved

    def at(self, row: int) -> int | None:
        """The position of the block that holds `row`, if any does."""
        i = bisect_right(self.tops, row) - 1
        if i < 0 or i >= len(self.blocks) or row >= self.blocks[i].top + self.blocks[i].height:
            return None
        return i

    def visible(self, top: int, height: int) -> range:
        """The positions of the blocks with a row in `top … top + height`."""
        first = max(0, bisect_right(self.tops, top) - 1)
        last = bisect_right(self.tops, top + height)
        return range(first, min(last, len(self.blocks)))

    def first_in_view(self, top: int, height: int) -> int:
        """The cell a page move selects: the first that starts in view, or, when one cell
        fills the screen, the one showing at its top."""
        index = max(0, bisect_right(self.tops, top) - 1)
        starts_in_view = index + 1 < len(self.blocks) and self.tops[index + 1] < top + height
        if self.tops[index] < top and starts_in_view:
            index += 1
        return index

    def toggle_fold(self, cell_id: str) -> None:
        self.folded ^= {cell_id}

    def fold_all(self) -> None:
        """Fold every cell, or unfold them all when all are folded."""
        ids = {b.cell.id for b in self.blocks}
        self.folded = set() if ids <= self.folded else ids
