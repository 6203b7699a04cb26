"""Cell outputs (`runtime.outputs.Output`) as Strips for line-API views.

Rendering goes through a private rich Console writing to a string buffer (`output_strips`),
so nothing here touches the real terminal. Blocks (layouts, charts, UI elements) are drawn by
`output_layout_render`; charts become half blocks in `tui.graphics`, off the UI thread
(`on_ready` says when a picture is ready); an image is drawn in place (`graphics.image_strips`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual.strip import Strip

from marimo_tui.runtime.output_errors import name_cell_files, name_cells
from marimo_tui.runtime.outputs import CellError, Output
from marimo_tui.tui.graphics import image_strips
from marimo_tui.tui.widgets.output_layout_render import BlockContext, blocks_strips
from marimo_tui.tui.widgets.output_strips import (
    MAX_TEXT_LINES,
    OutputStyles,
    cap_text,
    markdown_strips,
    text_strips,
)
from marimo_tui.tui.widgets.output_table_render import MAX_TABLE_ROWS, table_strips

__all__ = [
    "MAX_TABLE_ROWS",
    "MAX_TEXT_LINES",
    "OutputStyles",
    "error_strips",
    "image_strips",
    "markdown_strips",
    "render_console",
    "render_output",
    "render_output_lines",
    "table_strips",
    "text_strips",
]


def render_output(
    output: Output,
    width: int,
    styles: OutputStyles,
    *,
    code: str = "",
    max_image_rows: int = 16,
    cell_names: Mapping[str, str] | None = None,
    tabs: Mapping[int, int] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> list[Strip]:
    """The output cut to what a cell shows: ~2000 text lines, 20 table rows."""
    return render_output_lines(
        output,
        width,
        styles,
        code=code,
        max_image_rows=max_image_rows,
        max_lines=MAX_TEXT_LINES,
        max_table_rows=MAX_TABLE_ROWS,
        cell_names=cell_names,
        tabs=tabs,
        on_ready=on_ready,
    )


def render_output_lines(
    output: Output,
    width: int,
    styles: OutputStyles,
    *,
    code: str = "",
    max_image_rows: int = 16,
    max_lines: int | None = MAX_TEXT_LINES,
    max_table_rows: int | None = MAX_TABLE_ROWS,
    cell_names: Mapping[str, str] | None = None,
    tabs: Mapping[int, int] | None = None,
    on_ready: Callable[[], None] | None = None,
    wide_tables: bool = False,
    expand_all: bool = False,
) -> list[Strip]:
    """Like `render_output`, with the caps chosen by the caller (None: everything).

    `cell_names` maps marimo's cell ids to the names the view shows (errors name cells);
    `tabs` the pane shown per tabs block (numbered in reading order, 0 when not given);
    `wide_tables`: tables keep every column at its natural width, wider than `width`
    (for a view that scrolls sideways), instead of showing the columns that fit;
    `expand_all`: accordions open."""
    width = max(1, width)
    context = BlockContext(
        styles,
        max_lines=max_lines,
        max_table_rows=max_table_rows,
        max_image_rows=max_image_rows,
        tabs=tabs or {},
        on_ready=on_ready,
        wide_tables=wide_tables,
        expand_all=expand_all,
    )
    try:
        strips = _render(output, width, context, code, cell_names or {})
    except Exception as error:  # a broken output must not break the view drawing it
        note = f"[output could not be shown: {type(error).__name__}: {error}]"
        strips = text_strips(note, width, styles.error, max_lines=4)
    if wide_tables:
        return strips
    return [strip.crop(0, width) if strip.cell_length > width else strip for strip in strips]


def render_console(text: str, channel: str, width: int, styles: OutputStyles) -> list[Strip]:
    style = styles.error if channel == "stderr" else styles.text
    return text_strips(text.rstrip("\n"), max(1, width), style, max_lines=MAX_TEXT_LINES)


def _render(
    output: Output,
    width: int,
    context: BlockContext,
    code: str,
    cell_names: Mapping[str, str],
) -> list[Strip]:
    kind = output.kind
    styles, max_lines = context.styles, context.max_lines
    if kind == "empty":
        return []
    if kind == "markdown":
        return markdown_strips(cap_text(output.text, max_lines), width, styles)
    if kind == "blocks":
        return blocks_strips(output.blocks, width, context)
    if kind == "table" and output.table is not None:
        strips = table_strips(
            output.table, width, styles, context.max_table_rows, wide=context.wide_tables
        )
        if output.text:
            strips += text_strips(output.text, width, styles.dim, max_lines=max_lines)
        return strips
    if kind == "image":
        if output.image is not None:
            return image_strips(output.image, width, context.max_image_rows)
        return text_strips(f"[image: {output.text or 'no data'}]", width, styles.dim)
    if kind == "error":
        return error_strips(output.errors, width, styles, code, max_lines, cell_names)
    return text_strips(output.text, width, styles.text, max_lines=max_lines)


# -- errors -----------------------------------------------------------------------------------
def error_strips(
    errors: tuple[CellError, ...],
    width: int,
    styles: OutputStyles,
    code: str = "",
    max_lines: int | None = MAX_TEXT_LINES,
    cell_names: Mapping[str, str] | None = None,
) -> list[Strip]:
    """Per error: `✗ kind: message`, the failing source line, then the traceback; the cells
    an error names by marimo's id named as the view names them (`cell_names`)."""
    strips: list[Strip] = []
    source = code.splitlines()
    for error in errors:
        message = name_cells(error.message, error.cells, cell_names or {})
        strips += text_strips(f"✗ {error.kind}: {message}", width, styles.error)
        if error.line is not None and 0 < error.line <= len(source):
            failing = f"  → {error.line} │ {source[error.line - 1].strip()}"
            strips += text_strips(failing, width, styles.error_line)
        if error.traceback:
            traceback = name_cell_files(error.traceback, cell_names or {})
            lines = traceback.rstrip("\n").split("\n")
            # Frames are indented; the exception's own (possibly multi-line) text is not.
            split = max((i + 1 for i, line in enumerate(lines) if line.startswith(" ")), default=0)
            split = min(split, len(lines) - 1)
            head, tail = "\n".join(lines[:split]), "\n".join(lines[split:])
            if head:
                strips += text_strips(head, width, styles.dim, max_lines=max_lines)
            strips += text_strips(tail, width, styles.error, max_lines=max_lines)
    return strips
