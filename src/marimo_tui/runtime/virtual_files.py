"""Images marimo keeps on its server: `mo.image(...)` sends `<img src='./@file/N-M-x.png'>`,
whose bytes the sidecar serves at `/@file/N-M-x.png` to a client holding the token. Fetched
once per output, from our own sidecar only (the path is checked to be a bare virtual-file
name, so no URL from a notebook is ever requested), with a size cap.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from marimo_tui.runtime.outputs import Output

if TYPE_CHECKING:
    import httpx

VIRTUAL_IMAGE = re.compile(r"\A(?:\./|/)?(@file/[A-Za-z0-9_-]+\.[A-Za-z0-9]+)\Z")
MAX_BYTES = 32 * 1024 * 1024


def virtual_image(output: Output) -> str | None:
    """`@file/…` when the output is an image whose bytes are still on the server."""
    if output.kind != "image" or output.image is not None:
        return None
    match = VIRTUAL_IMAGE.match(output.text.strip())
    return match.group(1) if match else None


def with_image(output: Output, data: bytes) -> Output:
    return replace(output, image=data)


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
