"""Ollama through its official client (`ollama.AsyncClient`), streaming `/api/chat`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, cast

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
    from ollama import AsyncClient

DEFAULT_HOST = "http://127.0.0.1:11434"
# A model without num_ctx in its Modelfile gets this window (or its trained length, if less):
# Ollama's own default (4k below 24 GiB of VRAM) would cut the prompt silently.
UNSET_WINDOW = 8192


class OllamaProvider:
    def __init__(self, model: str, host: str = DEFAULT_HOST, timeout: float = 120.0) -> None:
        self.model = model
        self.host = host.rstrip("/") or DEFAULT_HOST
        self.timeout = timeout
        self.info = ProviderInfo("ollama", model, f"ollama · {model}", extra={"host": self.host})
        self._client: AsyncClient | None = None
        self._shown: Any = None

    def __repr__(self) -> str:
        return f"OllamaProvider(model={self.model!r}, host={self.host!r})"

    async def stream(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Delta]:
        calls = 0
        try:
            parts = await self._connect().chat(
                model=self.model,
                stream=True,
                **self.request(repair_messages(messages), tools, options or RequestOptions()),
            )
            # The client's stream is an async generator: closing it ends the HTTP request.
            async with contextlib.aclosing(cast(AsyncGenerator[Any, None], parts)):
                async for part in parts:
                    message = part.message
                    if message.content:
                        yield repair_delta(TextDelta(message.content))
                    for call in message.tool_calls or ():
                        calls += 1
                        yield repair_delta(ToolCallDelta(_call(call, calls)))
                    if part.done:
                        yield _usage(part)
                        yield Done(part.done_reason or "stop")
                        return
        except Exception as exc:  # the client raises httpx, ollama, json and pydantic errors
            raise self._error(exc, bool(tools)) from exc
        raise self._cut()  # the stream ended without its `done` line

    def request(
        self, messages: list[ChatMessage], tools: list[ToolSpec], options: RequestOptions
    ) -> dict[str, Any]:
        """`chat()`'s arguments: num_predict always, num_ctx as the budget's window (one value
        for the session: a new num_ctx makes Ollama reload the model and lose its cache)."""
        sent: dict[str, Any] = {"num_predict": options.max_tokens}
        if options.temperature is not None:
            sent["temperature"] = options.temperature
        if options.window:
            sent["num_ctx"] = options.window
        out: dict[str, Any] = {"messages": [_wire(m) for m in messages], "options": sent}
        if options.schema is not None:
            out["format"] = dict(options.schema)
        elif tools and options.tool_choice != "none":
            out["tools"] = [t.wire() for t in tools]
        return out

    async def window(self) -> Window | None:
        """The Modelfile's num_ctx, else the trained length capped at UNSET_WINDOW."""
        shown = await self._show()
        if shown is None:
            return None
        for line in (shown.parameters or "").splitlines():
            key, _, value = line.strip().partition(" ")
            if key == "num_ctx" and value.strip().isdigit():
                return Window(int(value.strip()), "ollama /api/show num_ctx")
        info = shown.modelinfo or {}
        trained = next(
            (int(v) for k, v in info.items() if k.endswith(".context_length") and v), None
        )
        if trained and trained < UNSET_WINDOW:
            return Window(trained, "ollama /api/show context_length")
        return Window(UNSET_WINDOW, f"default (model trained for {trained or '?'} tokens)")

    async def native_tools(self) -> bool | None:
        """Ollama lists a model's capabilities: without "tools" it refuses tool calls."""
        shown = await self._show()
        capabilities = getattr(shown, "capabilities", None) if shown is not None else None
        return "tools" in capabilities if capabilities else None

    async def _show(self) -> Any:
        """`/api/show` of the model, asked once; None when the server cannot say."""
        if self._shown is None:
            try:
                self._shown = await self._connect().show(self.model)
            except Exception:  # down, or no such model: the first request says which
                return None
        return self._shown

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()  # type: ignore[no-untyped-call]  # untyped in ollama

    def _connect(self) -> AsyncClient:
        if self._client is None:
            from ollama import AsyncClient  # importing ollama costs ~0.2 s: only when used

            self._client = AsyncClient(host=self.host, timeout=self.timeout)
        return self._client

    def _cut(self) -> ProviderError:
        return ProviderError(
            "Ollama closed the connection mid-answer",
            "try again; if it repeats, check `ollama serve`'s log (out of memory?)",
        )

    def _error(self, exc: Exception, tools: bool = False) -> ProviderError:
        import httpx
        from ollama import ResponseError

        if isinstance(exc, httpx.TimeoutException):
            return ProviderError(
                f"Ollama did not answer within {self.timeout:g} s",
                "raise agent.request_timeout, or use a smaller model",
            )
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | ConnectionResetError):
            return self._cut()
        if isinstance(exc, ConnectionError | httpx.ConnectError):
            return ProviderError(
                f"cannot reach Ollama at {self.host}",
                "start it with `ollama serve` or set agent.host",
            )
        if isinstance(exc, ResponseError):
            if exc.status_code == 404 and "model" in str(exc.error):
                return ProviderError(
                    f"model {self.model} is not in Ollama at {self.host}",
                    f"run `ollama pull {self.model}` or set agent.model",
                )
            if tools and "does not support tools" in str(exc.error):
                return ProviderError(
                    f"{self.model} does not support tool calls in Ollama",
                    "set agent.tool_mode: json, or use a model with tools (qwen2.5-coder)",
                    no_tools=True,
                )
            if exc.status_code < 0:  # an `{"error": …}` line in the middle of the stream
                return ProviderError(
                    f"Ollama failed mid-answer: {one_line(str(exc.error))}",
                    "check `ollama serve`'s log",
                )
            return ProviderError(
                f"Ollama at {self.host} answered HTTP {exc.status_code}: "
                f"{one_line(str(exc.error))}",
                "check that agent.host is an Ollama server and see `ollama serve`'s log",
            )
        if isinstance(exc, json.JSONDecodeError | ValueError):  # pydantic's errors are these
            return ProviderError(
                f"Ollama sent a reply the ollama client cannot read ({_unreadable(exc)})",
                "check that agent.host is an Ollama server; update Ollama",
            )
        return ProviderError(
            f"request to Ollama at {self.host} failed: {type(exc).__name__}: {one_line(str(exc))}",
            "check agent.host and that `ollama serve` is running",
        )


