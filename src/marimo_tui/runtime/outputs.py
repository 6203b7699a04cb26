"""Cell outputs as a neutral model: what marimo's kernel sends → what a terminal can show.

Measured with marimo 0.25.2 (`tests/outputs_corpus/` holds real payloads):
- plain values: `text/html` `<pre class='text-xs'>42</pre>`; `None` → `text/plain` "";
  lists/dicts → `application/json` (a JSON string).
- `mo.md`: `text/markdown`, but the data is rendered HTML (`<span class="markdown …">`).
- dataframes and `mo.ui.table`: `text/html` `<marimo-ui-element><marimo-table data-data=…>`;
  `data-data` is JSON of a JSON string of the first page's records, `data-total-rows` the size.
- matplotlib: `application/vnd.marimo+mimebundle`, a JSON string `{"image/png": "data:…"}`;
  `mo.image` gives `<img src='./@file/…png'>`, a virtual file fetched from the server.
- errors: `application/vnd.marimo+error`, a list of `{type, msg, …}`; the traceback comes
  separately as a console chunk of mimetype `application/vnd.marimo+traceback` (HTML).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from marimo_tui.runtime.html_convert import (
    Node,
    html_table,
    parse_html,
    text_content,
    to_markdown,
    to_text,
)
from marimo_tui.runtime.output_blocks import Chart
from marimo_tui.runtime.output_chart_specs import (
    chart_from_mimebundle,
    decode_data_url,
    is_vega_mime,
    plotly_chart,
    vega_chart,
)
from marimo_tui.runtime.output_errors import CellError, cell_errors, failing_line
from marimo_tui.runtime.output_json import untag
from marimo_tui.runtime.output_layouts import Block, is_special, parse_blocks
from marimo_tui.runtime.output_tables import Table, marimo_table, parse_table_data
from marimo_tui.runtime.output_text import blocks_text, chart_caption

__all__ = [
    "EMPTY",
    "Block",
    "CellError",
    "Output",
    "OutputKind",
    "Table",
    "console_text",
    "convert_output",
    "decode_data_url",
    "parse_table_data",
    "with_traceback",
]

OutputKind = Literal["empty", "text", "markdown", "table", "image", "html", "error", "blocks"]

ERROR_MIME = "application/vnd.marimo+error"
TRACEBACK_MIME = "application/vnd.marimo+traceback"
MIMEBUNDLE = "application/vnd.marimo+mimebundle"
MAX_FALLBACK_CHARS = 1_000_000  # of text shown for data that could not be understood
_BUNDLE_PREFERENCE = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "text/markdown",
    "text/html",
    "application/json",
    "text/plain",
)


@dataclass(frozen=True)
class Output:
    kind: OutputKind
    # text: as is; markdown: source rebuilt from marimo's HTML; html: readable plain text;
    # error: one-line summary; table: marimo's banner; image: the source URL when not inline
    text: str = ""
    table: Table | None = None
    image: bytes | None = None  # decoded image bytes (PNG/JPEG/…)
    errors: tuple[CellError, ...] = ()
    mimetype: str = ""
    # blocks: layouts, charts, UI elements… (`output_layouts`); `text` then reads them as text
    blocks: tuple[Block, ...] = ()

    @property
    def chart(self) -> Chart | None:
        """The chart when the output is one chart and nothing else (drawn as a picture)."""
        if self.kind == "blocks" and len(self.blocks) == 1 and isinstance(self.blocks[0], Chart):
            return self.blocks[0]
        return None


EMPTY = Output("empty")


def convert_output(mimetype: str, data: object) -> Output:
    """Never raises: whatever cannot be understood is shown as text."""
    try:
        return _convert(mimetype, data)
    except Exception:
        return Output("text", text=_as_text(data)[:MAX_FALLBACK_CHARS], mimetype=mimetype)


def _convert(mimetype: str, data: object) -> Output:
    if mimetype == ERROR_MIME:
        errors = cell_errors(_maybe_json(data))
        summary = errors[0].message + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")
        return Output("error", text=summary, errors=errors, mimetype=mimetype)
    if mimetype == MIMEBUNDLE:
        return _bundle(_maybe_json(data), mimetype)
    if data is None or data == "":
        return EMPTY
    if mimetype.startswith("image/"):
        return _image(mimetype, data)
    if mimetype == "text/html":
        return _html(_as_text(data), mimetype)
    if mimetype == "text/markdown":
        text = _as_text(data)
        if _looks_like_html(text):
            return Output("markdown", text=to_markdown(text), mimetype=mimetype)
        return Output("markdown", text=text, mimetype=mimetype)
    if mimetype == TRACEBACK_MIME:
        return Output("text", text=console_text(mimetype, data), mimetype=mimetype)
    if mimetype in ("text/csv", "text/tab-separated-values"):
        return Output("table", table=parse_table_data(_as_text(data), mimetype), mimetype=mimetype)
    if is_vega_mime(mimetype):
        return _chart_output(vega_chart(data), mimetype)
    if mimetype == "application/vnd.plotly.v1+json":
        return _chart_output(plotly_chart(data), mimetype)
    if mimetype == "application/json":
        text = json_text(data)
        return Output("text", text=text, mimetype=mimetype) if text else EMPTY
    if mimetype.startswith(("video/", "audio/")) or mimetype == "application/pdf":
        return Output("html", text=f"[{mimetype} output]", mimetype=mimetype)
    text = _as_text(data)
    unknown = not mimetype.startswith("text/") and mimetype != "application/json"
    if unknown and _looks_like_html(text):
        return _html(text, mimetype)
    return Output("text", text=text, mimetype=mimetype) if text else EMPTY


def json_text(data: object) -> str:
    """A list or dict output as compact JSON text, marimo's type tags taken out."""
    value = _maybe_json(data)
    if isinstance(value, str | bytes):
        return _as_text(value)
    return json.dumps(untag(value), ensure_ascii=False)


