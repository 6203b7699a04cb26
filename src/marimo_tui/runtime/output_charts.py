"""Which kernel outputs are charts, as `output_blocks.Chart` (marimo 0.25.2, see the
`altair_*`, `plotly_*`, `matplotlib_*`, `mo_ui_matplotlib` and `svg_value` cases of
tests/outputs_corpus):

- an altair chart as a cell's value: mimetype `application/vnd.vegalite.v6+json`, the spec;
- `mo.ui.altair_chart`: `<marimo-vega data-spec='…'>` (JSON) inside a UI element;
- a plotly figure: `<marimo-plotly data-figure='…'>` (the figure's JSON);
- `mo.ui.matplotlib`: `<marimo-matplotlib data-chart-base64='"data:image/png;base64,…"'>`;
- a matplotlib figure (value, or `plt.show()` on the console's `media` channel):
  `application/vnd.marimo+mimebundle` with an `image/png` data URL;
- SVG: `image/svg+xml`, the text.

Only recognition lives here (no rendering, no heavy import); `outputs` builds the `Output`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from marimo_tui.runtime.output_blocks import Chart

_VEGA_MIME = re.compile(r"\Aapplication/vnd\.vegalite\.v\d+(\.\d+)*\+json\Z")
CHART_TAGS = ("marimo-vega", "marimo-plotly", "marimo-matplotlib")


def is_vega_mime(mimetype: str) -> bool:
    return bool(_VEGA_MIME.match(mimetype))


def vega_chart(data: object) -> Chart | None:
    text = data if isinstance(data, str) else json.dumps(data) if isinstance(data, dict) else ""
    return Chart("vega-lite", text) if text.strip() else None


def element_chart(tag: str, attrs: dict[str, str]) -> Chart | None:
    """The chart a marimo chart element carries (None when it carries none)."""
    if tag == "marimo-vega":
        spec = _json_attr(attrs.get("data-spec", ""))
        if isinstance(spec, str):  # sometimes a URL to a virtual file, sometimes JSON text
            return Chart("vega-lite", spec) if spec.lstrip().startswith("{") else None
        return Chart("vega-lite", json.dumps(spec)) if isinstance(spec, dict) else None
    if tag == "marimo-plotly":
        figure = attrs.get("data-figure", "")
        return Chart("plotly", figure) if figure.strip() else None
    if tag == "marimo-matplotlib":
        url = _json_attr(attrs.get("data-chart-base64", ""))
        png = _data_url_bytes(url) if isinstance(url, str) else None
        return Chart("matplotlib", png, _label(attrs)) if png else None
    return None


def _label(attrs: dict[str, str]) -> str:
    label = _json_attr(attrs.get("data-label", ""))
    return label if isinstance(label, str) else ""


def _data_url_bytes(url: str) -> bytes | None:
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def _json_attr(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
