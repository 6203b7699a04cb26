"""Any OpenAI-compatible endpoint (llama.cpp server, vLLM, LM Studio, OpenRouter): streaming
`/chat/completions` over httpx, read as server-sent events (`openai_stream`), with what the
server says about itself (its window, whether it renders tools) and its errors made one line
with a fix. The messages' JSON is `openai_request`'s."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

from marimo_tui.agent.providers.base import (
    ChatMessage,
    Delta,
    ProviderError,
    ProviderInfo,
    RequestOptions,
    ToolSpec,
    Window,
    one_line,
)
from marimo_tui.agent.providers.openai_request import api_base, server_root, wire_message
from marimo_tui.agent.providers.openai_stream import AnswerStream, error_text, sse_data
from marimo_tui.agent.providers.text_repair import repair_delta, repair_messages

if TYPE_CHECKING:
    import httpx  # imported when a request is made: the package stays cheap to import


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
            "messages": [wire_message(m) for m in messages],
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
        state = AnswerStream()
        async with self._connect().stream("POST", url, json=body, headers=headers) as reply:
            if reply.status_code >= 400:
                await reply.aread()
                text = self._redact(reply.text)
                raise self._status(reply.status_code, text, bool(body.get("tools")))
            async for data in sse_data(reply.aiter_lines()):
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


def _server_message(text: str) -> str:
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        return one_line(text) or "no message"
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if body.get(key):
                return error_text(body[key])
    return one_line(text)
