"""Reading an OpenAI-compatible streamed answer: the data of each server-sent event, and the
chunks of one answer added up into deltas — text as it comes, tool calls whole (however the
server splits or numbers them), the usage with what the server had cached, the finish reason."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from marimo_tui.agent.providers.base import (
    Delta,
    Done,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    one_line,
)


@dataclass
class _PendingCall:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    whole: Mapping[str, Any] | None = None  # servers that send arguments as an object


@dataclass
class AnswerStream:
    """What the chunks of one answer add up to."""

    calls: dict[int, _PendingCall] = field(default_factory=dict)
    reason: str | None = None
    finished: bool = False  # `[DONE]` seen
    usage: Mapping[str, Any] | None = None
    timings: Mapping[str, Any] | None = None  # llama-server's, in the same or another event
    events: int = 0  # stream events seen: none at all is a silent close

    def feed(self, data: str) -> list[Delta]:
        self.events += 1
        if data.strip() == "[DONE]":
            self.finished = True
            return []
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            raise ProviderError(
                f"the endpoint sent a stream event that is not JSON: {one_line(data, 80)}",
                "check that agent.host points at an OpenAI-compatible API",
            ) from None
        if not isinstance(chunk, dict):
            return []
        if chunk.get("error"):
            raise ProviderError(
                f"the endpoint failed mid-answer: {error_text(chunk['error'])}",
                "check the server's log",
            )
        out: list[Delta] = []
        if isinstance(usage := chunk.get("usage"), dict):
            self.usage = usage
        if isinstance(timings := chunk.get("timings"), dict):
            self.timings = timings
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta")
            delta = delta if isinstance(delta, dict) else {}
            if content := delta.get("content"):
                out.append(TextDelta(str(content)))
            for part in delta.get("tool_calls") or ():
                if isinstance(part, dict):
                    self._add_call(part)
            if choice.get("finish_reason"):
                self.reason = str(choice["finish_reason"])
                out.extend(self._flush())
        return out

    def close(self) -> list[Delta]:
        out = self._flush()
        if self.usage is not None:
            out.append(_usage(self.usage, self.timings))
        out.append(Done(self.reason or "stop"))
        return out

    def _add_call(self, part: Mapping[str, Any]) -> None:
        index = part.get("index")
        call_id = part.get("id") or None
        if not isinstance(index, int):
            # Some servers leave the index out: a new id starts a call, no id continues the last.
            ids = {c.id: i for i, c in self.calls.items() if c.id}
            if call_id in ids:
                index = ids[call_id]
            elif call_id or not self.calls:
                index = max(self.calls, default=-1) + 1
            else:
                index = max(self.calls)
        call = self.calls.setdefault(index, _PendingCall())
        call.id = call.id or call_id
        function = part.get("function")
        function = function if isinstance(function, dict) else {}
        name = str(function.get("name") or "")
        if name != call.name:  # names come whole; a server repeating one must not double it
            call.name += name
        arguments = function.get("arguments")
        if isinstance(arguments, Mapping):
            call.whole = arguments
        elif arguments:
            call.arguments.append(str(arguments))

    def _flush(self) -> list[Delta]:
        out: list[Delta] = []
        for index in sorted(self.calls):
            call = self.calls.pop(index)
            arguments = call.whole if call.whole is not None else "".join(call.arguments)
            out.append(
                ToolCallDelta(ToolCall(call.id or f"call_{index + 1}", call.name, arguments))
            )
        return out


async def sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The data of each server-sent event (`data:` lines up to a blank line)."""
    data: list[str] = []
    async for line in lines:
        if not line.strip():
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
            if value.strip() == "[DONE]":  # some servers send no blank line after it
                yield "\n".join(data)
                data = []
    if data:
        yield "\n".join(data)


def _usage(usage: Mapping[str, Any], timings: object) -> Usage:
    """OpenAI's usage, with what is cached from llama-server's `timings` (cache_n, prompt_ms)
    or OpenAI's `prompt_tokens_details.cached_tokens`."""
    cached: int | None = None
    first: float | None = None
    details = usage.get("prompt_tokens_details")
    if isinstance(details, dict) and isinstance(details.get("cached_tokens"), int):
        cached = details["cached_tokens"]
    if isinstance(timings, dict):
        if isinstance(timings.get("cache_n"), int):
            cached = timings["cache_n"]
        if isinstance(timings.get("prompt_ms"), int | float):
            first = float(timings["prompt_ms"])
    return Usage(
        int(usage.get("prompt_tokens") or 0),
        int(usage.get("completion_tokens") or 0),
        cached,
        first,
    )


def error_text(error: Any) -> str:
    if isinstance(error, dict):
        error = error.get("message") or error.get("error") or json.dumps(error)
    return one_line(str(error))
