"""The context budget: every request fits the model's window, and its prefix stays stable.

A request is the fixed part (system prompt and tool schemas, byte-identical across requests)
plus the conversation. Tokens are counted by an estimate that the server's own counts calibrate
as they come. When the next request would not leave room for the answer, the history is
compacted in one large step down to a low-water mark — so the requests after it only append,
and servers keep reusing their KV cache for the prefix — by, in order:

1. stubbing read results that a later call of the same tool superseded;
2. stubbing the tool results of earlier turns (the stub says how to get them again);
3. summarising earlier turns into one block at the head of the current one;
4. stubbing the current turn's older results, then clipping what is left.

If even the minimum (fixed part, the latest user message, room for an answer) does not fit,
`ContextOverflow` says so in one line.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from marimo_tui.agent.providers.base import ChatMessage, Provider, ProviderError, ToolCall

DEFAULT_WINDOW = 8192
CHARS_PER_TOKEN = 3.0  # before calibration: code and JSON run 3-3.5 chars a token; err low
MESSAGE_OVERHEAD = 8  # role markers and separators a chat template adds to each message
ANSWER_FLOOR = 256  # the least room left for an answer
LOW_WATER = 0.6  # of the history's room: mid-turn compaction leaves room for what follows
TURN_START_HIGH = 0.5  # a turn starts by compacting history that fills more than this…
TURN_START_LOW = 0.25  # …down to this, so the turn's own requests need no compaction
KEEP_RESULTS = 2  # the current turn's newest tool results are kept whole
SUMMARY_LINES = 40  # of the summary of earlier turns: the oldest go first
STUB_BELOW = 240  # results shorter than this are cheaper kept than stubbed
RESULT_FLOOR = 300  # tokens a tool result may always take, however full the window
WINDOW_ASK_TIMEOUT = 5.0  # s for the server to say its window before the default is used
SUMMARY_HEAD = "[Earlier in this conversation, summarised to fit the model's window]"
# Reading tools: a later call with the same arguments (or a wider one) makes an older one stale.
READERS = frozenset(
    {
        "list_notebooks",
        "list_cells",
        "read_cell",
        "read_outputs",
        "lint",
        "list_templates",
        "list_assets",
        "run_status",
    }
)


async def learn_budget(provider: Provider, configured: int, max_tokens: int) -> Budget:
    """The budget: the configured window, else the server's, else DEFAULT_WINDOW."""
    window, source = configured, "agent.context_window"
    if window <= 0:
        try:
            found = await asyncio.wait_for(provider.window(), WINDOW_ASK_TIMEOUT)
        except Exception:  # a server that cannot say is a server that does not say
            found = None
        window, source = (found.tokens, found.source) if found else (DEFAULT_WINDOW, "default")
    return Budget(window, source, max_tokens)


class ContextOverflow(ProviderError):
    """The minimum request does not fit the window."""


@dataclass
class Counter:
    """Tokens from characters; `calibrate` learns the ratio from the server's own counts."""

    chars_per_token: float = CHARS_PER_TOKEN

    def text(self, text: str) -> int:
        return math.ceil(len(text) / self.chars_per_token)

    def message(self, message: ChatMessage) -> int:
        return MESSAGE_OVERHEAD + self.text(message_text(message))

    def messages(self, messages: Iterable[ChatMessage]) -> int:
        return sum(self.message(m) for m in messages)

    def calibrate(self, chars: int, messages: int, tokens: int) -> None:
        """The server counted `tokens` for a prompt of `chars` characters in `messages`
        messages. Kept 10% on the safe side; a count too small to judge is ignored."""
        content = tokens - MESSAGE_OVERHEAD * messages
        if content < 64 or chars < 256:
            return
        observed = 0.9 * chars / content
        if observed > 2 * self.chars_per_token:
            # A count far below our estimate is a server counting only part of the prompt
            # (Ollama has counted only uncached tokens): trusting it would let prompts grow
            # past the window.
            return
        # One sample moves the ratio a little at a time: a bad count cannot swing it.
        step = min(1.25 * self.chars_per_token, max(0.8 * self.chars_per_token, observed))
        self.chars_per_token = min(6.0, max(1.5, step))


def message_text(message: ChatMessage) -> str:
    """What of a message the model reads, as characters: content, then each call."""
    parts = [message.content]
    for call in message.tool_calls:
        args = call.arguments
        parts.append(call.name)
        parts.append(args if isinstance(args, str) else json.dumps(args, ensure_ascii=False))
    return "".join(parts)


@dataclass
class Fitted:
    messages: list[ChatMessage]
    prompt_tokens: int  # the estimate of the whole request: fixed part and messages
    max_tokens: int  # the answer's bound for this request (within the window)
    compacted: int = 0  # messages changed or dropped by compaction (0: none)


