"""Charts (`output_blocks.Chart`) as PNG pictures (their caption is `output_text.chart_caption`).

- vega-lite (altair): vl-convert renders the spec in its embedded JS engine, no browser; the
  spec's own vega-lite version is used when vl-convert ships it; external data is not fetched.
- svg: vl-convert's resvg (`svg_to_png`).
- matplotlib / image: the bytes as they are, scaled with Pillow.
- plotly: kaleido needs a Chrome, so the figure's traces (scatter, line, bar, histogram,
  heatmap) are drawn natively with matplotlib's object API when matplotlib is installed
  (`plotly_picture`); other traces, or no matplotlib, leave the caption saying why.

Every library is imported inside the function that needs it: nothing here costs the first
frame, and a chart pays only for its own kind. Called off the UI thread.
"""

from __future__ import annotations

import io
import json
import re
from typing import TYPE_CHECKING, Any

from marimo_tui.runtime.output_blocks import Chart

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

SMALL_PX = 200  # a picture this narrow is seen as half blocks: thicker marks, larger text
# vega-lite config for small pictures: a chart of ~700 px shrunk 10x keeps 0.2 px lines, which
# half blocks show as faint smudges; these keep the data readable (the spec's own config wins).
SMALL_VEGA_CONFIG: dict[str, Any] = {
    "line": {"strokeWidth": 6},
    "point": {"size": 200},
    "rule": {"strokeWidth": 4},
    "axis": {
        "labelFontSize": 18,
        "titleFontSize": 18,
        "domainWidth": 3,
        "tickWidth": 3,
        "gridOpacity": 0.5,
    },
    "title": {"fontSize": 24},
}


class NoPicture(Exception):
    """Why a chart cannot be drawn; its text goes into the caption."""


def picture(chart: Chart, width_px: int, height_px: int | None = None) -> bytes | None:
    """PNG bytes of the chart fitted into `width_px` × `height_px` (None: any height), or None
    when it cannot be drawn; `picture_or_reason` says why."""
    try:
        return picture_or_reason(chart, width_px, height_px)
    except NoPicture:
        return None


def picture_or_reason(chart: Chart, width_px: int, height_px: int | None = None) -> bytes:
    """Like `picture`; raises `NoPicture` with a short reason."""
    out = io.BytesIO()
    # Made to be decoded at once: speed over size.
    picture_image(chart, width_px, height_px).save(out, "PNG", compress_level=1)
    return out.getvalue()


def picture_image(chart: Chart, width_px: int, height_px: int | None = None) -> PILImage:
    """The picture as an RGB Pillow image (what half blocks are made from: no PNG round
    trip); raises `NoPicture`."""
    if chart.kind in ("matplotlib", "image"):
        raw = chart.data if isinstance(chart.data, bytes) else chart.data.encode("latin-1")
    elif chart.kind == "vega-lite":
        raw = _vega_png(_text(chart.data), small=width_px <= SMALL_PX)
    elif chart.kind == "svg":
        raw = _svg_png(_text(chart.data), width_px, height_px)
    elif chart.kind == "plotly":
        from marimo_tui.runtime.plotly_picture import plotly_png

        raw = plotly_png(_text(chart.data), width_px)
    else:
        raise NoPicture(f"{chart.kind}: not drawn")
    return fit_image(raw, width_px, height_px)


