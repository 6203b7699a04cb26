"""The agent loop: stream the model's answer, run the tools it calls, feed results back, until it
answers without calling a tool — or a step limit, the time limit, an error or Esc ends the turn.

Everything a turn does is reported as `agent.events` to one listener (the chat pane, the JSON
printer of `marimo-tui agent --json`) and saved to the conversation's transcript. The writes of
one turn share a journal group, so `undo_last_turn` reverts all of them.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from marimo_tui.agent import events as ev
from marimo_tui.agent import structured
from marimo_tui.agent.context import (
    DEFAULT_WINDOW,
    MESSAGE_OVERHEAD,
    Budget,
    Fitted,
    message_text,
)
from marimo_tui.agent.profiles import Profile
from marimo_tui.agent.providers.base import (
    ChatMessage,
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
from marimo_tui.agent.tools import (
    TOOLS,
    Approval,
    Approver,
    ToolContext,
    ToolFailure,
    dispatch,
    specs,
)
from marimo_tui.notebook.errors import StoreError

if TYPE_CHECKING:
    from marimo_tui.agent.transcripts import Transcript
    from marimo_tui.workbench import Workbench

RESULT_CHARS = 24_000  # of one tool result sent back to the model
RESULT_FLOOR = 300  # tokens a tool result may always take, however full the window
WINDOW_ASK_TIMEOUT = 5.0  # s for the server to say its window before the default is used
Listener = Callable[[ev.AgentEvent], None]
ToolMode = Literal["auto", "native", "json"]


@dataclass
class Limits:
    approval: Approval = "ask"
    max_steps: int = 25
    timeout: float = 600.0
    rerun_timeout: float = 30.0
    answer_timeout: float = 300.0  # one streamed answer, however steadily tokens come
    max_tokens: int = 2048
    context_window: int = 0  # 0: ask the server
    tool_choice: ToolChoice = "auto"
    tool_mode: ToolMode = "auto"
    temperature: float | None = None


@dataclass
class _Turn:
    id: str
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # some answer came without the server's token counts
    requests: int = 0
    unanswered: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True)
class Request:
    """What one request cost: for the status bar, `doctor` and bench/context.py."""

    prompt_tokens: int
    completion_tokens: int
    estimated: bool
    compacted: int
    cached_tokens: int | None = None
    first_token_ms: float | None = None


class AgentSession:
    """One conversation: a provider, a profile, the messages so far, and its turns."""

    def __init__(
        self,
        workbench: Workbench,
        provider: Provider,
        profile: Profile,
        *,
        limits: Limits | None = None,
        listener: Listener | None = None,
        approver: Approver | None = None,
        transcript: Transcript | None = None,
        history: list[ChatMessage] | None = None,
    ) -> None:
        self.workbench = workbench
        self.provider = provider
        self.profile = profile
        self.limits = limits or Limits()
        self.listener = listener or (lambda _event: None)
        self.approver = approver
        self.transcript = transcript
        self.messages: list[ChatMessage] = [m for m in history or [] if m.role != "system"]
        self.last_turn: str | None = None
        self.budget: Budget | None = None  # learned on the first turn (the server's window)
        self.json_mode = self.limits.tool_mode == "json"
        self.requests: list[Request] = []
        self._fixed = 0  # tokens of the system prompt and tools in the last request
        self._call_ids = {c.id for m in self.messages for c in m.tool_calls}
        self._running: asyncio.Task[str] | None = None

    @property
    def busy(self) -> bool:
        return self._running is not None and not self._running.done()

    def switch(self, profile: Profile, provider: Provider | None = None) -> None:
        """Another profile (and model) from the next turn on; the conversation stays."""
        self.profile = profile
        if provider is not None:
            self.provider = provider
            self.budget = None  # another model: another window
            self.json_mode = self.limits.tool_mode == "json"

    async def context(self) -> Budget:
        """The budget: `agent.context_window`, else the server's window, else the default."""
        if self.budget is None:
            window, source = self.limits.context_window, "agent.context_window"
            if window <= 0:
                try:
                    found = await asyncio.wait_for(self.provider.window(), WINDOW_ASK_TIMEOUT)
                except (TimeoutError, ProviderError):
                    found = None
                window, source = (
                    (found.tokens, found.source) if found else (DEFAULT_WINDOW, "default")
                )
            self.budget = Budget(window, source, self.limits.max_tokens)
        return self.budget

    def cancel(self) -> bool:
        """Stop the running turn (Esc): the request is dropped; a write in progress finishes
        first (writes are atomic), and nothing after it starts."""
        if self.busy:
            assert self._running is not None
            self._running.cancel()
            return True
        return False

    async def run_turn(self, prompt: str) -> ev.TurnEnded:
        if self.busy:
            raise RuntimeError("a turn is already running")
        turn = _Turn(f"turn-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}")
        ctx = ToolContext(
            self.workbench,
            turn.id,
            self._emit,
            approval=self.limits.approval,
            approver=self.approver,
            rerun_timeout=self.limits.rerun_timeout,
            prompt=prompt,
        )
        info = self.provider.info
        self._emit(ev.TurnStarted(turn.id, prompt, self.profile.name, info.label, info.replay))
        if self.transcript is not None:
            self.transcript.meta(profile=self.profile.name, provider=info.label)
        self._add(ChatMessage("user", prompt))
        started = time.monotonic()
        self._running = asyncio.ensure_future(self._steps(turn, ctx))
        reason, error = "finished", ""
        try:
            reason = await self._running
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # our caller is being cancelled, not just this turn
            reason = "cancelled"
        except TimeoutError:
            reason = "time-limit"
        except ProviderError as exc:
            reason, error = "error", str(exc)
        finally:
            self._running = None
        self._close_unanswered(turn, reason)
        self._close_plan(ctx, reason)
        if ctx.writes:
            self.last_turn = turn.id
        extra: dict[str, Any] = {"elapsed": round(time.monotonic() - started, 2)}
        if turn.estimated:
            extra["estimated_tokens"] = True  # the server sent no counts: ours are estimates
        end = ev.TurnEnded(
            turn.id,
            reason,
            error,
            turn.steps,
            ctx.writes,
            turn.prompt_tokens,
            turn.completion_tokens,
            extra,  # what the chat footer shows
        )
        if self.transcript is not None:
            self.transcript.turn(**end.as_json())
        self._emit(end)
        return end

    async def _steps(self, turn: _Turn, ctx: ToolContext) -> str:
        allowed = list(self.profile.tools) or None
        config = self.workbench.config
        tools = specs(allowed, dagster=bool(config.dagster.url))
        known = [t.name for t in tools]
        async with asyncio.timeout(self.limits.timeout):
            budget = await self.context()
            while True:
                text, calls = await self._answer(turn, tools, known, budget)
                turn.unanswered = list(calls)
                self._add(ChatMessage("assistant", text, tuple(calls)))
                if not calls:
                    return "finished"
                for call in calls:
                    if turn.steps >= self.limits.max_steps:
                        return "step-limit"
                    turn.steps += 1
                    await self._call(call, ctx, allowed)
                    turn.unanswered.remove(call)

    async def _answer(
        self, turn: _Turn, tools: list[ToolSpec], known: list[str], budget: Budget
    ) -> tuple[str, list[ToolCall]]:
        json_mode = self.json_mode
        if json_mode:
            system = structured.system_prompt(self.profile.system_prompt, tools)
            sent_tools: list[ToolSpec] = []
            fixed_chars = len(system)
        else:
            system = self.profile.system_prompt
            sent_tools = tools
            fixed_chars = len(system) + len(json.dumps([t.wire() for t in tools]))
        counter = budget.counter
        fixed = math.ceil(fixed_chars / counter.chars_per_token) + MESSAGE_OVERHEAD
        self._fixed = fixed
        fitted = budget.fit(fixed, self.messages, turn_start=not turn.requests)
        turn.requests += 1
        if fitted.compacted:
            # The compacted history is the conversation from now on: the prefix of every
            # request until the next compaction stays the same, and servers reuse its cache.
            self.messages = fitted.messages
        wire = [ChatMessage("system", system), *self.messages]
        if json_mode:
            wire = structured.history(wire)
        options = RequestOptions(
            max_tokens=fitted.max_tokens,
            window=budget.window,
            tool_choice=self.limits.tool_choice,
            temperature=self.limits.temperature,
            schema=structured.step_schema(tools) if json_mode else None,
        )
        self._emit(
            ev.ContextUsed(
                budget.window, budget.source, fitted.prompt_tokens, True, fitted.compacted
            )
        )
        parts: list[str] = []
        calls: list[ToolCall] = []
        usage: Usage | None = None
        reason = "stop"
        try:
            async with asyncio.timeout(self.limits.answer_timeout) as limit:
                async for delta in self.provider.stream(wire, sent_tools, options):
                    if isinstance(delta, TextDelta):
                        if delta.text:
                            parts.append(delta.text)
                            if not json_mode:  # a step's JSON is read whole, then shown
                                self._emit(ev.TextDelta(delta.text))
                    elif isinstance(delta, ToolCallDelta):
                        calls.append(delta.call)
                    elif isinstance(delta, Usage):
                        usage = delta
                    elif isinstance(delta, Done):
                        reason = delta.reason
                        break
        except TimeoutError:
            if not limit.expired():
                raise  # the turn's own time limit
            raise ProviderError(
                f"the answer ran past agent.answer_timeout ({self.limits.answer_timeout:g} s) "
                f"after {counter.text(''.join(parts))} tokens",
                "raise agent.answer_timeout, or lower agent.max_tokens",
            ) from None
        except ProviderError as exc:
            if exc.no_tools and not json_mode and self.limits.tool_mode == "auto" and not parts:
                self.json_mode = True
                self._emit(
                    ev.AgentWarning(
                        f"{exc.message}: switching to structured JSON steps for this session"
                    )
                )
                return await self._answer(turn, tools, known, budget)
            raise
        text = "".join(parts)
        self._account(turn, wire, sent_tools, fitted, usage, text, calls, budget)
        if reason == "length":
            whole = [c for c in calls if _parses(c)]
            if not whole or json_mode:
                if text and not json_mode:
                    self._add(ChatMessage("assistant", text))  # what the user saw stays said
                raise ProviderError(
                    f"answer cut off (max_tokens {options.max_tokens})",
                    "raise agent.max_tokens, or ask for a smaller step",
                )
            # Calls finished before the cut are whole: run them, drop the one cut mid-way.
            self._emit(
                ev.AgentWarning(
                    f"answer cut off (max_tokens {options.max_tokens}): running its "
                    f"{len(whole)} complete calls, dropping {len(calls) - len(whole)} cut off"
                )
            )
            calls = whole
        if json_mode:
            text, calls = structured.parse_step(text, known)
            if text:
                self._emit(ev.TextDelta(text))
        elif not calls and text:
            # Small models often write the call as JSON in their text instead of calling.
            rest, found = calls_in_text(text, known)
            if found:
                self._emit(ev.AgentWarning("the model wrote its tool calls as text: run as calls"))
                text, calls = rest, found
        unique = _distinct(calls)
        if len(unique) < len(calls):
            self._emit(ev.AgentWarning("the model repeated a call in one answer: run once"))
        return text, self._unique_ids(unique)

    def _account(
        self,
        turn: _Turn,
        wire: list[ChatMessage],
        tools: list[ToolSpec],
        fitted: Fitted,
        usage: Usage | None,
        text: str,
        calls: list[ToolCall],
        budget: Budget,
    ) -> None:
        """Count the request's tokens (the server's, else estimated) and calibrate on them."""
        counter = budget.counter
        if usage is not None and usage.prompt_tokens:
            chars = sum(len(message_text(m)) for m in wire)
            if tools:
                chars += len(json.dumps([t.wire() for t in tools]))
            counter.calibrate(chars, len(wire), usage.prompt_tokens)
            prompt, completion, estimated = usage.prompt_tokens, usage.completion_tokens, False
            self._emit(
                ev.ContextUsed(budget.window, budget.source, prompt, False, fitted.compacted)
            )
        else:
            answer = ChatMessage("assistant", text, tuple(calls))
            prompt, completion, estimated = fitted.prompt_tokens, counter.message(answer), True
            turn.estimated = True
        turn.prompt_tokens += prompt
        turn.completion_tokens += completion
        self.requests.append(
            Request(
                prompt,
                completion,
                estimated,
                fitted.compacted,
                usage.cached_tokens if usage else None,
                usage.first_token_ms if usage else None,
            )
        )

    async def _call(self, call: ToolCall, ctx: ToolContext, allowed: list[str] | None) -> None:
        shown: dict[str, Any] | str = (
            dict(call.arguments) if not isinstance(call.arguments, str) else call.arguments
        )
        self._emit(ev.ToolCalled(call.id, call.name, shown))
        ctx.call_id = call.id
        ok, diff, path = False, "", ""
        try:
            if allowed is not None and call.name not in allowed and call.name in TOOLS:
                raise ToolFailure(
                    f"tool {call.name} is not allowed for the {self.profile.name} agent; "
                    f"its tools: {', '.join(allowed)}"
                )
            try:
                args = parse_arguments(call.arguments)
            except ValueError as exc:
                raise ToolFailure(f"arguments of {call.name} are not valid JSON: {exc}") from None
            outcome = await dispatch(ctx, call.name, args)
        except ToolFailure as exc:
            data: dict[str, Any] = {"ok": False, "error": str(exc)}
            summary = str(exc).splitlines()[0]
        except Exception as exc:  # a bug of ours must not end the turn or the app
            data = {"ok": False, "error": f"internal error in {call.name}: {exc!r}"}
            summary = data["error"]
        else:
            ok, data, summary = True, outcome.data, outcome.summary
            diff, path = outcome.diff, outcome.path
        # Compact separators: the model reads JSON as well without the spaces, in fewer tokens.
        result = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
        limit = self._result_room()
        if len(result) > limit:
            result = (
                result[:limit] + f"… [{len(result) - limit} characters cut to fit the model's "
                "window: ask for less at once, e.g. fewer cells]"
            )
        self._emit(ev.ToolFinished(call.id, call.name, ok, summary[:300], result, diff, path))
        self._add(ChatMessage("tool", result, tool_call_id=call.id, name=call.name))

    def _result_room(self) -> int:
        """Characters a new tool result may take: half the room the window has left, so the
        rest of the turn still fits and appends to a prefix the server has cached (compacting
        mid-turn would change that prefix)."""
        budget = self.budget
        if budget is None:
            return RESULT_CHARS
        counter = budget.counter
        room = budget.limit - self._fixed - counter.messages(self.messages)
        tokens = max(RESULT_FLOOR, room // 2)
        return min(RESULT_CHARS, int(tokens * counter.chars_per_token))

    def _close_unanswered(self, turn: _Turn, reason: str) -> None:
        """Every call the model made gets an answer, or the next request would be refused."""
        for call in turn.unanswered:
            note = {"ok": False, "error": f"not run: the turn ended ({reason})"}
            self._add(ChatMessage("tool", json.dumps(note), tool_call_id=call.id, name=call.name))
        turn.unanswered.clear()

    def _close_plan(self, ctx: ToolContext, reason: str) -> None:
        """The turn's node in the task tree ends with the turn (the pane folds it then)."""
        from marimo_tui.tasks import TaskStatus

        if ctx.turn_task is None:
            return
        status = {"finished": TaskStatus.DONE, "cancelled": TaskStatus.CANCELLED}.get(
            reason, TaskStatus.FAILED
        )
        note = None if reason == "finished" else reason
        try:
            task = self.workbench.tasks.set_status(ctx.turn_task, status, note)
        except KeyError:  # the user deleted it meanwhile
            return
        self._emit(ev.TaskUpdated(task.id, task.title, str(task.status), task.parent))

    async def undo_last_turn(self) -> list[str]:
        """Revert every write of the last turn that wrote; returns what was undone."""
        group = self.last_turn
        if group is None:
            raise ToolFailure("no agent turn has written anything yet")
        wb = self.workbench
        try:
            entries = await wb.run_in_store(lambda s: s.undo_group(group))
        except StoreError as exc:
            raise ToolFailure(str(exc)) from None
        self.last_turn = None
        done = []
        for entry in entries:
            path = wb.store.resolve(entry.path)
            if path.exists():
                wb.reload(path, "undo")
            done.append(f"{entry.op} on {entry.path}")
        self._add(ChatMessage("user", "(The user undid all your edits of the last turn.)"))
        return done

    def _add(self, message: ChatMessage) -> None:
        self.messages.append(message)
        if self.transcript is not None:
            self.transcript.message(message)

    def _emit(self, event: ev.AgentEvent) -> None:
        self.listener(event)

    def _unique_ids(self, calls: list[ToolCall]) -> list[ToolCall]:
        """Ids the model left out, or repeated in this conversation (Ollama numbers each
        answer's calls from 1), would pair results with the wrong call."""
        seen = self._call_ids
        out = []
        for i, call in enumerate(calls):
            cid = call.id or f"call_{len(seen) + i + 1}"
            while cid in seen:
                cid = f"{cid}_{uuid.uuid4().hex[:4]}"
            seen.add(cid)
            out.append(call if cid == call.id else ToolCall(cid, call.name, call.arguments))
        return out


def _parses(call: ToolCall) -> bool:
    try:
        parse_arguments(call.arguments)
    except ValueError:
        return False
    return True


def _distinct(calls: list[ToolCall]) -> list[ToolCall]:
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