@dataclass
class Budget:
    window: int
    source: str  # where the window came from, for the status bar and doctor
    max_tokens: int = 2048
    counter: Counter = field(default_factory=Counter)

    @property
    def reserve(self) -> int:
        """Room kept for the answer: max_tokens, but never more than a quarter of a small
        window (a 2k window with max_tokens 2048 would leave no room for the prompt)."""
        return min(self.max_tokens, max(ANSWER_FLOOR, self.window // 4))

    @property
    def limit(self) -> int:
        """The largest prompt a request may have."""
        return self.window - self.reserve

    def fit(self, fixed: int, messages: list[ChatMessage], *, turn_start: bool = False) -> Fitted:
        """The messages to send after `fixed` tokens of system prompt and tools: as they are
        when they fit, else compacted. Raises ContextOverflow when nothing would fit.

        At the start of a turn, history past TURN_START_HIGH of its room is compacted down to
        TURN_START_LOW: the turn's own requests then grow by appending, so the server's cache
        serves each one's prefix; within a turn only a request that would not fit compacts."""
        count = self.counter
        history = count.messages(messages)
        room = self.limit - fixed
        if turn_start and history > room * TURN_START_HIGH:
            target = int(room * TURN_START_LOW)
        elif history <= room:
            return Fitted(messages, fixed + history, self._answer(fixed + history))
        else:
            target = int(room * LOW_WATER)
        latest = _last_user(messages)
        minimum = fixed + (count.message(messages[latest]) if latest is not None else 0)
        if minimum + min(ANSWER_FLOOR, self.max_tokens) > self.window:
            raise ContextOverflow(
                f"the model's window is {self.window:,} tokens ({self.source}), but the system "
                f"prompt, the tools and your message need ~{minimum:,} plus {ANSWER_FLOOR} "
                "for the answer",
                "give the model a larger window (agent.context_window, llama-server -c, "
                "Ollama num_ctx), use the small profile, or send a shorter message",
            )
        out, changed = compact(messages, max(target, minimum - fixed), count)
        total = fixed + count.messages(out)
        if total > self.limit:
            raise ContextOverflow(
                f"the conversation does not fit the model's window of {self.window:,} tokens "
                f"even compacted (~{total:,} needed)",
                "send a shorter message, lower agent.max_tokens (the room kept for the answer), "
                "start a new conversation, or give the model a larger window",
            )
        return Fitted(out, total, self._answer(total), changed)

    def result_chars(self, fixed: int, messages: Sequence[ChatMessage]) -> int:
        """Characters a new tool result may take: half the room the window has left, so the
        rest of the turn still fits and appends to a prefix the server has cached (compacting
        mid-turn would change that prefix)."""
        room = self.limit - fixed - self.counter.messages(messages)
        return int(max(RESULT_FLOOR, room // 2) * self.counter.chars_per_token)

    def _answer(self, prompt: int) -> int:
        return min(self.max_tokens, self.window - prompt)  # at least `reserve`: prompt ≤ limit


# -- compaction -----------------------------------------------------------------------------------
def compact(
    messages: Sequence[ChatMessage], target: int, count: Counter
) -> tuple[list[ChatMessage], int]:
    """Shorten `messages` to about `target` tokens, least harmful step first; returns the new
    list and how many messages were changed or dropped."""
    out = list(messages)
    changed: set[int] = set()  # positions in `out` changed so far (dropped ones counted apart)
    dropped = 0
    calls = _calls_by_id(out)
    latest = _last_user(out)
    current = latest if latest is not None else len(out)

    def fits() -> bool:
        return count.messages(out) <= target

    def stub(i: int, why: str) -> None:
        message = out[i]
        if message.role == "assistant" and len(message_text(message)) >= STUB_BELOW:
            shrunk = tuple(_shrink_call(c) for c in message.tool_calls)
            if shrunk != message.tool_calls:
                out[i] = replace(message, tool_calls=shrunk)
                changed.add(i)
        elif message.role == "tool" and i not in changed and len(message.content) >= STUB_BELOW:
            out[i] = replace(message, content=_stub(message, calls.get(message.tool_call_id), why))
            changed.add(i)

    for i in _superseded(out, calls):
        stub(i, "superseded by a later call")
    if not fits():
        for i in range(current):
            stub(i, "dropped to fit the model's window")
    if not fits() and current > 0:
        rest = count.messages(out[current:])
        room = max(0, int((target - rest) * count.chars_per_token))
        summary = summarise(out[:current], calls, room)
        head = out[current]
        out = [replace(head, content=f"{summary}\n\n---\n\n{head.content}"), *out[current + 1 :]]
        dropped += current
        changed = {i - current for i in changed if i > current} | {0}
        current = 0
    if not fits():
        results = [i for i in range(current, len(out)) if out[i].role == "tool"]
        for i in results[:-KEEP_RESULTS]:
            stub(i, "dropped to fit the model's window")
        # The calls of this turn ran already: what they wrote is on disk.
        for i in range(current, len(out)):
            if out[i].role == "assistant":
                stub(i, "")
    if not fits():
        _clip_results(out, target, count, changed)
    return out, dropped + len(changed)


def _last_user(messages: Sequence[ChatMessage]) -> int | None:
    return next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), None)


def _calls_by_id(messages: Iterable[ChatMessage]) -> dict[str | None, ToolCall]:
    return {c.id: c for m in messages for c in m.tool_calls}


def _arguments(call: ToolCall | None) -> dict[str, Any]:
    if call is None:
        return {}
    if isinstance(call.arguments, str):
        try:
            value = json.loads(call.arguments)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return dict(call.arguments)


def _shrink_call(call: ToolCall) -> ToolCall:
    """A call whose long string arguments (the code it wrote) are cut to their head: the
    result says what came of it, and the notebook holds the rest."""
    args = _arguments(call)
    if not args and isinstance(call.arguments, str) and len(call.arguments) > STUB_BELOW:
        return replace(call, arguments={"unparsed_arguments": call.arguments[:120] + "…"})
    long = {k for k, v in args.items() if isinstance(v, str) and len(v) > STUB_BELOW}
    if not long:
        return call
    shrunk = {
        k: f"{v[:120]}… [{len(v)} characters, cut from the history]" if k in long else v
        for k, v in args.items()
    }
    return replace(call, arguments=shrunk)


def _superseded(messages: Sequence[ChatMessage], calls: dict[str | None, ToolCall]) -> list[int]:
    """Results of reading tools that a later call of the same tool covers: same arguments, or
    the same notebook without a narrower `cells`/`cell` (which reads them all)."""
    stale = []
    later: list[tuple[str, dict[str, Any]]] = []
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        if message.role != "tool" or message.name not in READERS:
            continue
        args = _arguments(calls.get(message.tool_call_id))
        if any(name == message.name and _covers(wide, args) for name, wide in later):
            stale.append(i)
        if _ok(message.content):  # a failed read does not replace an earlier good one
            later.append((message.name, args))
    return stale


def _covers(wide: dict[str, Any], narrow: dict[str, Any]) -> bool:
    if wide == narrow:
        return True
    rest = {k: v for k, v in wide.items() if k not in ("cells", "cell")}
    return (
        not wide.get("cells")
        and "cell" not in wide
        and rest == {k: v for k, v in narrow.items() if k not in ("cells", "cell")}
    )


def _call_text(call: ToolCall | None, name: str | None) -> str:
    args = _arguments(call)
    shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)[:60]}" for k, v in args.items())
    return f"{call.name if call else name or 'tool'}({shown})"


