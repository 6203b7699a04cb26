"""A plotly figure (its JSON: `data` traces and `layout`) drawn natively with matplotlib.

kaleido, plotly's own image export, drives a Chrome that a terminal host seldom has. The
traces people mostly plot — scatter/line, bar, histogram, heatmap — are drawn here on
matplotlib's object API (`Figure` + Agg canvas: no pyplot, no global state, safe in a worker
thread), one axes per plotly subplot (`xaxis`/`yaxis` of each trace). Any other trace type
raises `NoPicture` naming it, so the caption says what was not drawn.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from typing import Any

from marimo_tui.runtime.charts import NoPicture

DRAWN = ("scatter", "scattergl", "bar", "histogram", "heatmap")
_PALETTE = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692")
DPI = 100


def plotly_png(source: str, width_px: int) -> bytes:
    try:
        figure = json.loads(source)
    except ValueError as error:
        raise NoPicture("plotly: figure is not JSON") from error
    traces = figure.get("data") if isinstance(figure, dict) else None
    if not isinstance(traces, list) or not traces:
        raise NoPicture("plotly: no traces")
    kinds = {str(t.get("type", "scatter")) for t in traces if isinstance(t, dict)}
    undrawn = sorted(kinds - set(DRAWN))
    if undrawn:
        raise NoPicture(f"plotly: {', '.join(undrawn)} charts not drawn")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise NoPicture("plotly: needs matplotlib to draw") from error
    layout = figure.get("layout") or {}
    panels = sorted({_panel(t) for t in traces}, key=lambda p: (len(p[0]), p))
    # Wide rather than tall: the picture shares a terminal pane with text.
    width_in = max(4.0, min(12.0, width_px / DPI))
    fig = Figure(figsize=(width_in, width_in * 0.5), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    by_panel = dict(zip(panels, axes, strict=True))
    for index, trace in enumerate(traces):
        ax = by_panel[_panel(trace)]
        _draw(ax, trace, _PALETTE[index % len(_PALETTE)])
    for (xname, yname), ax in by_panel.items():
        _label(ax, layout.get(_layout_key(xname)), "x")
        _label(ax, layout.get(_layout_key(yname)), "y")
    title = layout.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if title:
        fig.suptitle(_plain(title))
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", facecolor="white")
    return out.getvalue()


def _panel(trace: dict[str, Any]) -> tuple[str, str]:
    return str(trace.get("xaxis", "x")), str(trace.get("yaxis", "y"))


def _layout_key(axis: str) -> str:
    """`x2` → `xaxis2`."""
    return f"{axis[0]}axis{axis[1:]}"


def _label(ax: Any, axis: object, which: str) -> None:
    if not isinstance(axis, dict):
        return
    title = axis.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if title:
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(_plain(title))


def _plain(text: object) -> str:
    """A plotly title as matplotlib should print it: plotly's HTML tags out, `$` not math."""
    return re.sub(r"<[^>]*>", "", str(text)).replace("$", r"\$")


def _values(trace: dict[str, Any], key: str) -> list[Any] | None:
    value = trace.get(key)
    if isinstance(value, dict) and "bdata" in value:  # plotly 6+: typed arrays, base64
        return _typed_array(value)
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else None


def _typed_array(value: dict[str, Any]) -> list[Any]:
    import base64
    import struct

    codes = {"f8": "d", "f4": "f", "i4": "i", "u4": "I", "i2": "h", "u2": "H", "i1": "b", "u1": "B"}
    code = codes.get(str(value.get("dtype", "f8")))
    if code is None:
        raise NoPicture(f"plotly: typed array {value.get('dtype')} not read")
    raw = base64.b64decode(value["bdata"])
    count = len(raw) // struct.calcsize(code)
    flat = list(struct.unpack(f"<{count}{code}", raw))
    shape = str(value.get("shape", "")).split(",")
    if len(shape) == 2 and shape[1].strip():
        columns = int(shape[1])
        return [flat[i : i + columns] for i in range(0, len(flat), columns)]
    return flat


def _draw(ax: Any, trace: dict[str, Any], color: str) -> None:
    kind = str(trace.get("type", "scatter"))
    x, y = _values(trace, "x"), _values(trace, "y")
    name = trace.get("name")
    if kind in ("scatter", "scattergl"):
        y = y or []
        x = x if x is not None else list(range(len(y)))
        mode = str(trace.get("mode", "lines+markers" if len(y) <= 20 else "lines"))
        style = ("-" if "lines" in mode else "") + ("o" if "markers" in mode else "")
        ax.plot(x, y, style or "-", color=color, label=name, markersize=4)
    elif kind == "bar":
        if str(trace.get("orientation", "v")) == "h":
            x = x or []
            ax.barh([str(v) for v in (y or range(len(x)))], x, color=color, label=name)
        else:
            y = y or []
            ax.bar([str(v) for v in (x or range(len(y)))], y, color=color, label=name)
    elif kind == "histogram":
        ax.hist(x if x is not None else (y or []), bins=trace.get("nbinsx") or "auto", color=color)
    elif kind == "heatmap":
        z = _values(trace, "z") or []
        ax.imshow(z, aspect="auto", origin="lower", cmap="viridis")
