"""Any OpenAI-compatible endpoint (llama.cpp server, vLLM, LM Studio, OpenRouter): streaming
`/chat/completions` over httpx, read as server-sent events."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from marimo_tui.agent.providers.base import (
    ChatMessage,
    Delta,
    Done,
    ProviderError,
    ProviderInfo,
    RequestOptions,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
    Window,
    one_line,
    unparsed_arguments,
)
from marimo_tui.agent.providers.text_repair import repair_delta, repair_messages

if TYPE_CHECKING:
    import httpx  # imported when a request is made: the package stays cheap to import


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


class OpenAIProvider:
    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 120.0,
        *,
        key_env: str | None = None,
    ) -> None:
        self.model = model
        self.base_url = api_base(base_url)
        self.timeout = timeout
        self.info = ProviderInfo(
            "openai", model, f"openai · {model}", extra={"base_url": self.base_url}
        )
        self._key = api_key or None
        self._key_env = key_env  # named in the fix when the endpoint refuses the key
        self._client: httpx.AsyncClient | None = None
        self._server_props: dict[str, Any] | None = None

    def __repr__(self) -> str:  # never the key
        return f"OpenAIProvider(model={self.model!r}, base_url={self.base_url!r})"

    async def stream(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Delta]:
        options = options or RequestOptions()
        try:
            wire = repair_messages(messages)
            async with contextlib.aclosing(self._stream(wire, tools, options)) as deltas:
                async for delta in deltas:
                    yield repair_delta(delta)
        except Exception as exc:  # httpx's errors and our own, each made one scrubbed line
            raise self._scrub(self._error(exc)) from None

    def body(
        self, messages: list[ChatMessage], tools: list[ToolSpec], options: RequestOptions
    ) -> dict[str, Any]:
        """The request body: bounded output always; tools, or a JSON schema to answer in."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [_wire(m) for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": options.max_tokens,
        }
        if options.temperature is not None:
            body["temperature"] = options.temperature
        if options.schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "step", "strict": True, "schema": dict(options.schema)},
            }
        elif tools:
            body["tools"] = [t.wire() for t in tools]
            if options.tool_choice != "omit":
                body["tool_choice"] = options.tool_choice
        return body

    async def _stream(
        self, messages: list[ChatMessage], tools: list[ToolSpec], options: RequestOptions
    ) -> AsyncGenerator[Delta, None]:
        body = self.body(messages, tools, options)
        headers = {"Accept": "text/event-stream"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        url = f"{self.base_url}/chat/completions"
        state = _Stream()
        async with self._connect().stream("POST", url, json=body, headers=headers) as reply:
            if reply.status_code >= 400:
                await reply.aread()
                text = self._redact(reply.text)
                raise self._status(reply.status_code, text, bool(body.get("tools")))
            async for data in _events(reply.aiter_lines()):
                for delta in state.feed(self._redact(data)):
                    yield delta
                if state.finished:
                    break
        if state.events == 0:
            raise self._silent(bool(body.get("tools")))
        # Servers that send no `[DONE]` still end a whole answer with a finish reason.
        if not (state.finished or state.reason):
            raise self._cut()
        for delta in state.close():
            yield delta

    async def window(self) -> Window | None:
        """llama-server's `/props` (its slot's n_ctx), else vLLM's `max_model_len`."""
        import httpx

        props = await self._props()
        settings = props.get("default_generation_settings")
        n_ctx = (settings.get("n_ctx") if isinstance(settings, dict) else None) or props.get(
            "n_ctx"
        )
        if isinstance(n_ctx, int) and n_ctx > 0:
            return Window(n_ctx, "llama-server /props")
        with contextlib.suppress(httpx.HTTPError, ValueError):
            reply = await self._connect().get(f"{self.base_url}/models", headers=self._auth())
            body = reply.json() if reply.status_code == 200 else None
            if isinstance(body, dict) and isinstance(body.get("data"), list):
                for model in body["data"]:
                    if isinstance(model, dict) and model.get("id") == self.model:
                        length = model.get("max_model_len")
                        if isinstance(length, int) and length > 0:
                            return Window(length, "/v1/models max_model_len")
        return None

    async def native_tools(self) -> bool | None:
        """llama-server says whether its chat template renders tools (`chat_template_caps`):
        without, it leaves them out of the prompt and the model never calls one."""
        caps = (await self._props()).get("chat_template_caps")
        if isinstance(caps, dict) and isinstance(caps.get("supports_tool_calls"), bool):
            return bool(caps["supports_tool_calls"])
        return None

    async def _props(self) -> dict[str, Any]:
        """llama-server's `/props`, kept once it answered; {} until then (a server still
        loading its model answers 503) and from other servers."""
        if self._server_props is not None:
            return self._server_props
        import httpx

        with contextlib.suppress(httpx.HTTPError, ValueError):
            url = f"{server_root(self.base_url)}/props"
            reply = await self._connect().get(url, headers=self._auth())
            body = reply.json() if reply.status_code == 200 else None
            if isinstance(body, dict):
                self._server_props = body
                return body
        return {}

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}"} if self._key else {}

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _connect(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    def _error(self, exc: Exception) -> ProviderError:
        import httpx

        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, httpx.TimeoutException):
            return ProviderError(
                f"{self.base_url} did not answer within {self.timeout:g} s",
                "raise agent.request_timeout, or use a smaller model",
            )
        if isinstance(exc, httpx.ConnectError):
            return ProviderError(
                f"cannot reach the OpenAI-compatible endpoint at {self.base_url}",
                "start its server or set agent.host",
            )
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
            return self._cut()
        return ProviderError(
            f"request to {self.base_url} failed: {type(exc).__name__}: {one_line(str(exc))}",
            "check agent.host",
        )

    def _cut(self) -> ProviderError:
        return ProviderError(
            f"{self.base_url} closed the connection mid-answer",
            "try again; if it repeats, check the server's log",
        )

    def _silent(self, tools: bool) -> ProviderError:
        """HTTP 200, then the stream closed with not one event."""
        why = (
            "the prompt may be larger than its window, or it cannot stream tool calls with "
            "this model's chat template"
            if tools
            else "the prompt may be larger than its window"
        )
        return ProviderError(
            f"{self.base_url} accepted the request, then closed without answering: {why}",
            "set agent.tool_choice: required, or agent.tool_mode: json; or give the server a "
            "larger window (-c) / set agent.context_window",
            no_tools=tools,
        )

    def _status(self, status: int, text: str, tools: bool = False) -> ProviderError:
        said = _server_message(text)
        lowered = said.lower()
        if status in (400, 500) and ("context" in lowered or "too long" in lowered):
            return ProviderError(
                f"{self.base_url} refused a prompt larger than its window (HTTP {status}: {said})",
                "set agent.context_window to the server's window, or start it with a larger -c",
            )
        if tools and ("tool" in lowered or "jinja" in lowered or "template" in lowered):
            return ProviderError(
                f"{self.base_url} cannot take tool calls for {self.model} (HTTP {status}: {said})",
                "start llama-server with --jinja, or set agent.tool_mode: json",
                no_tools=True,
            )
        if status in (401, 403):
            what = "refused the API key" if self._key else "wants an API key"
            env = f"${self._key_env} (named by agent.api_key_env)" if self._key_env else None
            return ProviderError(
                f"{self.base_url} {what} (HTTP {status}: {said})",
                f"set {env or 'the variable named in agent.api_key_env'} to a key it accepts",
            )
        if status == 404:
            return ProviderError(
                f"{self.base_url} has no model {self.model} (HTTP 404: {said})",
                "set agent.model to a model the server serves, or check agent.host",
            )
        return ProviderError(
            f"{self.base_url} answered HTTP {status}: {said}", "check the server's log"
        )

    def _scrub(self, error: ProviderError) -> ProviderError:
        """Servers echo keys in their errors; the chat and the logs must never show one."""
        if not self._key or self._key not in str(error):
            return error
        return ProviderError(
            error.message.replace(self._key, "***"),
            error.fix.replace(self._key, "***"),
            no_tools=error.no_tools,
        )

    def _redact(self, text: str) -> str:
        """The key out of a server's text before it is cut to one line (a key cut in two
        would no longer be found, and its first half would show)."""
        return text.replace(self._key, "***") if self._key and self._key in text else text


@dataclass
class _PendingCall:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    whole: Mapping[str, Any] | None = None  # servers that send arguments as an object


@dataclass
class _Stream:
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
                f"the endpoint failed mid-answer: {_error_text(chunk['error'])}",
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


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[str]:
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


def _wire(message: ChatMessage) -> dict[str, Any]:
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


def _server_message(text: str) -> str:
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return one_line(text) or "no message"
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if body.get(key):
                return _error_text(body[key])
    return one_line(text)


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        error = error.get("message") or error.get("error") or json.dumps(error)
    return one_line(str(error))
