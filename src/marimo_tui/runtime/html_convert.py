"""marimo's HTML → markdown source or readable plain text, with the stdlib's `html.parser`.

One walker serves both: `mo.md` output becomes markdown again (so the terminal can render it
like the author wrote it), any other HTML becomes text a person can read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from marimo_tui.runtime.output_blocks import Widget
from marimo_tui.runtime.output_math import latex_text, tex_source
from marimo_tui.runtime.output_tables import Table, marimo_table, table_from_grid
from marimo_tui.runtime.widget_text import describe

# fmt: off
VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})
BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "ul",
})
HIDDEN = frozenset({"script", "style", "template", "head", "title", "noscript", "svg", "canvas"})
# fmt: on
MAX_TAGS = 20_000  # a few pages of any real output; bounds the time spent on the event loop
_BR = "\x00"  # survives whitespace collapsing, becomes a line break afterwards
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_BREAKS = re.compile(r" ?\x00 ?")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(node)
        if tag not in VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        # Close the nearest open element of that name; a stray end tag is ignored.
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        children = self._stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def parse_html(html: str, max_tags: int = MAX_TAGS) -> Node:
    """The tree of the first `max_tags` tags: the pure-Python parser costs ~7 µs per tag."""
    cut = -1
    for _ in range(max_tags):
        cut = html.find("<", cut + 1)
        if cut < 0:
            break
    else:
        html = html[:cut]
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    if cut >= 0:
        builder.root.children.append(Node("p", {}, ["… (cut: too much HTML to show)"]))
    return builder.root


def text_content(node: Node | str) -> str:
    if isinstance(node, str):
        return node
    if node.tag in HIDDEN:
        return ""
    if node.tag == "br":
        return "\n"
    return "".join(text_content(c) for c in node.children)


def json_attr(node: Node, name: str) -> object:
    """marimo's `data-*` attributes hold JSON."""
    raw = node.attrs.get(f"data-{name}")
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def to_markdown(html: str | Node) -> str:
    return _Renderer(markdown=True).document(parse_html(html) if isinstance(html, str) else html)


def to_text(html: str | Node) -> str:
    return _Renderer(markdown=False).document(parse_html(html) if isinstance(html, str) else html)


