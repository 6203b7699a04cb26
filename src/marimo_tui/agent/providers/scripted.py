"""Replays a YAML script of assistant turns: for tests and the demo, never presented as an AI.

turns:
  - text: "I'll read the first cell."
    tool_calls:
      - name: read_cell
        arguments: {id: a1b2}
  - text: Done.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marimo_tui.agent.providers.base import (
    ChatMessage,
    Delta,
    Done,
    ProviderError,
    ProviderInfo,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)

_WORDS = re.compile(r"\s*\S+\s*|\s+")
_TURN_KEYS = frozenset({"text", "tool_calls"})
_CALL_KEYS = frozenset({"name", "arguments"})


@dataclass(frozen=True)
class Turn:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


class ScriptedProvider:
    def __init__(self, path: Path, *, tokens_per_second: float | None = None) -> None:
        self.path = Path(path)
        self.turns = load_script(self.path)
        self.tokens_per_second = tokens_per_second
        self.info = ProviderInfo(
            "scripted", self.path.name, f"replay of {self.path.name}", replay=True
        )
        self._next = 0

    def __repr__(self) -> str:
        return f"ScriptedProvider({str(self.path)!r})"

    async def stream(
        self, messages: list[ChatMessage], tools: list[ToolSpec]
    ) -> AsyncIterator[Delta]:
        if self._next >= len(self.turns):
            yield TextDelta(f"(the replay of {self.path.name} has ended: it has no more turns)")
            yield Done("stop")
            return
        turn = self.turns[self._next]
        self._next += 1
        pause = 1 / self.tokens_per_second if self.tokens_per_second else 0.0
        for word in _WORDS.findall(turn.text):
            if pause:
                await asyncio.sleep(pause)
            yield TextDelta(word)
        for call in turn.tool_calls:
            yield ToolCallDelta(call)
        yield Usage(0, 0)
        yield Done("tool_calls" if turn.tool_calls else "stop")

    async def aclose(self) -> None:
        return None


def load_script(path: Path) -> list[Turn]:
    """The turns of a script; `ProviderError` names the file, the line and what is wrong."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProviderError(
            f"cannot read replay script {path}: {exc.__class__.__name__}: {exc}",
            "check the path given to --script",
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ProviderError(
            f"replay script {path}{where} is not valid YAML: {problem}", "fix the YAML"
        ) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("turns"), list):
        raise _fail(path, "needs a top-level `turns:` list", root)
    turns = _child(root, "turns")
    return [_turn(path, item, _item(turns, n), n) for n, item in enumerate(data["turns"], 1)]


def _turn(path: Path, item: object, node: Any, number: int) -> Turn:
    if not isinstance(item, Mapping):
        raise _fail(path, f"turn {number} must be a mapping with `text:` or `tool_calls:`", node)
    if unknown := sorted(map(str, set(item) - _TURN_KEYS)):
        raise _fail(path, f"turn {number} has unknown key {unknown[0]!r}", node)
    text = item.get("text") or ""
    if not isinstance(text, str):
        raise _fail(path, f"turn {number}: `text:` must be a string", _child(node, "text"))
    raw_calls = item.get("tool_calls") or []
    calls_node = _child(node, "tool_calls")
    if not isinstance(raw_calls, list):
        raise _fail(path, f"turn {number}: `tool_calls:` must be a list", calls_node)
    calls = []
    for n, call in enumerate(raw_calls, 1):
        where = _item(calls_node, n)
        what = f"turn {number}, tool call {n}"
        if not isinstance(call, Mapping) or not isinstance(call.get("name"), str):
            raise _fail(path, f"{what} needs a `name:`", where)
        if unknown := sorted(map(str, set(call) - _CALL_KEYS)):
            raise _fail(path, f"{what} has unknown key {unknown[0]!r}", where)
        arguments = call.get("arguments")
        if arguments is None:
            arguments = {}
        elif not isinstance(arguments, Mapping | str):
            raise _fail(path, f"{what}: `arguments:` must be a mapping or a string", where)
        plain = arguments if isinstance(arguments, str) else dict(arguments)
        calls.append(ToolCall(f"replay_{number}_{n}", call["name"], plain))
    return Turn(text, tuple(calls))


def _fail(path: Path, what: str, node: Any) -> ProviderError:
    mark = getattr(node, "start_mark", None)
    line = f" (line {mark.line + 1})" if mark is not None else ""
    return ProviderError(f"replay script {path}{line}: {what}", "fix the script")


def _child(node: Any, key: str) -> Any:
    """The YAML node under `key` of a mapping node (for its line), else the node itself."""
    if getattr(node, "id", None) == "mapping":
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key:
                return value_node
    return node


def _item(node: Any, number: int) -> Any:
    if getattr(node, "id", None) == "sequence" and 0 < number <= len(node.value):
        return node.value[number - 1]
    return node
