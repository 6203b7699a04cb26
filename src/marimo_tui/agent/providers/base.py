"""What every provider speaks: messages and tool specs in, a stream of deltas out.

Providers turn every failure into a `ProviderError` whose text is one line that says what went
wrong and how to fix it; the loop shows it in the chat and the app keeps running.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for. `arguments` is what the model sent: a dict, or a string
    when it sent arguments as (possibly broken) JSON text; the loop repairs and validates."""

    id: str
    name: str
    arguments: Mapping[str, Any] | str


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()  # assistant messages
    tool_call_id: str | None = None  # tool messages: the call this answers
    name: str | None = None  # tool messages: the tool's name (Ollama wants it)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: Mapping[str, Any]  # JSON schema of the arguments object

    def wire(self) -> dict[str, Any]:
        """The `{"type": "function", …}` form both Ollama and OpenAI take."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


ToolChoice = Literal["auto", "required", "none", "omit"]


@dataclass(frozen=True)
class RequestOptions:
    """How one request is bounded and shaped, the same for every provider."""

    max_tokens: int = 2048  # max_tokens / num_predict: a runaway answer stops here
    window: int | None = None  # Ollama's num_ctx: the window the budget fits requests into
    tool_choice: ToolChoice = "auto"
    temperature: float | None = None  # None: the server's default
    # Structured-output mode: the answer is one JSON object matching this schema (Ollama's
    # `format`, OpenAI-compatible `response_format: json_schema`); no tools are sent.
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Window:
    """A model's context window as a server reports it."""

    tokens: int
    source: str  # "ollama /api/show num_ctx", "llama-server /props", …


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    call: ToolCall


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int | None = None  # of the prompt, served from the server's KV cache
    first_token_ms: float | None = None  # the server's prompt-processing time, when it says


@dataclass(frozen=True)
class Done:
    reason: str = "stop"  # stop | tool_calls | length | …, as the provider says


Delta = TextDelta | ToolCallDelta | Usage | Done


class ProviderError(Exception):
    """One line for the chat: what failed, then the fix (`message — fix`).

    `no_tools` marks failures that show the server cannot do native tool calls with this
    model (the loop may then switch to structured-output mode and ask again)."""

    def __init__(self, message: str, fix: str = "", *, no_tools: bool = False) -> None:
        self.message = message
        self.fix = fix
        self.no_tools = no_tools
        super().__init__(f"{message} — {fix}" if fix else message)


def one_line(text: str, limit: int = 200) -> str:
    """Server text fit for a one-line error: whitespace collapsed, cut at `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def unparsed_arguments(raw: object) -> dict[str, Any]:
    """Arguments that did not parse, sent back in history as what the model wrote: `{}` would
    tell it that it called the tool with nothing, next to an error saying its JSON was bad."""
    return {"unparsed_arguments": raw if isinstance(raw, str) else repr(raw)}


@dataclass
class ProviderInfo:
    name: str  # ollama | openai | scripted
    model: str
    label: str  # shown in the UI: "ollama · qwen2.5-coder:7b", "replay of demo.yaml"
    replay: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    info: ProviderInfo

    def stream(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Delta]:
        """Stream one assistant answer. Ends with `Done`; raises `ProviderError`."""
        ...

    async def window(self) -> Window | None:
        """The model's context window as the server reports it, or None when it does not."""
        ...

    async def native_tools(self) -> bool | None:
        """Whether the server says this model can take native tool calls (None: it does not
        say); False makes the agent use structured JSON steps in `tool_mode: auto`."""
        ...

    async def aclose(self) -> None: ...