def table_text(table: Table, *, markdown: bool) -> str:
    if not table.columns:
        return ""
    if markdown:

        def row(cells: tuple[str, ...]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

        lines = [row(table.columns), "| " + " | ".join("---" for _ in table.columns) + " |"]
        lines += [row(r) for r in table.rows]
    else:
        widths = [len(c) for c in table.columns]
        for r in table.rows:
            widths = [max(w, len(c)) for w, c in zip(widths, r, strict=False)]
        lines = [
            "  ".join(
                c.replace("\n", " ").ljust(w) for c, w in zip(r, widths, strict=False)
            ).rstrip()
            for r in (table.columns, *table.rows)
        ]
    if table.total_rows is not None and table.total_rows > len(table.rows):
        lines.append(f"… {table.total_rows - len(table.rows)} more rows")
    return "\n".join(lines)


def html_table(node: Node) -> Table:
    grid: list[list[str]] = []
    for tr in _rows(node):
        cells = [c for c in tr.elements() if c.tag in ("th", "td")]
        grid.append([_collapse(text_content(c)) for c in cells])
    return table_from_grid(grid)


def _rows(node: Node) -> list[Node]:
    rows: list[Node] = []
    for child in node.elements():
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows += _rows(child)
    return rows


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


class _Renderer:
    def __init__(self, *, markdown: bool) -> None:
        self.md = markdown
        self._language = ""
        self._block_cache: dict[int, bool] = {}

    def document(self, root: Node) -> str:
        return "\n\n".join(b for b in self.blocks(root.children) if b.strip()).strip("\n")

    # -- blocks ----------------------------------------------------------------------------
    def blocks(self, nodes: list[Node | str]) -> list[str]:
        out: list[str] = []
        inline: list[str] = []

        def flush() -> None:
            text = _BREAKS.sub("  \n" if self.md else "\n", _collapse("".join(inline)))
            inline.clear()
            if text.strip():
                out.append(text)

        for node in nodes:
            if isinstance(node, str):
                inline.append(node)
            elif node.tag in HIDDEN:
                continue
            elif self._is_block(node):
                flush()
                out += [b for b in self.block(node) if b.strip()]
            else:
                inline.append(self.inline(node))
        flush()
        return out

    def _is_block(self, node: Node) -> bool:
        key = id(node)
        if key not in self._block_cache:
            if node.tag == "marimo-tex":
                return tex_source(text_content(node))[1]
            self._block_cache[key] = (
                node.tag in BLOCK
                or node.tag.startswith("marimo-")
                or (node.tag == "span" and "paragraph" in node.classes)
                or any(self._is_block(c) for c in node.elements())
            )
        return self._block_cache[key]

    def block(self, node: Node) -> list[str]:
        tag = node.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.inline_text(node)
            return [f"{'#' * int(tag[1])} {text}" if self.md else text]
        if tag in ("ul", "ol"):
            return [self.list_block(node, ordered=tag == "ol")]
        if tag == "blockquote":
            inner = "\n\n".join(self.blocks(node.children))
            mark = "> " if self.md else "│ "
            return ["\n".join(mark + line if line else mark.rstrip() for line in inner.split("\n"))]
        if tag == "pre":
            return [self.pre_block(node)]
        if tag == "table":
            return [table_text(html_table(node), markdown=self.md)]
        if tag == "hr":
            return ["---" if self.md else "─" * 24]
        if tag == "marimo-tex":
            return [self.math(node)]
        if tag.startswith("marimo-"):
            return self.marimo_block(node)
        language = next((c[9:] for c in node.classes if c.startswith("language-")), "")
        if language:
            self._language = language
        try:
            return self.blocks(node.children)
        finally:
            if language:
                self._language = ""

    def list_block(self, node: Node, *, ordered: bool) -> str:
        start = node.attrs.get("start", "1")
        number = int(start) if start.isdigit() else 1
        lines: list[str] = []
        for item in node.elements():
            if item.tag != "li":
                continue
            marker = f"{number}." if ordered else "-"
            number += 1
            body = "\n".join(self.blocks(item.children)) or ""
            first, *rest = body.split("\n")
            lines.append(f"{marker} {first}".rstrip())
            pad = " " * (len(marker) + 1)
            lines += [pad + line if line else "" for line in rest]
        return "\n".join(lines)

    def pre_block(self, node: Node) -> str:
        code = text_content(node).strip("\n")
        if not self.md:
            return code
        fence = "````" if "```" in code else "```"
        return f"{fence}{self._language}\n{code}\n{fence}"

    def marimo_block(self, node: Node) -> list[str]:
        name = node.tag.removeprefix("marimo-")
        if name == "ui-element":
            return self.blocks(node.children)
        if name == "table":
            table, banner = marimo_table(node.attrs)
            if table.source_url and not table.rows:
                return [f"[table: {table.source_url}]"]
            return [b for b in (table_text(table, markdown=self.md), banner) if b]
        inner = json_attr(node, "html")
        if isinstance(inner, str):  # callouts and other wrappers carry their content as HTML
            return self.blocks(parse_html(inner).children) + self.blocks(node.children)
        return [describe_element(node), *self.blocks(node.children)]

    # -- inline ----------------------------------------------------------------------------
    def inline_text(self, node: Node) -> str:
        return _BREAKS.sub(" ", _collapse("".join(self.inline(c) for c in node.children)))

    def inline(self, node: Node | str) -> str:
        if isinstance(node, str):
            return node
        tag = node.tag
        if tag in HIDDEN:
            return ""
        if tag == "br":
            return _BR
        if tag == "img":
            return self.image(node)
        if tag == "marimo-tex":
            return self.math(node).replace("\n", _BR)
        inner = "".join(self.inline(c) for c in node.children)
        if not self.md:
            return inner
        if tag == "code":
            tick = "``" if "`" in inner else "`"
            return f"{tick}{inner}{tick}"
        marks = {"em": "*", "i": "*", "strong": "**", "b": "**", "del": "~~", "s": "~~"}
        if tag in marks and inner.strip():
            lead = inner[: len(inner) - len(inner.lstrip())]
            trail = inner[len(inner.rstrip()) :]
            return f"{lead}{marks[tag]}{inner.strip()}{marks[tag]}{trail}"
        href = node.attrs.get("href", "")
        if tag == "a" and href and not href.startswith("#") and inner.strip():
            return f"[{inner.strip()}]({href})"
        return inner

    def math(self, node: Node) -> str:
        """LaTeX as Unicode; markdown's own characters escaped so they stay as written."""
        text = latex_text(tex_source(text_content(node))[0])
        if not self.md:
            return text
        escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
        return escaped.replace("\n", "  \n")

    def image(self, node: Node) -> str:
        alt = node.attrs.get("alt", "")
        src = node.attrs.get("src", "")
        if self.md and src and not src.startswith("data:"):
            return f"![{alt}]({src})"
        return f"[image{': ' + alt if alt else ''}]"


def element_fields(component: Node, object_id: str) -> Widget:
    """A `<marimo-KIND data-…>` component read as a Widget: its kind, label, value and the
    other `data-` attributes (decoded)."""
    attrs: dict[str, object] = {}
    for name in component.attrs:
        if name.startswith("data-") and name not in ("data-label", "data-initial-value"):
            attrs[name.removeprefix("data-")] = json_attr(component, name.removeprefix("data-"))
    label_html = json_attr(component, "label")
    label = to_text(label_html).replace("\n", " ").strip() if isinstance(label_html, str) else ""
    kind = component.tag.removeprefix("marimo-")
    return Widget(object_id, kind, label, json_attr(component, "initial-value"), attrs)


def describe_element(node: Node) -> str:
    """A marimo UI element as one readable line, e.g. `Count: slider 1–10 = 5`."""
    return describe(element_fields(node, ""))