def _wire(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c.name, "arguments": _arguments(c.arguments)}}
            for c in message.tool_calls
        ]
    if message.role == "tool" and message.name:
        out["tool_name"] = message.name
    return out


def _arguments(raw: Mapping[str, Any] | str) -> dict[str, Any]:
    """Ollama takes only objects: a call the model sent broken goes back as far as it repairs."""
    from marimo_tui.agent.repair import parse_arguments

    try:
        return parse_arguments(raw)
    except ValueError:
        return unparsed_arguments(raw)


def _usage(part: Any) -> Usage:
    # Ollama reports prompt evaluation in nanoseconds; tokens it did not evaluate were cached.
    duration = part.prompt_eval_duration
    return Usage(
        part.prompt_eval_count or 0,
        part.eval_count or 0,
        None,
        duration / 1e6 if duration else None,
    )


def _call(call: Any, number: int) -> ToolCall:
    function = call.function
    arguments = function.arguments
    if not isinstance(arguments, Mapping):
        arguments = arguments if isinstance(arguments, str) else json.dumps(arguments)
    call_id = getattr(call, "id", None) or f"call_{number}"
    return ToolCall(id=str(call_id), name=function.name, arguments=arguments)


def _unreadable(exc: Exception) -> str:
    """pydantic's first complaint (`message.tool_calls.0.function.arguments: …`), else the text."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        with contextlib.suppress(Exception):
            first = errors()[0]
            return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return one_line(str(exc), 120)
