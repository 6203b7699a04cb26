"""Tables in outputs as Strips: each column at its natural width up to a cap.

Columns are never squeezed to a few characters: the cell view shows the columns that fit
and says how many more there are (`+N`); the `v` viewer draws the whole width and scrolls
left/right (`overflow-x`), so every column can be read there.
"""

from __future__ import annotations

from rich import box
from rich.table import Table as RichTable
from rich.text import Text
from textual.strip import Strip

from marimo_tui.runtime.outputs import Table
from marimo_tui.safe_text import one_line
from marimo_tui.tui.widgets.output_strips import (
    OutputStyles,
    output_console,
    rich_lines,
    text_strips,
)

MAX_TABLE_ROWS = 20
MAX_COLUMN_WIDTH = 32  # a column wider than this is cut with an ellipsis


# -- tables -----------------------------------------------------------------------------------
def table_strips(
    table: Table,
    width: int,
    styles: OutputStyles,
    max_rows: int | None = MAX_TABLE_ROWS,
    *,
    wide: bool = False,
) -> list[Strip]:
    """The table; `wide`: every column, the strips as wide as they need to be."""
    if not table.columns:
        if table.source_url:
            note = f"[table data on the server: {table.source_url}]"
        else:
            note = "[table: rows are loaded on demand]"
        return text_strips(note, width, styles.dim)
    shown = table.rows if max_rows is None else table.rows[:max_rows]
    names = [one_line(name) for name in table.columns]
    body = [[one_line(cell.replace("\n", " ")) for cell in row] for row in shown]
    natural = [
        min(MAX_COLUMN_WIDTH, max([len(name), *(len(r[i]) for r in body if i < len(r))]))
        for i, name in enumerate(names)
    ]
    count = len(names) if wide else _fitting(natural, width)
    hidden = len(names) - count
    grid = RichTable(
        box=box.SQUARE,
        header_style=styles.table_header,
        border_style=styles.dim,
        style=styles.text,
    )
    for name, size in zip(names[:count], natural, strict=False):
        grid.add_column(Text(name), overflow="ellipsis", no_wrap=True, width=size)
    if hidden:
        more = f"+{hidden}"
        grid.add_column(more, overflow="ellipsis", no_wrap=True, style=styles.dim, width=len(more))
    for row in body:
        grid.add_row(*(Text(c) for c in row[:count]), *([Text("…")] if hidden else []))
    total_width = sum(natural[:count]) + 3 * count + 1 + (len(f"+{hidden}") + 3 if hidden else 0)
    strips = rich_lines(
        grid, total_width if wide else min(width, total_width), output_console(styles)
    )
    total = table.total_rows if table.total_rows is not None else len(table.rows)
    if total > len(shown):
        strips += text_strips(f"… {total - len(shown)} more rows", width, styles.dim)
    return strips


def _fitting(natural: list[int], width: int) -> int:
    """How many leading columns fit at their natural widths, keeping room for `+N`."""
    used = 1  # the left border
    for count, size in enumerate(natural):
        rest = len(natural) - count - 1
        room = len(f"+{rest}") + 3 if rest else 0
        if used + size + 3 + room > width:
            return max(1, count)
        used += size + 3
    return len(natural)
