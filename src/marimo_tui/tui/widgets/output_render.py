"""Cell outputs (`runtime.outputs.Output`) as Strips for line-API views.

Rendering goes through a private rich Console writing to a string buffer, so nothing here
touches the real terminal. Images and charts are drawn with half blocks by `tui/graphics.py`
(off the UI thread; `on_picture` says when one is ready): importing
`textual_image.renderable.halfcell` runs its package `__init__`, which queries the terminal
(sixel/kitty probes on stdin/stdout) and would steal keys from a running app.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from rich.table import Table as RichTable
from rich.text import Text
from rich.theme import Theme
from textual.strip import Strip

from marimo_tui.runtime.outputs import CellError, Output, Table
from marimo_tui.safe_text import console_text, last_redraw, one_line, visible
from marimo_tui.tui.graphics import chart_strips, image_strips

if TYPE_CHECKING:
    from textual.widget import Widget

MAX_TEXT_LINES = 2000  # source lines rendered in a cell; the output viewer shows everything
MAX_TABLE_ROWS = 20
MIN_COLUMN_WIDTH = 6


@dataclass(frozen=True)
class OutputStyles:
    """Rich styles the cell view passes in (from its component classes)."""

    text: Style
    dim: Style
    error: Style
    error_line: Style  # the failing source line
    heading: Style
    table_header: Style

    @classmethod
    def from_widget(cls, widget: Widget, prefix: str) -> OutputStyles:
        """From `widget`'s component classes `{prefix}--dim`, `--error`, `--error-line`,
        `--heading` and `--header` (so the theme colours outputs)."""

        def style(name: str) -> Style:
            return widget.get_component_rich_style(f"{prefix}--{name}", partial=True)

        return cls(
            text=Style(),
            dim=style("dim"),
            error=style("error"),
            error_line=style("error-line"),
            heading=style("heading"),
            table_header=style("header"),
        )


def render_output(
    output: Output,
    width: int,
    styles: OutputStyles,
    *,
    code: str = "",
    max_image_rows: int = 16,
    on_picture: Callable[[], None] | None = None,
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
        on_picture=on_picture,
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
    on_picture: Callable[[], None] | None = None,
) -> list[Strip]:
    """Like `render_output`, with the caps chosen by the caller (None: everything)."""
    width = max(1, width)
    try:
        if output.chart is not None:  # drawn by a worker; the caption shows until then
            strips = chart_strips(output.chart, width, max_image_rows, styles.dim, on_picture)
        else:
            strips = _render(output, width, styles, code, max_image_rows, max_lines, max_table_rows)
    except Exception as error:  # a broken output must not break the view drawing it
        note = f"[output could not be shown: {type(error).__name__}: {error}]"
        strips = text_strips(note, width, styles.error, max_lines=4)
    return [strip.crop(0, width) if strip.cell_length > width else strip for strip in strips]


def render_console(text: str, channel: str, width: int, styles: OutputStyles) -> list[Strip]:
    style = styles.error if channel == "stderr" else styles.text
    return text_strips(text.rstrip("\n"), max(1, width), style, max_lines=MAX_TEXT_LINES)


def _render(
    output: Output,
    width: int,
    styles: OutputStyles,
    code: str,
    max_image_rows: int,
    max_lines: int | None,
    max_table_rows: int | None,
) -> list[Strip]:
    kind = output.kind
    if kind == "empty":
        return []
    if kind == "markdown":
        return markdown_strips(_cap_text(output.text, max_lines), width, styles)
    if kind == "table" and output.table is not None:
        strips = table_strips(output.table, width, styles, max_table_rows)
        if output.text:
            strips += text_strips(output.text, width, styles.dim, max_lines=max_lines)
        return strips
    if kind == "image":
        if output.image is not None:
            return image_strips(output.image, width, max_image_rows)
        return text_strips(f"[image: {output.text or 'no data'}]", width, styles.dim)
    if kind == "error":
        return error_strips(output.errors, width, styles, code, max_lines)
    return text_strips(output.text, width, styles.text, max_lines=max_lines)


# -- text -------------------------------------------------------------------------------------
def _cap_text(text: str, max_lines: int | None) -> str:
    if max_lines is None:
        return text
    cut = -1
    for _ in range(max_lines):
        cut = text.find("\n", cut + 1)
        if cut < 0:
            return text
    more = text.count("\n", cut) + (0 if text.endswith("\n") else 1) - 1
    return text[:cut] + (f"\n… {more} more lines" if more > 0 else "")


def text_strips(
    text: str, width: int, style: Style, *, max_lines: int | None = MAX_TEXT_LINES
) -> list[Strip]:
    """Text wrapped to width; ANSI colours kept (through rich's decoder, which sees nothing
    but SGR), every other control character and sequence shown as `safe_text` shows it."""
    text = _cap_text(text, max_lines)
    if "\x1b" in text:
        return _rich_lines(Text.from_ansi(console_text(text), style=style), width)
    strips: list[Strip] = []
    for raw in text.split("\n"):
        line = visible(last_redraw(raw))
        if "\t" in line:
            line = line.expandtabs(4)
        if len(line) <= width and line.isascii():
            strips.append(Strip([Segment(line, style)], len(line)))
        else:
            strips += _rich_lines(Text(line, style=style), width)
    return strips


def _rich_lines(
    renderable: RenderableType, width: int, console: Console | None = None
) -> list[Strip]:
    console = console or _console(None)
    options = _options(console, width)
    lines = console.render_lines(renderable, options, pad=False, new_lines=False)
    return [Strip(line).simplify() for line in lines]


# -- markdown ---------------------------------------------------------------------------------
def markdown_strips(source: str, width: int, styles: OutputStyles) -> list[Strip]:
    console = _console(styles)
    # rich's Markdown passes text (and code blocks) through as they are written.
    markdown = Markdown(visible(source), hyperlinks=False, code_theme="ansi_dark")
    strips = _rich_lines(markdown, width, console)
    while strips and not strips[-1].text.strip():
        strips.pop()
    return strips


# -- tables -----------------------------------------------------------------------------------
def table_strips(
    table: Table, width: int, styles: OutputStyles, max_rows: int | None = MAX_TABLE_ROWS
) -> list[Strip]:
    if not table.columns:
        if table.source_url:
            note = f"[table data on the server: {table.source_url}]"
        else:
            note = "[table: rows are loaded on demand]"
        return text_strips(note, width, styles.dim)
    fit = max(1, (width - 1) // (MIN_COLUMN_WIDTH + 3))
    columns = table.columns if len(table.columns) <= fit else table.columns[: max(1, fit - 1)]
    hidden = len(table.columns) - len(columns)
    grid = RichTable(
        box=box.SQUARE,
        header_style=styles.table_header,
        border_style=styles.dim,
        style=styles.text,
    )
    for name in columns:
        grid.add_column(Text(one_line(name)), overflow="ellipsis", no_wrap=True, min_width=1)
    if hidden:
        grid.add_column(f"+{hidden}", overflow="ellipsis", no_wrap=True, style=styles.dim)
    shown = table.rows if max_rows is None else table.rows[:max_rows]
    for row in shown:
        cells = [Text(one_line(cell.replace("\n", " "))) for cell in row[: len(columns)]]
        grid.add_row(*cells, *([Text("…")] if hidden else []))
    strips = _rich_lines(grid, width, _console(styles))
    total = table.total_rows if table.total_rows is not None else len(table.rows)
    if total > len(shown):
        strips += text_strips(f"… {total - len(shown)} more rows", width, styles.dim)
    return strips


# -- errors -----------------------------------------------------------------------------------
def error_strips(
    errors: tuple[CellError, ...],
    width: int,
    styles: OutputStyles,
    code: str = "",
    max_lines: int | None = MAX_TEXT_LINES,
) -> list[Strip]:
    """Per error: `✗ kind: message`, the failing source line, then the traceback."""
    strips: list[Strip] = []
    source = code.splitlines()
    for error in errors:
        strips += text_strips(f"✗ {error.kind}: {error.message}", width, styles.error)
        if error.line is not None and 0 < error.line <= len(source):
            failing = f"  → {error.line} │ {source[error.line - 1].strip()}"
            strips += text_strips(failing, width, styles.error_line)
        if error.traceback:
            lines = error.traceback.rstrip("\n").split("\n")
            # Frames are indented; the exception's own (possibly multi-line) text is not.
            split = max((i + 1 for i, line in enumerate(lines) if line.startswith(" ")), default=0)
            split = min(split, len(lines) - 1)
            head, tail = "\n".join(lines[:split]), "\n".join(lines[split:])
            if head:
                strips += text_strips(head, width, styles.dim, max_lines=max_lines)
            strips += text_strips(tail, width, styles.error, max_lines=max_lines)
    return strips


# -- the private console -------------------------------------------------------------------
@lru_cache(maxsize=8)
def _console(styles: OutputStyles | None) -> Console:
    theme = None
    if styles is not None:
        heading = styles.heading + Style(bold=True)
        theme = Theme(
            {
                "markdown.h1": heading,
                "markdown.h1.border": styles.dim,
                "markdown.h2": heading + Style(underline=True),
                "markdown.h3": heading,
                "markdown.h4": heading + Style(italic=True),
                "markdown.h5": styles.heading,
                "markdown.h6": styles.heading + Style(italic=True),
                "markdown.hr": styles.dim,
                "markdown.block_quote": styles.dim,
                "markdown.link_url": styles.dim,
            }
        )
    return Console(
        file=io.StringIO(),
        width=80,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        theme=theme,
        highlight=False,
        markup=False,
        emoji=False,
    )


def _options(console: Console, width: int) -> ConsoleOptions:
    return console.options.update(width=width, max_width=width, height=None, highlight=False)
