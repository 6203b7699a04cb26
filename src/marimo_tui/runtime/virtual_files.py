"""Images marimo keeps on its server: `mo.image(...)` sends `<img src='./@file/N-M-x.png'>`,
alone or inside a layout, whose bytes the sidecar serves at `/@file/N-M-x.png` to a client
holding the token. Fetched once per output, from our own sidecar only (the path is checked to
be a bare virtual-file name, so no URL from a notebook is ever requested), with a size cap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from marimo_tui.runtime.output_blocks import Chart
from marimo_tui.runtime.output_layouts import Block, Media, map_blocks
from marimo_tui.runtime.outputs import Output

if TYPE_CHECKING:
    import httpx

VIRTUAL_IMAGE = re.compile(r"\A(?:\./|/)?(@file/[A-Za-z0-9_-]+\.[A-Za-z0-9]+)\Z")
MAX_BYTES = 32 * 1024 * 1024


def virtual_image(output: Output) -> str | None:
    """`@file/…` when the output is an image whose bytes are still on the server."""
    if output.kind != "image" or output.image is not None:
        return None
    return _bare(output.text)


def virtual_images(output: Output) -> tuple[str, ...]:
    """Every `@file/…` whose bytes the output waits for: an image output's, or the images in
    its layouts (`mo.image` in an `mo.hstack`)."""
    if output.kind == "blocks":
        found: list[str] = []

        def note(block: Block) -> Block:
            if isinstance(block, Media) and block.kind == "image":
                path = _bare(block.src)
                if path is not None and path not in found:
                    found.append(path)
            return block

        map_blocks(output.blocks, note)
        return tuple(found)
    path = virtual_image(output)
    return (path,) if path is not None else ()


def with_images(output: Output, images: Mapping[str, bytes]) -> Output:
    """The output with the fetched bytes in place of the files they were fetched from."""
    if output.kind != "blocks":
        path = virtual_image(output)
        return replace(output, image=images[path]) if path and path in images else output

    def fill(block: Block) -> Block:
        if isinstance(block, Media) and block.kind == "image":
            data = images.get(_bare(block.src) or "")
            if data is not None:
                return Chart("image", data, block.title)
        return block

    return replace(output, blocks=map_blocks(output.blocks, fill))


def _bare(src: str) -> str | None:
    match = VIRTUAL_IMAGE.match(src.strip())
    return match.group(1) if match else None


async def fetch(
    client: httpx.AsyncClient, base_url: str, headers: dict[str, str], path: str
) -> bytes | None:
    """The file's bytes, or None (gone, refused, too large, not an image)."""
    import httpx

    try:
        async with client.stream("GET", f"{base_url}/{path}", headers=headers) as response:
            kind = response.headers.get("content-type", "")
            if response.status_code != 200 or not kind.startswith("image/"):
                return None
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_BYTES:
                    return None
            return bytes(data)
    except httpx.HTTPError:
        return None