def _stub(message: ChatMessage, call: ToolCall | None, why: str) -> str:
    ok = _ok(message.content)
    return json.dumps(
        {
            "ok": ok,
            "result": f"{why}: {len(message.content)} characters; call "
            f"{_call_text(call, message.name)} again if you need it",
        },
        ensure_ascii=False,
    )


def _ok(content: str) -> bool:
    try:
        data = json.loads(content)
    except ValueError:
        return True
    return not (isinstance(data, dict) and data.get("ok") is False)


def _first_line(content: str, limit: int) -> str:
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, dict):
        content = str(data.get("error") or data.get("result") or "")
    line = " ".join(content.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def summarise(
    messages: Sequence[ChatMessage],
    calls: dict[str | None, ToolCall],
    chars: int | None = None,
) -> str:
    """Earlier turns as lines: what the user asked, what was called and how it went, what was
    answered. Made by hand, not by the model: cheap, and it cannot invent anything. With
    `chars`, the oldest lines go until it fits in that many characters."""
    lines: list[str] = []
    for message in messages:
        if message.role == "user":
            text = message.content
            if text.startswith(SUMMARY_HEAD):  # an earlier summary: carry its lines on
                body, _, text = text.partition("\n\n---\n\n")
                lines.extend(body.splitlines()[1:])
            lines.append(f"- user: {_clip(text, 200)}")
        elif message.role == "assistant":
            if message.content.strip():
                lines.append(f"  you answered: {_clip(message.content, 240)}")
        elif message.role == "tool":
            call = calls.get(message.tool_call_id)
            how = "ok" if _ok(message.content) else f"failed: {_first_line(message.content, 120)}"
            lines.append(f"  {_call_text(call, message.name)} → {how}")
    if len(lines) > SUMMARY_LINES:
        lines = ["- (older turns left out)", *lines[-SUMMARY_LINES:]]
    limit = SUMMARY_LINES * 400 if chars is None else chars
    while lines and len(SUMMARY_HEAD) + sum(len(line) + 1 for line in lines) > limit:
        lines = ["- (older turns left out)", *lines[2:]] if len(lines) > 1 else []
    return "\n".join([SUMMARY_HEAD, *lines])


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _clip_results(out: list[ChatMessage], target: int, count: Counter, changed: set[int]) -> None:
    """Last resort: cut the remaining tool results, largest first, to what the target allows."""
    results = sorted(
        (i for i, m in enumerate(out) if m.role == "tool"), key=lambda i: -len(out[i].content)
    )
    for i in results:
        excess = count.messages(out) - target
        if excess <= 0:
            return
        content = out[i].content
        keep = max(200, len(content) - int(excess * count.chars_per_token) - 100)
        if keep >= len(content):
            continue
        note = f"… [{len(content) - keep} characters cut to fit the model's window]"
        out[i] = replace(out[i], content=content[:keep] + note)
        changed.add(i)
