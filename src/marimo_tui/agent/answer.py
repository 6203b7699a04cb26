"""One request of a turn and its answer: what is sent — the system prompt, the tools (or, in
JSON-step mode, the schema they make), the history fitted to the window, bounded options — and
what comes back — text, calls, the server's counts and its finish reason — within the answer's
time limit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from marimo_tui.agent import events as ev
from marimo_tui.agent import structured
from marimo_tui.agent.context import MESSAGE_OVERHEAD, Budget, Counter, Fitted, message_text
from marimo_tui.agent.providers.base import (
    ChatMessage,
    Delta,
    Done,
    Provider,
    ProviderError,
    RequestOptions,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolChoice,
    ToolSpec,
    Usage,
)
from marimo_tui.agent.repair import calls_in_text, parse_arguments


@dataclass(frozen=True)
class Request:
    """What one request cost: for the status bar, `doctor` and bench/context.py."""

    prompt_tokens: int
    completion_tokens: int
    estimated: bool
    compacted: int
    cached_tokens: int | None = None
    first_token_ms: float | None = None


@dataclass(frozen=True)
class Prepared:
    wire: list[ChatMessage]  # the system prompt, then the (fitted) history
    tools: list[ToolSpec]  # sent natively; none in JSON-step mode
    options: RequestOptions
    fitted: Fitted
    fixed: int  # tokens of the system prompt and tools

    @property
    def chars(self) -> int:
        """Characters of everything the model reads: what the server's count calibrates."""
        chars = sum(len(message_text(m)) for m in self.wire)
        return chars + (len(json.dumps([t.wire() for t in self.tools])) if self.tools else 0)


def prepare(
    system: str,
    tools: list[ToolSpec],
    messages: list[ChatMessage],
    budget: Budget,
    *,
    json_mode: bool,
    turn_start: bool,
    tool_choice: ToolChoice,
    temperature: float | None,
) -> Prepared:
    """The request: raises ContextOverflow when even its minimum does not fit the window."""
    if json_mode:
        system = structured.system_prompt(system, tools)
        sent: list[ToolSpec] = []
        fixed_chars = len(system)
    else:
        sent = tools
        fixed_chars = len(system) + len(json.dumps([t.wire() for t in tools]))
    fixed = math.ceil(fixed_chars / budget.counter.chars_per_token) + MESSAGE_OVERHEAD
    fitted = budget.fit(fixed, messages, turn_start=turn_start)
    wire = [ChatMessage("system", system), *fitted.messages]
    if json_mode:
        wire = structured.history(wire)
    options = RequestOptions(
        max_tokens=fitted.max_tokens,
        window=budget.window,
        tool_choice=tool_choice,
        temperature=temperature,
        schema=structured.step_schema(tools) if json_mode else None,
    )
    return Prepared(wire, sent, options, fitted, fixed)


@dataclass
class Answer:
    text: str
    calls: list[ToolCall]
    usage: Usage | None
    reason: str  # the finish reason: stop, tool_calls, length, …


async def receive(
    provider: Provider,
    request: Prepared,
    timeout: float,
    on_text: Callable[[str], None] | None,
    tokens: Callable[[str], int],
) -> Answer:
    """Stream the answer; `on_text` sees text as it comes. The whole answer gets `timeout`
    seconds however steadily tokens come (the provider's own timeout is for silence)."""
    parts: list[str] = []

    def seen(text: str) -> None:
        parts.append(text)
        if on_text is not None:
            on_text(text)

    try:
        async with asyncio.timeout(timeout) as limit:
            return await collect(provider, request.wire, request.tools, request.options, seen)
    except TimeoutError:
        if not limit.expired():
            raise  # the turn's own time limit
        raise ProviderError(
            f"the answer ran past agent.answer_timeout ({timeout:g} s) "
            f"after {tokens(''.join(parts))} tokens",
            "raise agent.answer_timeout, or lower agent.max_tokens",
        ) from None


async def collect(
    provider: Provider,
    wire: list[ChatMessage],
    tools: list[ToolSpec],
    options: RequestOptions,
    on_text: Callable[[str], None] | None = None,
) -> Answer:
    """One streamed answer gathered up: its text, calls, the server's counts, finish reason."""
    parts: list[str] = []
    calls: list[ToolCall] = []
    usage: Usage | None = None
    reason = "stop"
    # Closed on leaving, also after `Done`: the HTTP response ends now, not when the
    # generator is collected (possibly after the event loop has closed).
    async with _closing(provider.stream(wire, tools, options)) as deltas:
        async for delta in deltas:
            if isinstance(delta, TextDelta):
                if delta.text:
                    parts.append(delta.text)
                    if on_text is not None:
                        on_text(delta.text)
            elif isinstance(delta, ToolCallDelta):
                calls.append(delta.call)
            elif isinstance(delta, Usage):
                usage = delta
            elif isinstance(delta, Done):
                reason = delta.reason
                break
    return Answer("".join(parts), calls, usage, reason)


@contextlib.asynccontextmanager
async def _closing(stream: AsyncIterator[Delta]) -> AsyncIterator[AsyncIterator[Delta]]:
    try:
        yield stream
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()


def account(request: Prepared, answer: Answer, counter: Counter) -> Request:
    """What the request cost: the server's counts (the counter calibrates on them), else our
    estimates, marked as such."""
    usage = answer.usage
    fitted = request.fitted
    if usage is not None and usage.prompt_tokens:
        counter.calibrate(request.chars, len(request.wire), usage.prompt_tokens)
        return Request(
            usage.prompt_tokens,
            usage.completion_tokens,
            False,
            fitted.compacted,
            usage.cached_tokens,
            usage.first_token_ms,
        )
    reply = ChatMessage("assistant", answer.text, tuple(answer.calls))
    return Request(fitted.prompt_tokens, counter.message(reply), True, fitted.compacted)


def complete(calls: list[ToolCall]) -> list[ToolCall]:
    """The calls whose arguments parse: those an answer finished before it was cut."""
    out = []
    for call in calls:
        try:
            parse_arguments(call.arguments)
        except ValueError:
            continue
        out.append(call)
    return out


def distinct(calls: list[ToolCall]) -> list[ToolCall]:
    """Small models repeat one call many times in an answer: the same name and arguments run
    once (a second edit would fail or apply twice)."""
    seen: set[str] = set()
    out = []
    for call in calls:
        try:
            key = call.name + json.dumps(parse_arguments(call.arguments), sort_keys=True)
        except (ValueError, TypeError):
            key = f"{call.name}{call.arguments!r}"
        if key not in seen:
            seen.add(key)
            out.append(call)
    return out


def read_step(
    text: str, calls: list[ToolCall], known: list[str], json_mode: bool
) -> tuple[str, list[ToolCall], list[ev.AgentEvent]]:
    """An answer's text and the calls to run, each once: a JSON step parsed, calls a small model
    wrote as text taken as calls; with what to tell the user about it, in order."""
    said: list[ev.AgentEvent] = []
    if json_mode:
        text, calls = structured.parse_step(text, known)
        if text:
            said.append(ev.TextDelta(text))
    elif not calls and text:
        # Small models often write the call as JSON in their text instead of calling.
        rest, found = calls_in_text(text, known)
        if found:
            said.append(ev.AgentWarning("the model wrote its tool calls as text: run as calls"))
            text, calls = rest, found
    unique = distinct(calls)
    if len(unique) < len(calls):
        said.append(ev.AgentWarning("the model repeated a call in one answer: run once"))
    return text, unique, said
