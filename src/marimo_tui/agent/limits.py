"""The limits an agent session works within, from `agent.*` of the config: its approval policy,
steps and time of a turn, tokens of an answer, the model's window, and how tools are called."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from marimo_tui.agent.providers.base import ToolChoice
from marimo_tui.agent.tool_base import Approval

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
