"""Pictures in strip-based views: images and charts as half-block rows (`▀`, the upper pixel
the foreground colour, the lower one the background), made off the UI thread and cached.

`chart_strips` is what a view calls for a `Chart`: the caption line at once, the picture's
rows below it once a worker thread has drawn them (`on_ready` is then called on the event
loop, and the next call returns them). Pictures are cached by `Chart.key`, a width bucket
and the row budget, so reruns that send the same chart, and small width changes, draw
nothing again.

Half blocks only, here: sixel and kitty graphics cannot be placed inside a line-API widget's
strips (they are not cells), so the cell view draws half blocks everywhere and the output
viewer (`v`) uses textual-image's widgets where `tui/images.py` found a terminal that has
them. Every sequence written is made by rich/Textual from colours, never from notebook text.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from marimo_tui.runtime.output_blocks import Chart
from marimo_tui.runtime.output_text import chart_caption
from marimo_tui.safe_text import one_line

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

WIDTH_BUCKET = 8  # columns: a picture is redrawn only when the width crosses a multiple
CACHE_SIZE = 64  # pictures kept (each a few hundred strips at most)

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
# (chart key, width bucket, rows) -> picture rows, or the reason there is no picture
_cache: OrderedDict[tuple[str, int, int], list[Strip] | str] = OrderedDict()
# jobs under way, per event loop (tests run several): who to tell when each is done
_waiting: dict[tuple[int, tuple[str, int, int]], list[Callable[[], None]]] = {}
# chart key -> the cache key of its newest picture: shown (cropped) while another width is
# drawn, so a resize does not make the picture blink out and the rows below jump
_latest: dict[str, tuple[str, int, int]] = {}


def bucket(width: int) -> int:
    return max(WIDTH_BUCKET, width - width % WIDTH_BUCKET)


def chart_strips(
    chart: Chart,
    width: int,
    max_rows: int,
    caption_style: Style,
    on_ready: Callable[[], None] | None = None,
) -> list[Strip]:
    """The caption, then the picture in at most `max_rows` rows of `width` cells.

    Inside a running event loop a picture not yet drawn is drawn by a worker thread and
    only the caption is returned (`on_ready` follows); outside one it is drawn at once."""
    key = (chart.key, bucket(width), max(1, max_rows))
    picture = cached_picture(key)
    if picture is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            picture = _draw(chart, key)
        else:
            _schedule(loop, chart, key, on_ready)
            interim = _interim(chart.key, key[2])
            if interim is not None:
                head = chart_caption(chart)
                rows = [Strip([Segment(one_line(head)[:width], caption_style)])]
                return rows + [strip.crop(0, width) for strip in interim]
    head = chart_caption(chart, picture if isinstance(picture, str) else "")
    if picture is None:
        head += " · drawing…"
    rows = [Strip([Segment(one_line(head)[:width], caption_style)])]
    return rows + picture if isinstance(picture, list) else rows


def _interim(chart_key: str, rows: int) -> list[Strip] | None:
    """The chart's newest picture at another width (same row budget), if one is cached."""
    latest = _latest.get(chart_key)
    if latest is None or latest[2] != rows:
        return None
    found = cached_picture(latest)
    return found if isinstance(found, list) else None


def cached_picture(key: tuple[str, int, int]) -> list[Strip] | str | None:
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
        return found


def _store(key: tuple[str, int, int], picture: list[Strip] | str) -> None:
    with _lock:
        _cache[key] = picture
        _latest[key[0]] = key
        while len(_cache) > CACHE_SIZE:
            gone, _ = _cache.popitem(last=False)
            if _latest.get(gone[0]) == gone:
                del _latest[gone[0]]


def _draw(chart: Chart, key: tuple[str, int, int]) -> list[Strip] | str:
    """Runs in the worker: chart → PNG → half-block rows (or the reason it failed)."""
    from marimo_tui.runtime.charts import NoPicture, picture_image

    _, columns, rows = key
    try:
        picture: list[Strip] | str = image_rows(picture_image(chart, columns, rows * 2), rows)
    except NoPicture as problem:
        picture = str(problem)
    except Exception as error:  # a chart must never take the view down
        picture = f"not drawn: {type(error).__name__}"
    _store(key, picture)
    return picture


def _schedule(
    loop: asyncio.AbstractEventLoop,
    chart: Chart,
    key: tuple[str, int, int],
    on_ready: Callable[[], None] | None,
) -> None:
    global _executor
    job = (id(loop), key)
    callbacks = _waiting.get(job)
    if callbacks is not None:  # already being drawn: wait for the same job
        if on_ready is not None:
            callbacks.append(on_ready)
        return
    _waiting[job] = [on_ready] if on_ready is not None else []
    if _executor is None:
        # One worker: vl-convert and matplotlib each hold a lock anyway, and the UI thread
        # keeps the other core.
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")
    future = loop.run_in_executor(_executor, _draw, chart, key)

    def done(_: object) -> None:
        for callback in _waiting.pop(job, []):
            callback()

    future.add_done_callback(done)


def clear_cache() -> None:
    """For tests and benchmarks: forget every picture."""
    with _lock:
        _cache.clear()
        _latest.clear()


# -- half blocks ------------------------------------------------------------------------------
def image_strips(data: bytes, width: int, max_rows: int) -> list[Strip]:
    """The image scaled into `width` × `max_rows` cells, two pixels per cell (▀)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (width, max_rows * 2))  # JPEG decodes at a lower scale
            picture = _flatten(opened)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        return [Strip([Segment(one_line(f"[image could not be decoded: {error}]")[:width])])]
    source_width, source_height = picture.size
    scale = min(width / max(1, source_width), (max_rows * 2) / max(1, source_height))
    columns = max(1, min(width, round(source_width * scale)))
    rows = max(1, min(max_rows, round(source_height * scale / 2)))
    if (columns, rows * 2) != picture.size:
        resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BICUBIC
        picture = picture.resize((columns, rows * 2), resample)
    return image_rows(picture, rows)


def image_rows(picture: PILImage, max_rows: int) -> list[Strip]:
    """An RGB image, one pixel per column, as rows of `▀` (an odd last pixel row: white)."""
    from PIL import Image

    columns = picture.width
    rows = min(max_rows, (picture.height + 1) // 2)
    if picture.height < rows * 2:
        padded = Image.new("RGB", (columns, rows * 2), (255, 255, 255))
        padded.paste(picture, (0, 0))
        picture = padded
    pixels = picture.tobytes()
    styles: dict[bytes, Style] = {}
    strips: list[Strip] = []
    stride = columns * 3
    for row in range(rows):
        top = row * 2 * stride
        segments: list[Segment] = []
        run_key = b""
        run_length = 0
        for x in range(0, stride, 3):
            key = pixels[top + x : top + x + 3] + pixels[top + stride + x : top + stride + x + 3]
            if key != run_key and run_length:
                segments.append(Segment("▀" * run_length, _pixel_style(run_key, styles)))
                run_length = 0
            run_key = key
            run_length += 1
        segments.append(Segment("▀" * run_length, _pixel_style(run_key, styles)))
        strips.append(Strip(segments, columns))
    return strips


def _pixel_style(key: bytes, cache: dict[bytes, Style]) -> Style:
    style = cache.get(key)
    if style is None:
        style = Style(color=Color.from_rgb(*key[:3]), bgcolor=Color.from_rgb(*key[3:]))
        cache[key] = style
    return style


def _flatten(image: PILImage) -> PILImage:
    from PIL import Image

    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    # Plots and icons are drawn for a white page; a dark terminal would hide their lines.
    page = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(page, rgba).convert("RGB")
