"""What an agent turn reports, in order: for the chat pane, the transcript and `agent --json`.

Each event has `kind` (its JSON name) and turns into one JSON object with `as_json()`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class AgentEvent:
    kind: ClassVar[str] = "event"

    def as_json(self) -> dict[str, Any]:
        return {"type": self.kind, **asdict(self)}


@dataclass(frozen=True)
class TurnStarted(AgentEvent):
    kind: ClassVar[str] = "turn_started"
    turn: str  # the turn's id: also the journal group its writes undo with
    prompt: str
    agent: str  # profile name
    provider: str  # the provider's label ("ollama · qwen2.5-coder:7b", "replay of demo.yaml")
    replay: bool = False


@dataclass(frozen=True)
class TextDelta(AgentEvent):
    kind: ClassVar[str] = "text"
    text: str


@dataclass(frozen=True)
class ToolCalled(AgentEvent):
    kind: ClassVar[str] = "tool_call"
    call_id: str
    name: str
    arguments: dict[str, Any] | str


@dataclass(frozen=True)
class ToolFinished(AgentEvent):
    kind: ClassVar[str] = "tool_result"
    call_id: str
    name: str
    ok: bool
    summary: str  # one line for the entry's title
    result: str  # what the model is told (JSON text)
    diff: str = ""  # unified diff for edits
    path: str = ""  # the notebook it touched, relative to the project


@dataclass(frozen=True)
class ApprovalAsked(AgentEvent):
    kind: ClassVar[str] = "approval"
    call_id: str
    name: str
    path: str
    diff: str


@dataclass(frozen=True)
class TaskUpdated(AgentEvent):
    kind: ClassVar[str] = "task"
    task_id: str
    title: str
    status: str
    parent: str | None = None


@dataclass(frozen=True)
class ContextUsed(AgentEvent):
    """How full the model's window is: sent before each request (our count of what is sent)
    and again when the server reports its own count."""

    kind: ClassVar[str] = "context"
    window: int  # tokens the model's context window holds
    source: str  # where the window came from: config, ollama /api/show, llama-server /props, …
    prompt_tokens: int  # of the request (the server's count when it sent one)
    estimated: bool = True  # our estimate, not the server's count
    compacted: int = 0  # messages the budget shortened or dropped before this request

    @property
    def percent(self) -> int:
        return round(100 * self.prompt_tokens / self.window) if self.window else 0


@dataclass(frozen=True)
class AgentWarning(AgentEvent):
    kind: ClassVar[str] = "warning"
    text: str


@dataclass(frozen=True)
class TurnEnded(AgentEvent):
    kind: ClassVar[str] = "done"
    turn: str
    reason: str  # finished | cancelled | step-limit | time-limit | error
    error: str = ""  # one line when reason is error
    steps: int = 0
    writes: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