def fit_image(raw: bytes, width_px: int, height_px: int | None) -> PILImage:
    """The image scaled (never up) to fit the box, flattened onto white, in RGB."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as opened:
            opened.draft("RGB", (width_px, height_px or width_px))  # JPEG: decode smaller
            has_alpha = opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info
            image = opened.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise NoPicture(f"image could not be decoded: {type(error).__name__}") from error
    flat = image
    if has_alpha:
        # Plots are drawn for a white page; on a dark terminal a transparent one hides lines.
        page = Image.new("RGBA", image.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(page, image).convert("RGB")
    scale = min(1.0, width_px / max(1, flat.width))
    if height_px is not None:
        scale = min(scale, height_px / max(1, flat.height))
    if scale < 1.0:
        size = (max(1, round(flat.width * scale)), max(1, round(flat.height * scale)))
        flat = flat.resize(size, Image.Resampling.LANCZOS)
    return flat


def _text(data: bytes | str) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


_SCHEMA_VERSION = re.compile(r"vega-lite/v(\d+)(?:\.(\d+))?")


def vega_lite_version(spec: dict[str, Any], known: list[str]) -> str | None:
    """The vl-convert version (`6.4`) matching the spec's `$schema`: the same minor when
    shipped, else the newest of the same major, else None (vl-convert's default)."""
    match = _SCHEMA_VERSION.search(str(spec.get("$schema", "")))
    if match is None:
        return None
    major, minor = match.group(1), match.group(2)
    if minor is not None and f"{major}.{minor}" in known:
        return f"{major}.{minor}"
    same_major = [v for v in known if v.split(".")[0] == major]
    if not same_major:
        return None
    return max(same_major, key=lambda v: tuple(int(p) for p in v.split(".")))


# Characters XML 1.0 forbids. vl-convert (1.9) measures text by parsing it as SVG and *aborts
# the process* (a Rust panic that cannot unwind) on one of these in a title, a label or a data
# value: a notebook must not be able to kill the workbench that way.
_NON_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(value: Any) -> Any:
    """The spec with every string (keys too, so field references still match) stripped of
    characters XML forbids; each becomes U+FFFD."""
    if isinstance(value, str):
        return _NON_XML.sub("\ufffd", value)
    if isinstance(value, list):
        return [xml_safe(item) for item in value]
    if isinstance(value, dict):
        return {xml_safe(key): xml_safe(item) for key, item in value.items()}
    return value


def _vega_png(source: str, small: bool = False) -> bytes:
    try:
        import vl_convert
    except ImportError as error:
        raise NoPicture("needs vl-convert-python to draw") from error
    try:
        spec = xml_safe(json.loads(source))
    except ValueError as error:
        raise NoPicture("spec is not JSON") from error
    if not isinstance(spec, dict):
        raise NoPicture("spec is not an object")
    if "@file/" in str((spec.get("data") or {}).get("url", "")):
        # mo.ui.altair_chart keeps the rows on the marimo server (Arrow); not fetched yet.
        raise NoPicture("its data is a file on the marimo server: not drawn")
    version = vega_lite_version(spec, list(vl_convert.get_vegalite_versions()))
    try:
        # No base URL allowed: a spec naming remote data must not make us fetch it.
        kwargs: dict[str, Any] = {"scale": 2.0, "allowed_base_urls": []}
        if small:
            # 1:1 is plenty for ~100 px of half blocks, and a third of the time of 2:1
            # (22 against 65 ms for the corpus's line chart).
            kwargs.update(scale=1.0, config=SMALL_VEGA_CONFIG)
        if version is not None:
            kwargs["vl_version"] = version
        png: bytes = vl_convert.vegalite_to_png(spec, **kwargs)
    except Exception as error:  # vl-convert raises plain ValueError/RuntimeError with JS text
        raise NoPicture(f"vega-lite: {_short(error)}") from error
    return png


def _svg_png(svg: str, width_px: int, height_px: int | None) -> bytes:
    """Vector: drawn at the scale that fills the box (a first pass at 1:1 gives its size)."""
    try:
        import vl_convert
    except ImportError as error:
        raise NoPicture("needs vl-convert-python to draw") from error
    try:
        png: bytes = vl_convert.svg_to_png(svg, scale=1.0)
        from PIL import Image

        with Image.open(io.BytesIO(png)) as natural:
            width, height = natural.size
        scale = width_px / max(1, width)
        if height_px is not None:
            scale = min(scale, height_px / max(1, height))
        if scale > 1.0:
            png = vl_convert.svg_to_png(svg, scale=min(scale, 16.0))
    except Exception as error:
        raise NoPicture(f"svg: {_short(error)}") from error
    return png


def _short(error: Exception) -> str:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return first[:120]
