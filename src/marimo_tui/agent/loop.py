"""The agent loop: stream the model's answer, run the tools it calls, feed results back, until it
answers without calling a tool — or a step limit, the time limit, an error or Esc ends the turn.

Everything a turn does is reported as `agent.events` to one listener (the chat pane, the JSON
printer of `marimo-tui agent --json`) and saved to the conversation's transcript. Both, and
every message the model is sent, pass the workbench's redactor first: a secret a cell dug out
(its environment, /proc) never reaches the model, the screen, `--json` or a file. The writes of
one turn share a journal group, so `undo_last_turn` reverts all of them.

One request and its answer are `answer`'s, one tool call `tool_call`'s; `history` keeps the
conversation sendable, `turns` holds what a turn leaves behind (undo, its task node), shared
with outside (MCP) agents.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from marimo_tui.agent import events as ev
from marimo_tui.agent.answer import (
    Request,
    account,
    complete,
    prepare,
    read_step,
    receive,
)
from marimo_tui.agent.context import WINDOW_ASK_TIMEOUT, Budget, learn_budget
from marimo_tui.agent.history import answered, redacted, unanswered_results, unique_ids
from marimo_tui.agent.limits import Limits
from marimo_tui.agent.profiles import Profile
from marimo_tui.agent.providers.base import (
    ChatMessage,
    Provider,
    ProviderError,
    ToolCall,
    ToolSpec,
)
from marimo_tui.agent.tool_call import RESULT_CHARS, result_text, run_call
from marimo_tui.agent.tools import (
    Approver,
    ToolContext,
    ToolFailure,
    specs,
)
from marimo_tui.agent.turns import close_turn_task, undo_turn

if TYPE_CHECKING:
    from marimo_tui.agent.transcripts import Transcript
    from marimo_tui.workbench import Workbench

T = TypeVar("T")
Listener = Callable[[ev.AgentEvent], None]


@dataclass
class _Turn:
    id: str
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # some answer came without the server's token counts
    requests: int = 0
    unanswered: list[ToolCall] = field(default_factory=list)


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
        self.redact = workbench.redactor
        self.provider = provider
        self.profile = profile
        self.limits = limits or Limits()
        self.listener = listener or (lambda _event: None)
        self.approver = approver
        self.transcript = transcript
        self.messages = answered([m for m in history or [] if m.role != "system"])
        self.last_turn: str | None = None
        self.budget: Budget | None = None  # learned on the first turn (the server's window)
        self.json_mode = self.limits.tool_mode == "json"
        self.requests: list[Request] = []
        self._learning = asyncio.Lock()
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
        """The budget: `agent.context_window`, else the server's window, else the default
        (asked again each turn: a server still loading its model may say it later)."""
        if self.budget is not None and self.budget.source == "default" and not self.busy:
            self.budget = None
        if self.budget is None:
            async with self._learning:  # the app asks at once; the first turn may ask too
                if self.budget is None:
                    limits = self.limits
                    self.budget = await learn_budget(
                        self.provider, limits.context_window, limits.max_tokens
                    )
                    await self._choose_tool_mode()
        return self.budget

    async def _choose_tool_mode(self) -> None:
        """In `tool_mode: auto`, a server that says the model cannot call tools natively (a
        chat template without tools, a model without the capability) gets JSON steps."""
        if self.json_mode or self.limits.tool_mode != "auto":
            return
        try:
            native = await asyncio.wait_for(self.provider.native_tools(), WINDOW_ASK_TIMEOUT)
        except Exception:  # a server that cannot say is a server that does not say
            return
        if native is False:
            self.json_mode = True
            self._emit(
                ev.AgentWarning(
                    f"{self.provider.info.label}: the server says this model cannot call tools "
                    "natively; using structured JSON steps"
                )
            )

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
            if self.transcript.problem:
                self._emit(ev.AgentWarning(f"conversation not saved: {self.transcript.problem}"))
        self._add(ChatMessage("user", prompt))
        started = time.monotonic()
        self._running = asyncio.ensure_future(self._steps(turn, ctx))
        reason, error = "finished", ""
        try:
            reason = await self._running
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # A saved conversation stays valid.
                self._close_unanswered(turn, "cancelled", ctx.written)
                raise  # our caller is being cancelled, not just this turn
            reason = "cancelled"
        except TimeoutError:
            reason = "time-limit"
        except ProviderError as exc:
            reason, error = "error", str(exc)
        finally:
            self._running = None
        self._close_unanswered(turn, reason, ctx.written)
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
        limits = self.limits
        request = prepare(
            self.profile.system_prompt,
            tools,
            self.messages,
            budget,
            json_mode=json_mode,
            turn_start=not turn.requests,
            tool_choice=limits.tool_choice,
            temperature=limits.temperature,
        )
        turn.requests += 1
        self._fixed = request.fixed
        fitted = request.fitted
        if fitted.compacted:
            # The compacted history is the conversation from now on: the prefix of every
            # request until the next compaction stays the same, and servers reuse its cache.
            self.messages = fitted.messages
        replay = self.provider.info.replay  # a script has no window and counts no tokens
        if not replay:
            self._emit(
                ev.ContextUsed(
                    budget.window, budget.source, fitted.prompt_tokens, True, fitted.compacted
                )
            )
        # A JSON step is read whole, then its answer shown.
        show = None if json_mode else (lambda text: self._emit(ev.TextDelta(text)))
        try:
            answer = await receive(
                self.provider, request, limits.answer_timeout, show, budget.counter.text
            )
        except ProviderError as exc:
            if exc.no_tools and not json_mode and limits.tool_mode == "auto":
                self.json_mode = True
                self._emit(
                    ev.AgentWarning(
                        f"{exc.message}: switching to structured JSON steps for this session"
                    )
                )
                return await self._answer(turn, tools, known, budget)
            raise
        if not replay:
            cost = account(request, answer, budget.counter)
            self.requests.append(cost)
            turn.prompt_tokens += cost.prompt_tokens
            turn.completion_tokens += cost.completion_tokens
            turn.estimated |= cost.estimated
            if not cost.estimated:
                self._emit(
                    ev.ContextUsed(
                        budget.window, budget.source, cost.prompt_tokens, False, cost.compacted
                    )
                )
        text, calls = answer.text, answer.calls
        if answer.reason == "length":
            whole = complete(calls)
            cut = f"answer cut off (max_tokens {request.options.max_tokens})"
            if not whole or json_mode:
                if text and not json_mode:
                    self._add(ChatMessage("assistant", text))  # what the user saw stays said
                raise ProviderError(cut, "raise agent.max_tokens, or ask for a smaller step")
            # Calls finished before the cut are whole: run them, drop the one cut mid-way.
            dropped = len(calls) - len(whole)
            self._emit(
                ev.AgentWarning(
                    f"{cut}: running its {len(whole)} complete calls, dropping {dropped} cut off"
                )
            )
            calls = whole
        text, unique, said = read_step(text, calls, known, json_mode)
        for event in said:
            self._emit(event)
        return text, self._unique_ids(unique)

    async def _call(self, call: ToolCall, ctx: ToolContext, allowed: list[str] | None) -> None:
        shown: dict[str, Any] | str = (
            dict(call.arguments) if not isinstance(call.arguments, str) else call.arguments
        )
        self._emit(ev.ToolCalled(call.id, call.name, shown))
        ctx.call_id = call.id
        ok, outcome = await run_call(ctx, call, allowed, self.profile.name)
        result = result_text(outcome.data, self.redact, self._result_room())
        summary = outcome.summary[:300]
        self._emit(
            ev.ToolFinished(call.id, call.name, ok, summary, result, outcome.diff, outcome.path)
        )
        self._add(ChatMessage("tool", result, tool_call_id=call.id, name=call.name))

    def _result_room(self) -> int:
        if self.budget is None:
            return RESULT_CHARS
        return min(RESULT_CHARS, self.budget.result_chars(self._fixed, self.messages))

    def _close_unanswered(self, turn: _Turn, reason: str, written: set[str]) -> None:
        """Every call the model made gets an answer, or the next request would be refused."""
        for message in unanswered_results(turn.unanswered, reason, written):
            self._add(message)
        turn.unanswered.clear()

    def _close_plan(self, ctx: ToolContext, reason: str) -> None:
        close_turn_task(ctx, reason)

    async def undo_last_turn(self) -> list[str]:
        """Revert every write of the last turn that wrote; returns what was undone."""
        if self.busy:
            # The user's note would land between a call and its result, which servers refuse.
            raise ToolFailure("the agent is working: undo after this turn (Esc cancels it)")
        group = self.last_turn
        if group is None:
            raise ToolFailure("no agent turn has written anything yet")
        done = await undo_turn(self.workbench, group)
        self.last_turn = None
        self._add(ChatMessage("user", "(The user undid all your edits of the last turn.)"))
        return done

    def _add(self, message: ChatMessage) -> None:
        message = self._redacted(message)
        self.messages.append(message)
        if self.transcript is not None:
            self.transcript.message(message)

    def _emit(self, event: ev.AgentEvent) -> None:
        self.listener(self._redacted(event))

    def _redacted(self, item: T) -> T:
        return redacted(self.redact, item)

    def _unique_ids(self, calls: list[ToolCall]) -> list[ToolCall]:
        return unique_ids(calls, self._call_ids)
