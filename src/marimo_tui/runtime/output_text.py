"""Blocks as plain text: the one-line forms the view draws (widgets, captions, stats) and the
readable text of a whole tree (for the agent's tool results and for copying)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from marimo_tui.runtime.html_convert import table_text
from marimo_tui.runtime.output_blocks import Chart, Widget
from marimo_tui.runtime.output_chart_specs import spec_title
from marimo_tui.runtime.output_json import scalar_text
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
from marimo_tui.runtime.widget_text import widget_text

TREE_DEPTH = 3  # levels of a tree shown open; deeper ones as `{2 keys}` / `[5 items]`
_CHART_NAMES = {
    "vega-lite": "altair chart",
    "plotly": "plotly chart",
    "matplotlib": "matplotlib figure",
    "image": "image",
    "svg": "svg image",
}
_DIRECTION = {"increase": "▲", "decrease": "▼"}


def chart_caption(chart: Chart, problem: str = "") -> str:
    """`▧ altair chart: Sales by month`: what names a chart above its picture or stands for it,
    and why there is no picture when there is none (`problem`)."""
    text = f"▧ {_CHART_NAMES.get(chart.kind, chart.kind)}"
    title = chart.title or spec_title(chart)
    if title:
        text += f": {title}"
    if problem:
        text += f" ({problem})"
    return " ".join(text.split())


def media_caption(media: Media) -> str:
    if media.kind == "image":  # not fetched (yet): named with its alt text and source
        title = f": {media.title}" if media.title else ""
        return f"▧ image{title} ({media.src or 'no source'})"
    return f"▶ {media.kind}: {media.src or 'no source'}"


def stat_lines(stat: Stat) -> list[str]:
    arrow = _DIRECTION.get(stat.direction, "")
    lines = [stat.label] if stat.label else []
    lines.append(stat.value or "—")
    if stat.caption:
        lines.append(f"{arrow} {stat.caption}".strip())
    return lines


def _plain(value: object) -> str:
    return scalar_text(value)


def tree_lines(value: object, max_depth: int = TREE_DEPTH, depth: int = 0) -> list[str]:
    """A JSON-like value as indented lines; containers deeper than `max_depth` collapsed."""
    if isinstance(value, Mapping):
        items: Sequence[tuple[str, object]] = [(f"{k}: ", v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [("- ", v) for v in value]
    else:
        return [scalar_text(value)]
    if not items:
        return ["{}" if isinstance(value, Mapping) else "[]"]
    lines: list[str] = []
    for prefix, item in items:
        if not isinstance(item, Mapping | list) or not item:
            lines.append(prefix + (tree_lines(item)[0] if item or item == 0 else _empty(item)))
        elif depth + 1 >= max_depth:
            lines.append(prefix + _summary(item))
        else:
            inner = tree_lines(item, max_depth, depth + 1)
            if prefix == "- " and isinstance(item, Mapping):  # `- key: value` as YAML has it
                lines += ["- " + inner[0], *("  " + line for line in inner[1:])]
            else:
                lines += [prefix.rstrip(), *("  " + line for line in inner)]
    return lines


def _empty(value: object) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar_text(value)


def _summary(value: Mapping[str, object] | list[object]) -> str:
    n = len(value)
    if isinstance(value, Mapping):
        return f"{{… {n} key{'s' if n != 1 else ''}}}"
    return f"[… {n} item{'s' if n != 1 else ''}]"


def blocks_text(blocks: Sequence[Block]) -> str:
    return "\n\n".join(t for t in (block_text(b) for b in blocks) if t.strip())


def block_text(block: Block) -> str:
    if isinstance(block, TextBlock):
        return block.text
    if isinstance(block, MarkdownBlock):
        return block.plain or block.source
    if isinstance(block, TableBlock):
        return "\n".join(t for t in (table_text(block.table, markdown=False), block.banner) if t)
    if isinstance(block, Chart):
        return chart_caption(block)
    if isinstance(block, Widget):
        return widget_text(block)
    if isinstance(block, Media):
        return media_caption(block)
    if isinstance(block, Stat):
        return "\n".join(stat_lines(block))
    if isinstance(block, Tree):
        return "\n".join(tree_lines(block.value))
    if isinstance(block, Stack):
        return blocks_text(block.children)
    if isinstance(block, Callout):
        return blocks_text(block.children)
    if isinstance(block, Tabs | Accordion):
        titles = block.labels if isinstance(block, Tabs) else block.titles
        parts = [f"{t}\n{blocks_text(p)}" for t, p in zip(titles, block.panes, strict=False)]
        return "\n\n".join(parts)
    return ""
