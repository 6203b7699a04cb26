"""Text that cannot be encoded as UTF-8 is repaired at the provider boundary.

A model (or a saved conversation) can carry a lone UTF-16 surrogate — `"\\ud800"` in JSON
decodes to a `str` that no UTF-8 encoder takes. Left in, it fails the write of the notebook, the
transcript line and every later request of the conversation. Every string that crosses a
provider, in or out, is repaired here: a surrogate pair becomes its character, a lone surrogate
becomes U+FFFD (the replacement character), as a UTF-8 decoder would treat broken bytes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from marimo_tui.agent.providers.base import (
    ChatMessage,
    Delta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
)

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
# In JSON text (arguments a model sent as a string): an escaped backslash, a well-formed
# escaped pair, or a lone escaped surrogate — only the last is rewritten.
_JSON_ESCAPE = re.compile(
    r"(\\\\)"
    r"|(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
)


def repair_text(text: str) -> str:
    """`text` with surrogates made encodable: pairs joined, lone ones U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _SURROGATE.sub(REPLACEMENT, joined)


def repair_json_text(text: str) -> str:
    """JSON text whose `\\uD800`-style escapes would decode to a lone surrogate gets
    `\\ufffd` there instead (and its raw characters repaired as by `repair_text`)."""

    def one(match: re.Match[str]) -> str:
        return "\\ufffd" if match.group(3) else match.group(0)

    return _JSON_ESCAPE.sub(one, repair_text(text))


def repair_value(value: Any) -> Any:
    """A JSON-like value with every string in it (keys too) repaired."""
    if isinstance(value, str):
        return repair_text(value)
    if isinstance(value, Mapping):
        return {repair_value(k): repair_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [repair_value(v) for v in value]
    return value


def repair_call(call: ToolCall) -> ToolCall:
    arguments = call.arguments
    fixed: Mapping[str, Any] | str = (
        repair_json_text(arguments) if isinstance(arguments, str) else repair_value(arguments)
    )
    if (
        fixed == arguments
        and repair_text(call.name) == call.name
        and call.id == repair_text(call.id)
    ):
        return call
    return ToolCall(repair_text(call.id), repair_text(call.name), fixed)


def repair_message(message: ChatMessage) -> ChatMessage:
    """The message as it can be sent: content, calls, names all encodable."""
    content = repair_text(message.content)
    calls = tuple(repair_call(c) for c in message.tool_calls)
    name = repair_text(message.name) if message.name else message.name
    call_id = repair_text(message.tool_call_id) if message.tool_call_id else message.tool_call_id
    if (content, calls, name, call_id) == (
        message.content,
        message.tool_calls,
        message.name,
        message.tool_call_id,
    ):
        return message
    return replace(message, content=content, tool_calls=calls, name=name, tool_call_id=call_id)


def repair_messages(messages: list[ChatMessage]) -> list[ChatMessage]:
    return [repair_message(m) for m in messages]


def repair_delta(delta: Delta) -> Delta:
    if isinstance(delta, TextDelta):
        text = repair_text(delta.text)
        return delta if text is delta.text else TextDelta(text)
    if isinstance(delta, ToolCallDelta):
        call = repair_call(delta.call)
        return delta if call is delta.call else ToolCallDelta(call)
    return delta


async def repaired(deltas: AsyncIterator[Delta]) -> AsyncIterator[Delta]:
    """`deltas` with every text and call repaired; closing this closes `deltas`."""
    try:
        async for delta in deltas:
            yield repair_delta(delta)
    finally:
        close = getattr(deltas, "aclose", None)
        if close is not None:
            await close()
