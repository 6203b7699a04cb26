"""marimo's HTML outputs as a tree of blocks: layouts, UI elements, charts, stats, callouts.

Measured with marimo 0.25.2 (`tests/outputs_corpus/`, captured by `tests/capture_outputs.py`):
- `mo.hstack`/`mo.vstack`: a `<div style='display: flex; flex-direction: row|column…'>`, one
  child element per item;
- `mo.ui.tabs`: `<marimo-tabs data-tabs='[label HTML…]'>` with one `<div data-kind='tab'>` per
  pane; `mo.accordion`: `<marimo-accordion data-labels=…>` with one `<div>` per pane;
- `mo.stat`: `<marimo-stat data-value data-label data-caption data-direction>`;
- `mo.callout`: `<marimo-callout-output data-html data-kind>`;
- `mo.tree`/`mo.json`: `<marimo-json-output data-json-data>` (values tagged as in JSON outputs);
- altair in `mo.ui.altair_chart`: `<marimo-vega data-spec>`; plotly: `<marimo-plotly
  data-figure>`; a matplotlib figure inside a layout: `<marimo-mime-renderer data-mime
  data-data>`; UI elements: `<marimo-ui-element object-id><marimo-KIND data-…>`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from marimo_tui.runtime.html_convert import (
    HIDDEN,
    Node,
    json_attr,
    parse_html,
    text_content,
    to_markdown,
    to_text,
)
from marimo_tui.runtime.output_blocks import Chart, Widget
from marimo_tui.runtime.output_chart_specs import (
    chart_from_mimebundle,
    decode_data_url,
    plotly_chart,
    vega_chart,
)
from marimo_tui.runtime.output_json import untag
from marimo_tui.runtime.output_tables import Table, marimo_table
from marimo_tui.runtime.widgets import element_widget


@dataclass(frozen=True)
class TextBlock:
    text: str
    dim: bool = False  # a caption or note rather than the output itself


@dataclass(frozen=True)
class MarkdownBlock:
    source: str  # markdown rebuilt from marimo's HTML
    plain: str = ""  # the same as plain text (for readers that do not render markdown)


@dataclass(frozen=True)
class TableBlock:
    table: Table
    banner: str = ""


@dataclass(frozen=True)
class Stack:
    direction: Literal["row", "column"]
    children: tuple[Block, ...]


@dataclass(frozen=True)
class Tabs:
    labels: tuple[str, ...]
    panes: tuple[tuple[Block, ...], ...]


@dataclass(frozen=True)
class Accordion:
    titles: tuple[str, ...]
    panes: tuple[tuple[Block, ...], ...]


@dataclass(frozen=True)
class Stat:
    label: str
    value: str
    caption: str = ""
    direction: str = ""  # increase | decrease | ""


@dataclass(frozen=True)
class Callout:
    kind: str  # marimo's: neutral, info, success, warn, danger
    children: tuple[Block, ...]


@dataclass(frozen=True)
class Tree:
    value: object = field(hash=False)  # JSON-like, marimo's tags taken out


@dataclass(frozen=True)
class Media:
    kind: Literal["audio", "video", "pdf", "embed", "image"]
    src: str
    title: str = ""  # an image's alt text (an image here is one still on the server)


Block = (
    TextBlock
    | MarkdownBlock
    | TableBlock
    | Chart
    | Widget
    | Stack
    | Tabs
    | Accordion
    | Stat
    | Callout
    | Tree
    | Media
)
_MEDIA_TAGS = {
    "audio": "audio",
    "video": "video",
    "iframe": "embed",  # mo.pdf is an iframe
    "embed": "embed",
    "object": "embed",
}


def parse_blocks(nodes: list[Node | str]) -> tuple[Block, ...]:
    """The blocks of a run of HTML nodes; plain HTML between them becomes markdown."""
    blocks: list[Block] = []
    plain: list[Node | str] = []

    def flush() -> None:
        if any(isinstance(n, Node) or n.strip() for n in plain):
            root = Node("#root", children=list(plain))
            source = to_markdown(root)
            if source.strip():
                blocks.append(MarkdownBlock(source, to_text(root)))
        plain.clear()

    for node in nodes:
        parsed = _special(node) if isinstance(node, Node) else None
        if parsed is None:
            plain.append(node)
        else:
            flush()
            blocks += parsed
    flush()
    return tuple(blocks)


def is_special(root: Node) -> bool:
    """Whether the HTML holds a layout, UI element, chart or media: a walk over the tags,
    cheaper than converting plain HTML twice."""
    stack = [root]
    while stack:
        node = stack.pop()
        tag = node.tag
        if (tag.startswith("marimo-") and tag != "marimo-tex") or tag in _MEDIA_TAGS:
            return True
        if tag == "svg" or (tag == "div" and _flex_direction(node.attrs.get("style", ""))):
            return True
        stack += node.elements()
    return False


def _special(node: Node) -> list[Block] | None:
    tag = node.tag
    if tag in HIDDEN and tag != "svg":
        return []
    if tag == "div":
        direction = _flex_direction(node.attrs.get("style", ""))
        if direction is not None:
            items = tuple(_item(c) for c in node.children if isinstance(c, Node))
            return [Stack(direction, tuple(b for b in items if b is not None))]
    if tag == "marimo-ui-element":
        inner = node.elements()
        if len(inner) == 1:
            return _element(inner[0], node.attrs.get("object-id", ""))
        return list(parse_blocks(node.children))
    if tag.startswith("marimo-") and tag != "marimo-tex":
        return _element(node, "")
    if tag == "pre":
        return [TextBlock(text_content(node).strip("\n"))]
    if tag == "svg":
        return [Chart("svg", serialize(node), _svg_title(node))]
    if tag == "img":
        return [_image(node)]
    if tag in _MEDIA_TAGS:
        src = node.attrs.get("src") or node.attrs.get("data", "")
        kind = "pdf" if src.lower().split("?")[0].endswith(".pdf") else _MEDIA_TAGS[tag]
        return [Media(kind, src)]  # type: ignore[arg-type]
    if tag == "span" and "markdown" in node.classes:
        return None
    if any(is_special(c) for c in node.elements()):
        return list(parse_blocks(node.children))  # a wrapper around something special
    return None


def _item(node: Node) -> Block | None:
    blocks = parse_blocks([node])
    if len(blocks) == 1:
        return blocks[0]
    return Stack("column", blocks) if blocks else None


def _flex_direction(style: str) -> Literal["row", "column"] | None:
    compact = style.replace(" ", "").lower()
    if "display:flex" not in compact:
        return None
    return "column" if "flex-direction:column" in compact else "row"


def _element(node: Node, object_id: str) -> list[Block]:
    name = node.tag.removeprefix("marimo-")
    if name == "table":
        table, banner = marimo_table(node.attrs)
        return [TableBlock(table, banner)]
    if name == "tabs":
        labels = _labels(json_attr(node, "tabs"))
        panes = [c for c in node.elements() if c.attrs.get("data-kind") == "tab"]
        return [Tabs(labels, tuple(parse_blocks(p.children) for p in panes))]
    if name == "accordion":
        panes = node.elements()
        return [
            Accordion(
                _labels(json_attr(node, "labels")), tuple(parse_blocks(p.children) for p in panes)
            )
        ]
    if name == "stat":
        return [Stat(*(_attr_text(node, n) for n in ("label", "value", "caption", "direction")))]
    if name == "callout-output":
        inner = json_attr(node, "html")
        children = parse_blocks(parse_html(inner).children) if isinstance(inner, str) else ()
        kind = json_attr(node, "kind")
        return [Callout(kind if isinstance(kind, str) else "neutral", children)]
    if name == "json-output":
        return [Tree(untag(json_attr(node, "json-data")))]
    if name == "vega":
        return [vega_chart(node.attrs.get("data-spec", ""))]
    if name == "plotly":
        return [plotly_chart(node.attrs.get("data-figure", ""))]
    if name == "matplotlib":  # mo.ui.matplotlib: the figure as a PNG data URL
        url = json_attr(node, "chart-base64")
        png = decode_data_url(url) if isinstance(url, str) else None
        label = json_attr(node, "label")
        title = _one_line(to_text(label)) if isinstance(label, str) else ""
        if png:
            return [Chart("matplotlib", png, title)]
    if name == "mime-renderer":
        return _mime(json_attr(node, "mime"), json_attr(node, "data"))
    if name == "tex":
        root = Node("#root", children=[node])
        return [MarkdownBlock(to_markdown(root), to_text(root))]
    return [element_widget(node, object_id)]


def _mime(mime: object, data: object) -> list[Block]:
    if not isinstance(mime, str):
        return []
    if mime == "application/vnd.marimo+mimebundle":
        bundle = json.loads(data) if isinstance(data, str) else data
        if isinstance(bundle, Mapping):
            chart = chart_from_mimebundle(bundle)
            if chart is not None:
                return [chart]
            html = bundle.get("text/html")
            if isinstance(html, str):
                return list(parse_blocks(parse_html(html).children))
            plain = bundle.get("text/plain")
            return [TextBlock(str(plain))] if plain else []
    if mime.startswith("image/") or mime.startswith("application/vnd.vegalite"):
        chart = chart_from_mimebundle({mime: data})
        return [chart] if chart is not None else []
    if mime in ("text/html", "text/markdown") and isinstance(data, str):
        return list(parse_blocks(parse_html(data).children))
    return [TextBlock(data if isinstance(data, str) else json.dumps(data, default=str))]


def _image(node: Node) -> Block:
    src = node.attrs.get("src", "")
    alt = node.attrs.get("alt", "")
    if src.startswith("data:"):
        decoded = decode_data_url(src)
        if decoded:
            return Chart("image", decoded, alt)
    # `mo.image` of bytes is a virtual file on the server (`./@file/…`): the session fetches
    # it (`virtual_files`) and puts a Chart in its place
    return Media("image", src, alt)


def map_blocks(blocks: tuple[Block, ...], change: Callable[[Block], Block]) -> tuple[Block, ...]:
    """`blocks` with `change` applied to each, inside stacks, tabs, accordions and callouts."""

    def one(block: Block) -> Block:
        if isinstance(block, Stack | Callout):
            return replace(block, children=map_blocks(block.children, change))
        if isinstance(block, Tabs | Accordion):
            return replace(block, panes=tuple(map_blocks(p, change) for p in block.panes))
        return change(block)

    return tuple(one(b) for b in blocks)


def _labels(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(_one_line(to_text(v)) if isinstance(v, str) else str(v) for v in value)


def _attr_text(node: Node, name: str) -> str:
    value = untag(json_attr(node, name))
    if value is None:
        return ""
    return _one_line(to_text(value)) if isinstance(value, str) else json.dumps(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _svg_title(node: Node) -> str:
    title = next((c for c in node.elements() if c.tag == "title"), None)
    return _one_line("".join(c for c in title.children if isinstance(c, str))) if title else ""


def serialize(node: Node | str) -> str:
    """HTML text of a parsed node (for SVG, which is drawn from its source)."""
    from html import escape

    if isinstance(node, str):
        return escape(node, quote=False)
    attrs = "".join(f' {k}="{escape(v)}"' for k, v in node.attrs.items())
    inner = "".join(serialize(c) for c in node.children)
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>"