def _bundle(bundle: object, mimetype: str) -> Output:
    if not isinstance(bundle, Mapping):
        return Output("text", text=_as_text(bundle), mimetype=mimetype)
    # vega-lite, and matplotlib's figures (values and `plt.show()`: a PNG data URL)
    if any(is_vega_mime(str(k)) for k in bundle) or _preferred(bundle).startswith("image/"):
        chart = chart_from_mimebundle(bundle)
        if chart is not None:
            return _chart_output(chart, mimetype)
    for kind in _BUNDLE_PREFERENCE:
        if kind in bundle:
            return replace(_convert(kind, bundle[kind]), mimetype=mimetype)
    for kind, value in bundle.items():  # anything else marimo may add later
        return replace(_convert(str(kind), value), mimetype=mimetype)
    return EMPTY


def _image(mimetype: str, data: object) -> Output:
    if mimetype.startswith("image/svg"):
        svg = _as_text(data)
        if svg.startswith("data:"):
            svg = (decode_data_url(svg) or b"").decode("utf-8", errors="replace")
        if not svg.strip():
            return EMPTY
        return _chart_output(Chart("svg", svg), mimetype)
    if isinstance(data, bytes):
        return Output("image", image=data, mimetype=mimetype)
    text = _as_text(data).strip()
    if text.startswith("data:"):
        decoded = decode_data_url(text)
        if decoded:
            return Output("image", image=decoded, mimetype=mimetype)
        return Output(
            "text", text=f"[{mimetype} image that could not be decoded]", mimetype=mimetype
        )
    elif not text.startswith(("./", "/", "http:", "https:", "@file/")):
        try:
            return Output("image", image=base64.b64decode(text, validate=True), mimetype=mimetype)
        except (binascii.Error, ValueError):
            pass
    return Output("image", text=text, mimetype=mimetype)


def _html(html: str, mimetype: str) -> Output:
    root = parse_html(html)
    only = _single_element(root)
    if only is not None:
        if only.tag == "pre":
            return Output("text", text=text_content(only).strip("\n"), mimetype=mimetype)
        if only.tag == "marimo-table":
            table, banner = marimo_table(only.attrs)
            return Output("table", text=banner, table=table, mimetype=mimetype)
        if only.tag == "table":
            return Output("table", table=html_table(only), mimetype=mimetype)
        if only.tag == "img":
            src = only.attrs.get("src", "")
            return _image(_image_mime(src), src)
        if only.tag == "span" and "markdown" in only.classes:
            return Output("markdown", text=to_markdown(root), mimetype=mimetype)
    if is_special(root):
        blocks = parse_blocks(root.children)
        return Output("blocks", text=blocks_text(blocks), blocks=blocks, mimetype=mimetype)
    text = to_text(root)
    return Output("html", text=text, mimetype=mimetype) if text.strip() else EMPTY


def _chart_output(chart: Chart, mimetype: str) -> Output:
    """One chart: a blocks output of it alone, its text the caption (what the agent reads)."""
    return Output("blocks", text=chart_caption(chart), blocks=(chart,), mimetype=mimetype)


def _preferred(bundle: Mapping[str, object]) -> str:
    return next((kind for kind in _BUNDLE_PREFERENCE if kind in bundle), "")


def _single_element(root: Node) -> Node | None:
    """The one element the HTML consists of, looking through marimo's UI element wrapper."""
    node = root
    while node is root or node.tag == "marimo-ui-element":
        if any(isinstance(c, str) and c.strip() for c in node.children):
            return None
        elements = node.elements()
        if len(elements) != 1:
            return None
        node = elements[0]
    return node


def _image_mime(src: str) -> str:
    if src.startswith("data:"):
        return src[5:].split(";", 1)[0].split(",", 1)[0] or "image/png"
    extension = src.rsplit(".", 1)[-1].lower()
    return f"image/{'jpeg' if extension == 'jpg' else extension or 'png'}"


def console_text(mimetype: str, data: object) -> str:
    """A stdout/stderr chunk as plain text; marimo's HTML traceback as the plain traceback."""
    try:
        text = _as_text(data)
        if mimetype == TRACEBACK_MIME or (mimetype == "text/html" and _looks_like_html(text)):
            return to_text(text).rstrip("\n") + "\n"
        return text
    except Exception:
        return repr(data)


def with_traceback(output: Output, traceback: str) -> Output:
    """Attach the traceback, and the failing line parsed from it, to the first exception."""
    if output.kind != "error" or not traceback.strip():
        return output
    if _looks_like_html(traceback) and "codehilite" in traceback:
        traceback = console_text(TRACEBACK_MIME, traceback)
    kinds = [e.kind for e in output.errors]
    target = next((k for k in ("exception", "interruption") if k in kinds), None)
    if target is None:
        return output
    index = kinds.index(target)
    error = output.errors[index]
    line = failing_line(traceback)
    updated = replace(error, traceback=traceback.rstrip("\n"), line=line or error.line)
    errors = (*output.errors[:index], updated, *output.errors[index + 1 :])
    return replace(output, errors=errors)


def _maybe_json(data: object) -> object:
    if isinstance(data, str | bytes):
        try:
            return json.loads(data)
        except ValueError:
            return data
    return data


def _as_text(data: object) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    try:
        return json.dumps(data, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(data)


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:1]
    return head == "<" and ">" in text
