"""Output blocks (`runtime.output_layouts`) as Strips: stacks side by side, tabs, accordions,
stat cards, callouts, trees, UI elements and charts.

Charts become pictures in `tui.graphics`, drawn off the UI thread: until a picture is drawn
(or when none can be) a chart is its one-line caption (`▧ altair chart: Sales`), never a
bare mimetype; `BlockContext.on_ready` says when to draw again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from marimo_tui.runtime.output_blocks import Chart, Widget
from marimo_tui.runtime.output_layouts import (
    Accordion,
    Block,
    Callout,
    MarkdownBlock,
    Media,
    Stack,
    Stat,
    TableBlock,
    Tabs,
    TextBlock,
    Tree,
)
from marimo_tui.runtime.output_text import media_caption, stat_lines, tree_lines
from marimo_tui.runtime.widget_text import widget_text
from marimo_tui.safe_text import one_line
from marimo_tui.tui.graphics import chart_strips
from marimo_tui.tui.widgets.output_strips import (
    MAX_TEXT_LINES,
    OutputStyles,
    markdown_strips,
    text_strips,
)
from marimo_tui.tui.widgets.output_table_render import MAX_TABLE_ROWS, table_strips

MIN_PANE_WIDTH = 16  # narrower than this per item, an hstack is drawn as a column
GAP = 2  # cells between the items of an hstack
_CALLOUT_COLOURS = {
    "info": "blue",
    "success": "green",
    "warn": "yellow",
    "danger": "red",
    "alert": "red",
}
_DIRECTION_COLOURS = {"increase": "green", "decrease": "red"}


@dataclass
class BlockContext:
    """What a rendering needs besides the blocks: styles, caps, choices the view made."""

    styles: OutputStyles
    max_lines: int | None = MAX_TEXT_LINES
    max_table_rows: int | None = MAX_TABLE_ROWS
    max_image_rows: int = 16
    tabs: Mapping[int, int] = field(default_factory=dict)  # tabs block number → pane shown
    on_ready: Callable[[], None] | None = None  # a chart's picture is drawn: draw again
    wide_tables: bool = False  # every column at its natural width (a view that scrolls)
    expand_all: bool = False  # accordions open (the `v` viewer shows everything)
    _tabs_seen: int = 0


def tabs_count(blocks: Sequence[Block]) -> int:
    """How many tabs blocks the output holds (numbered 0… in reading order for `tabs`)."""
    total = 0
    for block in blocks:
        if isinstance(block, Tabs):
            total += 1 + sum(tabs_count(p) for p in block.panes)
        elif isinstance(block, Stack | Callout):
            total += tabs_count(block.children)
        elif isinstance(block, Accordion):
            total += sum(tabs_count(p) for p in block.panes)
    return total


def blocks_strips(blocks: Sequence[Block], width: int, context: BlockContext) -> list[Strip]:
    strips: list[Strip] = []
    for block in blocks:
        strips += block_strips(block, width, context)
    return strips


def block_strips(block: Block, width: int, context: BlockContext) -> list[Strip]:
    styles = context.styles
    if isinstance(block, TextBlock):
        style = styles.dim if block.dim else styles.text
        return text_strips(block.text, width, style, max_lines=context.max_lines)
    if isinstance(block, MarkdownBlock):
        return markdown_strips(block.source, width, styles)
    if isinstance(block, TableBlock):
        strips = table_strips(
            block.table, width, styles, context.max_table_rows, wide=context.wide_tables
        )
        return strips + (text_strips(block.banner, width, styles.dim) if block.banner else [])
    if isinstance(block, Chart):
        return _chart(block, width, context)
    if isinstance(block, Widget):
        return text_strips(widget_text(block), width, styles.text)
    if isinstance(block, Media):
        return text_strips(media_caption(block), width, styles.dim)
    if isinstance(block, Stat):
        return _stat(block, width, styles)
    if isinstance(block, Callout):
        return _callout(block, width, context)
    if isinstance(block, Tree):
        return text_strips("\n".join(tree_lines(block.value)), width, styles.text)
    if isinstance(block, Stack):
        return _stack(block, width, context)
    if isinstance(block, Tabs):
        return _tabs(block, width, context)
    if isinstance(block, Accordion):
        return _accordion(block, width, context)
    return []


def _chart(chart: Chart, width: int, context: BlockContext) -> list[Strip]:
    return chart_strips(chart, width, context.max_image_rows, context.styles.dim, context.on_ready)


def _stack(stack: Stack, width: int, context: BlockContext) -> list[Strip]:
    items = stack.children
    if not items:
        return []
    if stack.direction == "column" or width < len(items) * MIN_PANE_WIDTH + GAP * (len(items) - 1):
        return blocks_strips(items, width, context)
    pane = (width - GAP * (len(items) - 1)) // len(items)
    columns = [_fit(block_strips(item, pane, context), pane) for item in items]
    height = max(len(c) for c in columns)
    gap = Strip([Segment(" " * GAP)], GAP)
    rows: list[Strip] = []
    for y in range(height):
        parts: list[Strip] = []
        for i, column in enumerate(columns):
            if i:
                parts.append(gap)
            parts.append(column[y] if y < len(column) else Strip.blank(pane))
        rows.append(Strip.join(parts))
    return rows


def _fit(strips: list[Strip], width: int) -> list[Strip]:
    return [s.crop(0, width).extend_cell_length(width) for s in strips]


def _tabs(tabs: Tabs, width: int, context: BlockContext) -> list[Strip]:
    number = context._tabs_seen
    context._tabs_seen += 1
    if not tabs.panes:
        return []
    chosen = min(max(0, context.tabs.get(number, 0)), len(tabs.panes) - 1)
    styles = context.styles
    segments: list[Segment] = []
    for i, label in enumerate(tabs.labels or [f"Tab {n + 1}" for n in range(len(tabs.panes))]):
        text = f" {one_line(label)} "
        style = styles.heading + Style(reverse=True, bold=True) if i == chosen else styles.dim
        segments += [Segment(text, style), Segment("│", styles.dim)]
    bar = Strip(segments).crop(0, width)
    rule = Strip([Segment("─" * width, styles.dim)], width)
    return [bar, rule, *blocks_strips(tabs.panes[chosen], width, context)]


def _accordion(accordion: Accordion, width: int, context: BlockContext) -> list[Strip]:
    strips: list[Strip] = []
    for title, pane in zip(accordion.titles, accordion.panes, strict=False):
        mark = "▾" if context.expand_all else "▸"
        head = Strip([Segment(one_line(f"{mark} {title}"), context.styles.heading)])
        strips.append(head.crop(0, width))
        if context.expand_all:
            strips += _indent(blocks_strips(pane, max(1, width - 2), context), "  ", Style())
    return strips


def _stat(stat: Stat, width: int, styles: OutputStyles) -> list[Strip]:
    lines = [one_line(line) for line in stat_lines(stat)]
    inner = min(max(len(line) for line in lines), max(1, width - 4))
    line_styles = [styles.dim] * len(lines)
    if stat.label:
        line_styles[1] = styles.heading + Style(bold=True)
    else:
        line_styles[0] = styles.heading + Style(bold=True)
    if stat.caption:
        colour = _DIRECTION_COLOURS.get(stat.direction)
        line_styles[-1] = Style(color=colour) if colour else styles.dim
    border = styles.dim
    rows = [Strip([Segment("┌" + "─" * (inner + 2) + "┐", border)])]
    for line, style in zip(lines, line_styles, strict=True):
        shown = line[:inner].ljust(inner)
        segments = [Segment("│ ", border), Segment(shown, style), Segment(" │", border)]
        rows.append(Strip(segments))
    rows.append(Strip([Segment("└" + "─" * (inner + 2) + "┘", border)]))
    return [r.crop(0, width) for r in rows]


def _callout(callout: Callout, width: int, context: BlockContext) -> list[Strip]:
    colour = _CALLOUT_COLOURS.get(callout.kind)
    bar = Style(color=colour) if colour else context.styles.dim
    inner = blocks_strips(callout.children, max(1, width - 2), context)
    return _indent(inner or [Strip.blank(0)], "▌ ", bar)


def _indent(strips: list[Strip], prefix: str, style: Style) -> list[Strip]:
    lead = Strip([Segment(prefix, style)], len(prefix))
    return [Strip.join([lead, s]) for s in strips]
