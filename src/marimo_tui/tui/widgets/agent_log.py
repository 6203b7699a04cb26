"""The agent's conversation: user messages, answers streamed as Markdown, tool calls, turn lines.

`show()` takes the events of `marimo_tui.agent.events` in the order a turn reports them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any, Literal

from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Collapsible, Static

from marimo_tui.agent.events import (
    AgentEvent,
    AgentWarning,
    ApprovalAsked,
    TextDelta,
    ToolCalled,
    ToolFinished,
    TurnEnded,
    TurnStarted,
)
from marimo_tui.safe_text import one_line, visible

if TYPE_CHECKING:
    from rich.text import Text
    from textual.timer import Timer
    from textual.widget import AwaitMount, Widget
    from textual.widgets import Markdown

NoteStyle = Literal["info", "warning", "error"]

MOUNT_WAIT = 1.0  # s a flush waits for a new answer block to mount
FLUSH_EVERY = 0.05  # s: Markdown.append re-lays out its last block, so one append per frame-ish
STRING_LIMIT = 200  # characters of one argument string shown in a tool entry
RESULT_LINES = 40
DIFF_LINES = 300  # in the log; the approval screen shows the whole diff
# Checked in order: "+++" and "---" head a file, not a change.
DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("+", "green"), ("-", "red"), ("@@", "cyan"))
REASONS = {
    "finished": "✓ finished",
    "cancelled": "⊘ cancelled",
    "step-limit": "■ stopped: step limit",
    "time-limit": "■ stopped: time limit",
    "error": "✗ error",
}


def diff_text(diff: str, limit: int | None = None) -> Text:
    """A unified diff with coloured lines; a regex lexer would cost more and colour the same."""
    from rich.text import Text

    lines = diff.splitlines()
    shown = lines if limit is None else lines[:limit]
    text = Text()
    for line in shown:
        style = next((style for head, style in DIFF_STYLES if line.startswith(head)), "")
        text.append(visible(line) + "\n", style)
    if len(lines) > len(shown):
        text.append(f"… {len(lines) - len(shown)} more lines\n", "dim italic")
    text.rstrip()
    return text


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > STRING_LIMIT:
        return f"{value[:STRING_LIMIT]}… ({len(value) - STRING_LIMIT} more characters)"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def arguments_text(arguments: dict[str, Any] | str) -> str:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:  # a model's broken JSON: show what it sent
            return str(_shorten(arguments))
    return json.dumps(_shorten(arguments), indent=2, ensure_ascii=False)


def clip_lines(text: str, limit: int) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join([*lines[:limit], f"… {len(lines) - limit} more lines"])


def result_text(result: str) -> str:
    try:
        text = json.dumps(json.loads(result), indent=2, ensure_ascii=False)
    except ValueError:
        text = result
    return clip_lines(text, RESULT_LINES)


def footer_text(event: TurnEnded, elapsed: float | None) -> str:
    reason = REASONS.get(event.reason, event.reason)
    if event.reason == "error" and event.error:
        reason += f": {event.error}"
    parts = [reason, f"{event.steps} step{'s' * (event.steps != 1)}"]
    parts.append(f"{event.writes} write{'s' * (event.writes != 1)}")
    if event.prompt_tokens or event.completion_tokens:
        total = event.prompt_tokens + event.completion_tokens
        # `~`: the server sent no counts, so these are our estimates.
        mark = "~" if event.extra.get("estimated_tokens") else ""
        parts.append(
            f"{mark}{total:,} tokens ({event.prompt_tokens:,} in, {event.completion_tokens:,} out)"
        )
    if elapsed is not None:
        parts.append(f"{elapsed:.1f}s")
    return " · ".join(parts)


def _target(arguments: dict[str, Any] | str) -> str:
    path = arguments.get("path") or arguments.get("notebook") if isinstance(arguments, dict) else ""
    return path if isinstance(path, str) else ""


class ToolEntry(Collapsible):
    """One tool call: title line with its state, arguments, then result and diff once finished."""

    def __init__(self, tool: str, arguments: dict[str, Any] | str) -> None:
        self.tool = tool
        self.target = _target(arguments)
        self.state = "running"
        self.plain_title = ""
        # Every part exists from the start: a call can finish before this entry has mounted.
        self._args = Static(visible(arguments_text(arguments)), classes="arguments", markup=False)
        self._result = Static("", classes="result", markup=False)
        self._diff = Static("", classes="diff")
        self._result.display = self._diff.display = False
        super().__init__(self._args, self._result, self._diff, classes="tool")
        self._set_title("⚙", "running…", "$text-accent")

    def _set_title(self, icon: str, status: str, style: str) -> None:
        head = one_line(f"{self.tool} {self.target}" if self.target else self.tool)
        status = one_line(status)
        self.plain_title = f"{icon} {head} · {status}"
        # Collapsible titles are markup: a model's summary may hold brackets.
        self.title = f"[{style}]{icon}[/] {escape(head)} · {escape(status)}"

    def _show_diff(self, diff: str) -> None:
        self._diff.update(diff_text(diff, DIFF_LINES))
        self._diff.display = bool(diff)

    def waiting(self, event: ApprovalAsked) -> None:
        self.state = "waiting"
        self.target = event.path or self.target
        self._set_title("⏸", "waiting for approval", "$text-warning")
        self._show_diff(event.diff)

    def finish(self, event: ToolFinished) -> None:
        self.state = "ok" if event.ok else "failed"
        self.target = event.path or self.target
        icon, style = ("✓", "$text-success") if event.ok else ("✗", "$text-error")
        self._set_title(icon, event.summary or self.state, style)
        self._result.update(visible(result_text(event.result)))
        self._result.display = bool(event.result)
        if event.diff:
            self._show_diff(event.diff)

    def abandon(self) -> None:
        if self.state in ("running", "waiting"):
            self.state = "abandoned"
            self._set_title("⊘", "not finished", "$text-muted")

    def text(self) -> str:
        shown = [w for w in (self._args, self._result, self._diff) if w.display]
        return "\n".join([self.plain_title, *(str(w.content) for w in shown)])


class AgentLog(VerticalScroll):
    DEFAULT_CSS = """
    AgentLog { height: 1fr; background: $surface; scrollbar-size-vertical: 1; }
    AgentLog > * { height: auto; }
    AgentLog > .user {
        margin: 1 1 0 1; padding: 0 1; background: $boost; border-left: outer $accent;
    }
    AgentLog > Markdown { padding: 0 1; margin: 0; }
    AgentLog > .note { padding: 0 1; color: $text-muted; }
    AgentLog > .note.-warning { color: $text-warning; }
    AgentLog > .note.-error { color: $text-error; }
    AgentLog > .turn-header { padding: 0 1; margin-top: 1; color: $text-muted; }
    AgentLog > .turn-header.-replay { color: $text-warning; text-style: bold; }
    AgentLog > .turn-footer { padding: 0 1; color: $text-muted; text-style: italic; }
    AgentLog > .turn-footer.-error { color: $text-error; }
    AgentLog > ToolEntry { background: $surface; border-top: none; padding: 0 0 0 1; }
    AgentLog ToolEntry Contents { padding: 0 0 0 2; }
    AgentLog ToolEntry .arguments, AgentLog ToolEntry .result { color: $text-muted; }
    AgentLog ToolEntry .result, AgentLog ToolEntry .diff { margin-top: 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        # The block text deltas go to, and its mounting; None after a tool call or a note.
        self._answer: tuple[Markdown, AwaitMount] | None = None
        # Text not yet in its Markdown block, grouped by block, oldest first.
        self._pending: list[tuple[Markdown, AwaitMount, list[str]]] = []
        self._timer: Timer | None = None
        # Markdown.append reads its parse position before awaiting: appends must not overlap.
        self._flush_lock = asyncio.Lock()
        self._generation = 0  # bumped by clear(): a flush in flight drops what it held
        self._tools: dict[str, ToolEntry] = {}
        self._turn_started: float | None = None
        self.flushes = 0  # Markdown appends so far: tests check deltas are batched

    def on_mount(self) -> None:
        # Anchored: follows new content until the user scrolls up, again once back at the end.
        self.anchor()

    def user(self, text: str) -> None:
        self._add(Static(visible(text), classes="user", markup=False))

    def answer(self, text: str) -> None:
        """A whole answer (a resumed conversation's): text after it starts a new block."""
        self._stream(text)
        self._answer = None

    def note(self, text: str, style: NoteStyle = "info") -> None:
        self._add(Static(visible(text), classes=f"note -{style}", markup=False))

    def show(self, event: AgentEvent) -> None:
        if isinstance(event, TextDelta):
            self._stream(event.text)
        elif isinstance(event, ToolCalled):
            entry = ToolEntry(event.name, event.arguments)
            self._tools[event.call_id] = entry
            self._add(entry)
        elif isinstance(event, ApprovalAsked):
            self._entry(event.call_id, event.name).waiting(event)
        elif isinstance(event, ToolFinished):
            self._entry(event.call_id, event.name).finish(event)
        elif isinstance(event, TurnStarted):
            self._turn_started = time.monotonic()
            self._tools.clear()  # call ids only need be unique within a turn
            if event.replay:
                provider = event.provider
                label = provider if "replay" in provider.lower() else f"replay · {provider}"
                header = f"▶ {label} — scripted, not an AI · {event.agent}"
            else:
                header = f"● {event.agent} · {event.provider}"
            replay = " -replay" if event.replay else ""
            self._add(Static(one_line(header), classes=f"turn-header{replay}", markup=False))
        elif isinstance(event, AgentWarning):
            self.note(event.text, "warning")
        elif isinstance(event, TurnEnded):
            for entry in self._tools.values():
                entry.abandon()
            elapsed = event.extra.get("elapsed")
            if not isinstance(elapsed, int | float) and self._turn_started is not None:
                elapsed = time.monotonic() - self._turn_started
            error = " -error" if event.reason == "error" else ""
            footer = footer_text(event, elapsed)
            self._add(Static(visible(footer), classes=f"turn-footer{error}", markup=False))
            self._turn_started = None
        # TaskUpdated: the task tree shows tasks; ContextUsed: the status bar shows the window.

    def _entry(self, call_id: str, tool: str) -> ToolEntry:
        entry = self._tools.get(call_id)
        if entry is None:  # a result without its call: still show it
            self.show(ToolCalled(call_id, tool, {}))
            entry = self._tools[call_id]
        return entry

    def _add(self, widget: Widget) -> None:
        self._answer = None  # text after this starts a new block below it
        self.mount(widget)

    def _stream(self, text: str) -> None:
        if not text:
            return
        # Per delta: each control character is shown on its own, so a sequence split across
        # deltas is shown the same as a whole one.
        text = visible(text)
        if self._answer is None:
            from textual.widgets import Markdown

            markdown = Markdown(classes="answer", open_links=False)
            self._answer = (markdown, self.mount(markdown))
        if self._pending and self._pending[-1][0] is self._answer[0]:
            self._pending[-1][2].append(text)
        else:
            self._pending.append((*self._answer, [text]))
        if self._timer is None:
            self._timer = self.set_timer(FLUSH_EVERY, self._tick)

    async def _tick(self) -> None:
        self._timer = None
        await self.flush()
        if self._pending and self._timer is None:
            self._timer = self.set_timer(FLUSH_EVERY, self._tick)

    async def flush(self) -> None:
        """Append buffered text to its blocks now rather than at the next tick."""
        from textual.widget import MountError

        async with self._flush_lock:
            generation = self._generation
            batch, self._pending = self._pending, []
            for index, (markdown, mounted, parts) in enumerate(batch):
                if not markdown.is_mounted:
                    # Markdown's mount sets its source to "": text appended before would be lost.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(mounted(), MOUNT_WAIT)
                if generation != self._generation:
                    return
                if not markdown.is_mounted:  # not yet after all: at the next tick
                    self._pending[:0] = batch[index:]
                    return
                self.flushes += 1
                try:
                    await markdown.append("".join(parts))
                except MountError:  # cleared while appending
                    return

    def clear(self) -> None:
        self._generation += 1
        self._pending.clear()
        self._answer = None
        self._tools.clear()
        self._turn_started = None
        self.remove_children()

    def text(self) -> str:
        """The conversation as plain text: answers as rendered, tool entries with their bodies."""
        from textual.widgets import Markdown

        lines: list[str] = []
        for child in self.children:
            if isinstance(child, ToolEntry):
                lines.append(child.text())
            elif isinstance(child, Markdown):
                # The leaves: paragraphs, headings, code (a fence draws its code in a Label).
                texts = (str(leaf.content) for leaf in child.query(Static))
                lines.extend(text for text in texts if text)
            elif isinstance(child, Static):
                lines.append(str(child.content))
        return "\n".join(lines)
