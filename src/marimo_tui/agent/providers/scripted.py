"""Replays a YAML script of assistant turns: for tests and the demo, never presented as an AI.

prompt: Chart weekly revenue     # optional: what the demo types for the user, to play by itself
turns:
  - text: "I'll plan first."
    tool_calls:
      - name: plan
        arguments: {tasks: [Read the data]}
  - tool_calls:
      - name: update_task       # `${TOOL.PATH}`: that value from TOOL's latest result
        arguments: {id: "${plan.tasks.0.id}", status: done}
  - needs: [launch_asset]        # played only when these tools are offered (else skipped)
    tool_calls:
      - name: launch_asset
        arguments: {notebook: notebooks/sales.py}
  - unless: [launch_asset]       # played only when none of these is offered
    text: Dagster is not configured, so nothing was launched.
  - text: Done.
"""

from __future__ import annotations

import asyncio
import json
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
    RequestOptions,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
    Window,
)
from marimo_tui.agent.providers.text_repair import repair_delta

_WORDS = re.compile(r"\s*\S+\s*|\s+")
_TURN_KEYS = frozenset({"text", "tool_calls", "needs", "unless"})
_CALL_KEYS = frozenset({"name", "arguments"})
_REF = re.compile(r"\$\{([A-Za-z_]\w*)((?:\.[\w-]+)*)\}")


@dataclass(frozen=True)
class Turn:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    needs: tuple[str, ...] = ()  # tools the turn uses that may not be offered (e.g. Dagster's)
    unless: tuple[str, ...] = ()  # the turn is for when these are not offered

    def plays(self, offered: set[str]) -> bool:
        return offered.issuperset(self.needs) and offered.isdisjoint(self.unless)


@dataclass(frozen=True)
class Script:
    turns: list[Turn]
    prompt: str = ""


class ScriptedProvider:
    def __init__(self, path: Path, *, tokens_per_second: float | None = None) -> None:
        self.path = Path(path)
        script = load_script(self.path)
        self.turns = script.turns
        self.prompt = script.prompt
        self.tokens_per_second = tokens_per_second
        self.info = ProviderInfo(
            "scripted", self.path.name, f"replay of {self.path.name}", replay=True
        )
        self._next = 0

    def __repr__(self) -> str:
        return f"ScriptedProvider({str(self.path)!r})"

    async def stream(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Delta]:
        offered = {t.name for t in tools}
        while self._next < len(self.turns) and not self.turns[self._next].plays(offered):
            self._next += 1
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
            yield repair_delta(TextDelta(word))
        for call in turn.tool_calls:
            arguments = _resolve(call.arguments, _results(messages))
            yield repair_delta(ToolCallDelta(ToolCall(call.id, call.name, arguments)))
        yield Usage(0, 0)
        yield Done("tool_calls" if turn.tool_calls else "stop")

    async def window(self) -> Window | None:
        return None  # a replay has no window: the budget uses the configured or default one

    async def native_tools(self) -> bool | None:
        return None

    async def aclose(self) -> None:
        return None


def _results(messages: list[ChatMessage]) -> dict[str, Any]:
    """Each tool's latest result (parsed JSON), by tool name."""
    out: dict[str, Any] = {}
    for message in messages:
        if message.role == "tool" and message.name:
            try:
                out[message.name] = json.loads(message.content)
            except ValueError:
                out[message.name] = message.content
    return out


def _lookup(results: dict[str, Any], ref: re.Match[str]) -> Any:
    value: Any = results.get(ref.group(1))
    for part in ref.group(2).split(".")[1:]:
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            value = None
        if value is None:
            break
    if value is None:
        raise ProviderError(
            f"replay script: {ref.group(0)} is not in the results so far",
            "the replayed session went differently from the script",
        )
    return value


def _resolve(arguments: Any, results: dict[str, Any]) -> Any:
    """Arguments with `${tool.path}` replaced: a whole-string reference keeps the value's type."""
    if isinstance(arguments, str):
        whole = _REF.fullmatch(arguments)
        if whole:
            return _lookup(results, whole)
        return _REF.sub(lambda m: str(_lookup(results, m)), arguments)
    if isinstance(arguments, dict):
        return {k: _resolve(v, results) for k, v in arguments.items()}
    if isinstance(arguments, list):
        return [_resolve(v, results) for v in arguments]
    return arguments


def load_script(path: Path) -> Script:
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
    if unknown := sorted(map(str, set(data) - {"turns", "prompt"})):
        raise _fail(path, f"unknown top-level key {unknown[0]!r}", _child(root, unknown[0]))
    prompt = data.get("prompt") or ""
    if not isinstance(prompt, str):
        raise _fail(path, "`prompt:` must be a string", _child(root, "prompt"))
    turns = _child(root, "turns")
    return Script(
        [_turn(path, item, _item(turns, n), n) for n, item in enumerate(data["turns"], 1)],
        prompt.strip(),
    )


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
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("needs", "unless"):
        names = item.get(key) or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _fail(path, f"turn {number}: `{key}:` must be a list of tool names", node)
        lists[key] = tuple(names)
    return Turn(text, tuple(calls), **lists)


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
