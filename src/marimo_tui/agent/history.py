"""The conversation kept sendable: every tool call the model made answered (servers refuse a
history with an unanswered call), call ids unique, and no secret in a message or an event."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import TYPE_CHECKING, Any, TypeVar

from marimo_tui.agent.providers.base import ChatMessage, ToolCall

if TYPE_CHECKING:
    from marimo_tui.redaction import Redactor

T = TypeVar("T")


def redacted(redact: Redactor, item: T) -> T:
    """An event or message with every secret in its text replaced (itself when none)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(item):  # type: ignore[arg-type]
        value = getattr(item, f.name)
        if f.name == "tool_calls":
            clean = tuple(redacted(redact, call) for call in value)
            same = all(a is b for a, b in zip(clean, value, strict=True))
        else:
            clean = redact.value(value)
            same = clean is value
        if not same:
            changes[f.name] = clean
    return dataclasses.replace(item, **changes) if changes else item  # type: ignore[type-var]


def answered(history: list[ChatMessage]) -> list[ChatMessage]:
    """A saved conversation with every tool call answered: a call whose result was never
    saved (the process was stopped mid-call) gets a "not run" result, or servers refuse it."""
    out: list[ChatMessage] = []
    pending: list[ToolCall] = []

    def close() -> None:
        for call in pending:
            note = {"ok": False, "error": "not run: the conversation was interrupted"}
            out.append(ChatMessage("tool", json.dumps(note), tool_call_id=call.id, name=call.name))
        pending.clear()

    for message in history:
        if message.role == "tool":
            pending[:] = [c for c in pending if c.id != message.tool_call_id]
        else:
            close()
        out.append(message)
        if message.role == "assistant":
            pending.extend(message.tool_calls)
    close()
    return out


def unanswered_results(calls: list[ToolCall], reason: str, written: set[str]) -> list[ChatMessage]:
    """A result for each call a turn that ended (`reason`) left unanswered; `written`: the
    calls whose write is on disk although the turn ended before marimo's rerun."""
    out = []
    for call in calls:
        if call.id in written:  # Esc during marimo's rerun: the write is on disk
            error = f"it was written, but the turn ended ({reason}) before marimo's rerun"
            note = {"ok": True, "note": error + "; read the notebook again"}
        else:
            note = {"ok": False, "error": f"not run: the turn ended ({reason})"}
        out.append(ChatMessage("tool", json.dumps(note), tool_call_id=call.id, name=call.name))
    return out


def unique_ids(calls: list[ToolCall], seen: set[str]) -> list[ToolCall]:
    """Ids the model left out, or repeated in this conversation (`seen`, which grows; Ollama
    numbers each answer's calls from 1), would pair results with the wrong call."""
    out = []
    for i, call in enumerate(calls):
        cid = call.id or f"call_{len(seen) + i + 1}"
        while cid in seen:
            cid = f"{cid}_{uuid.uuid4().hex[:4]}"
        seen.add(cid)
        out.append(call if cid == call.id else ToolCall(cid, call.name, call.arguments))
    return out
