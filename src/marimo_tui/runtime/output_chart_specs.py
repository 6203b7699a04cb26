"""Chart payloads → `Chart` blocks: which kind, the data a picture is drawn from, a title.

altair arrives as `application/vnd.vegalite.v5+json`/`v6+json` (the spec) or, wrapped by
`mo.ui.altair_chart`, as `<marimo-vega data-spec>`; plotly as `<marimo-plotly data-figure>`;
matplotlib as a mimebundle with `image/png` (a data URL), also inside layouts.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from marimo_tui.runtime.output_blocks import Chart

_PLOTLY_TAG = re.compile(r"<[^>]*>")
_IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def is_vega_mime(mimetype: str) -> bool:
    return mimetype.startswith("application/vnd.vegalite.") and mimetype.endswith("+json")


def vega_chart(spec: object) -> Chart:
    text = spec if isinstance(spec, str) else json.dumps(spec, ensure_ascii=False)
    value = _loads(text)
    title = ""
    if isinstance(value, Mapping):
        title = _title(value.get("title")) or _title(_first_layer(value).get("title"))
        if not title:
            title = _encoding_title(_first_layer(value))
    return Chart("vega-lite", text, title)


def plotly_chart(figure: object) -> Chart:
    text = figure if isinstance(figure, str) else json.dumps(figure, ensure_ascii=False)
    value = _loads(text)
    title = ""
    if isinstance(value, Mapping):
        layout = value.get("layout")
        title = _title(layout.get("title")) if isinstance(layout, Mapping) else ""
        title = " ".join(_PLOTLY_TAG.sub("", title).split())  # plotly titles may hold <b>, <br>
        if not title:
            traces = value.get("data")
            kinds = [t.get("type") or "scatter" for t in traces or () if isinstance(t, Mapping)]
            title = ", ".join(dict.fromkeys(str(k) for k in kinds))
    return Chart("plotly", text, title)


def spec_title(chart: Chart) -> str:
    """The title a vega-lite spec or plotly figure carries (for a Chart made without one)."""
    if chart.kind == "vega-lite":
        return vega_chart(chart.data).title
    if chart.kind == "plotly":
        return plotly_chart(chart.data).title
    return ""


def chart_from_mimebundle(bundle: Mapping[str, object]) -> Chart | None:
    """The chart in a mimebundle (matplotlib's PNG, an SVG, a vega-lite spec), if any."""
    for mime, value in bundle.items():
        if is_vega_mime(str(mime)):
            return vega_chart(value)
    for mime in _IMAGE_MIMES:
        value = bundle.get(mime)
        if isinstance(value, str):
            decoded = decode_data_url(value) if value.startswith("data:") else _b64(value)
            if decoded:
                return Chart("matplotlib", decoded, _alt(bundle))
    svg = bundle.get("image/svg+xml")
    if isinstance(svg, str):
        return Chart("svg", svg)
    return None


def decode_data_url(url: str) -> bytes | None:
    header, sep, payload = url.partition(",")
    if not sep:
        return None
    if header.endswith(";base64"):
        return _b64(payload)
    return unquote_to_bytes(payload)


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=False) or None
    except (binascii.Error, ValueError):
        return None


def _alt(bundle: Mapping[str, object]) -> str:
    plain = bundle.get("text/plain")
    return plain if isinstance(plain, str) and len(plain) < 200 else ""


def _loads(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _title(value: object) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return " ".join(_title(v) for v in value).strip()
    if isinstance(value, Mapping):
        return _title(value.get("text"))
    return ""


def _first_layer(spec: Mapping[str, object]) -> Mapping[str, object]:
    for key in ("layer", "hconcat", "vconcat", "concat"):
        parts = spec.get(key)
        if isinstance(parts, list) and parts and isinstance(parts[0], Mapping):
            return parts[0]
    return spec


def _encoding_title(spec: Mapping[str, object]) -> str:
    """`y by x` from the encoding, when the chart has no title of its own."""
    encoding = spec.get("encoding")
    if not isinstance(encoding, Mapping):
        return ""
    fields = {
        k: v.get("field") or v.get("aggregate")
        for k, v in encoding.items()
        if isinstance(v, Mapping)
    }
    x, y = fields.get("x"), fields.get("y")
    return f"{y} by {x}" if x and y else str(x or y or "")
