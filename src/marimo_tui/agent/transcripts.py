"""Conversations saved as JSONL under `.marimo-tui/conversations/`, one file each, resumable.

Each line is one JSON object: a `meta` line first (profile, provider, when), then `message`
lines (the chat as the model sees it) and `turn` lines (how each turn ended). Secrets — the API
key, server tokens — are replaced by `***` before anything is written.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marimo_tui.agent.providers.base import ChatMessage, ToolCall
from marimo_tui.agent.providers.text_repair import repair_message, repair_text
from marimo_tui.notebook.write_paths import OutsideRoot, check_inside
from marimo_tui.redaction import REDACTED, Redactor

__all__ = ["REDACTED", "Redactor", "Transcript", "list_conversations", "load_messages"]


@dataclass(frozen=True)
class Conversation:
    id: str
    path: Path
    started: float
    title: str  # the first prompt, cut
    turns: int


def message_json(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "message", "role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "name": c.name, "arguments": c.arguments} for c in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    if message.name:
        out["name"] = message.name
    return out


def message_from_json(data: dict[str, Any]) -> ChatMessage:
    """A saved message, repaired (a file written before the repair may hold `\\ud800`)."""
    calls = tuple(
        ToolCall(str(c.get("id", "")), str(c.get("name", "")), c.get("arguments") or {})
        for c in data.get("tool_calls") or []
    )
    return repair_message(
        ChatMessage(
            role=data["role"],
            content=str(data.get("content", "")),
            tool_calls=calls,
            tool_call_id=data.get("tool_call_id"),
            name=data.get("name"),
        )
    )


class Transcript:
    """One conversation's file: appended line by line, flushed per line (a crash keeps all but
    the line being written)."""

    def __init__(
        self,
        folder: Path,
        redact: Redactor,
        conversation_id: str | None = None,
        *,
        root: Path | None = None,
    ) -> None:
        self.folder = folder
        self.redact = redact
        self.root = root  # when given, the file must resolve inside it (no linked folder)
        self.problem = ""  # why nothing is saved (a folder that leads outside the project)
        self.id = conversation_id or time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        self.path = folder / f"{self.id}.jsonl"

    def write(self, record: dict[str, Any]) -> None:
        try:
            check_inside(self.path, self.root)
        except OutsideRoot as exc:
            self.problem = str(exc)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        line = repair_text(self.redact(json.dumps(record, ensure_ascii=False, default=str)))
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    def meta(self, **fields: Any) -> None:
        if not self.path.exists():
            self.write({"type": "meta", "id": self.id, "started": time.time(), **fields})

    def message(self, message: ChatMessage) -> None:
        self.write(message_json(message))

    def turn(self, **fields: Any) -> None:
        self.write({**fields, "type": "turn", "at": time.time()})


def load_messages(path: Path) -> list[ChatMessage]:
    """The chat of a saved conversation; unreadable lines (a torn last line) are skipped."""
    messages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("type") == "message" and "role" in data:
            messages.append(message_from_json(data))
    return messages


def list_conversations(folder: Path) -> list[Conversation]:
    """Saved conversations, newest first."""
    found = []
    for path in folder.glob("*.jsonl") if folder.is_dir() else ():
        started, title, turns = path.stat().st_mtime, "", 0
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if data.get("type") == "meta":
                started = float(data.get("started", started))
            elif data.get("type") == "message" and data.get("role") == "user" and not title:
                title = " ".join(str(data.get("content", "")).split())[:80]
            elif data.get("type") == "turn":
                turns += 1
        found.append(Conversation(path.stem, path, started, title or "(empty)", turns))
    return sorted(found, key=lambda c: c.started, reverse=True)
