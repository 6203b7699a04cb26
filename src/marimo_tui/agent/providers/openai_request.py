"""What is sent to an OpenAI-compatible endpoint: where its API is, and each message in the
API's JSON (the body around them is `OpenAIProvider.body`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from marimo_tui.agent.providers.base import ChatMessage, unparsed_arguments


def api_base(url: str) -> str:
    """`http://host:port` and `http://host:port/v1` both mean the `/v1` API."""
    url = url.strip()
    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def server_root(base: str) -> str:
    """The server's own root (llama-server's `/props`, `/health`): the API base without `/v1`."""
    return base[: -len("/v1")] if base.endswith("/v1") else base


def wire_message(message: ChatMessage) -> dict[str, Any]:
    # `content` is always a string: llama-cpp-python answers HTTP 500 to a null one.
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": _arguments(c.arguments)},
            }
            for c in message.tool_calls
        ]
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id or ""
    return out


def _arguments(raw: Mapping[str, Any] | str) -> str:
    """Arguments as JSON text; strict servers (vLLM) reject history whose arguments don't parse."""
    from marimo_tui.agent.repair import parse_arguments

    try:
        return json.dumps(parse_arguments(raw), ensure_ascii=False)
    except ValueError:
        return json.dumps(unparsed_arguments(raw), ensure_ascii=False)
