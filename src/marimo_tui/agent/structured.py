"""Structured-output mode, for models whose native tool calls do not work.

Each step the model answers with one JSON object — `{"tool": NAME, "arguments": {…}}` or
`{"answer": "…"}` — and the server holds it to a JSON schema (Ollama's `format`, llama.cpp's
grammar behind `response_format: json_schema`), so every step is a well-formed call of a tool
that exists, with arguments of the right shape. No tools are sent natively: the system prompt
lists them, and history goes to the model as plain user/assistant turns (tool results as user
messages), which every chat template can render.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from marimo_tui.agent.providers.base import ChatMessage, Role, ToolCall, ToolSpec
from marimo_tui.agent.repair import calls_in_text, parse_arguments

RESULT_HEAD = "Result of "


def step_schema(tools: Sequence[ToolSpec], *, answer: bool = True) -> dict[str, Any]:
    """One object: a call of one of `tools` with its own argument schema, or (with `answer`)
    a final answer."""
    choices: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {"tool": {"const": t.name}, "arguments": _bare(t.parameters)},
            "required": ["tool", "arguments"],
            "additionalProperties": False,
        }
        for t in tools
    ]
    if answer:
        choices.append(
            {
                "type": "object",
                "properties": {"answer": {"type": "string"}},
                "required": ["answer"],
                "additionalProperties": False,
            }
        )
    return {"anyOf": choices}


def _bare(schema: Any) -> Any:
    """The schema without descriptions: the grammar does not need them, the prompt has them."""
    if isinstance(schema, Mapping):
        return {k: _bare(v) for k, v in schema.items() if k != "description"}
    if isinstance(schema, list):
        return [_bare(v) for v in schema]
    return schema


def system_prompt(base: str, tools: Sequence[ToolSpec]) -> str:
    """The profile's prompt, then how to answer and the tools, one line each."""
    lines = [
        base.rstrip(),
        "",
        "Answer every step with ONE JSON object and nothing else:",
        '{"tool": "NAME", "arguments": {...}} to call a tool, and you will get its result;',
        '{"answer": "..."} when you are done (Markdown, for the user).',
        "Tools:",
    ]
    lines += [f"- {_signature(t)}: {t.description}" for t in tools]
    return "\n".join(lines) + "\n"


def _signature(tool: ToolSpec) -> str:
    props = tool.parameters.get("properties") or {}
    required = set(tool.parameters.get("required") or ())
    args = [f"{name}{'' if name in required else '?'}: {_type(p)}" for name, p in props.items()]
    return f"{tool.name}({', '.join(args)})"


def _type(prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        return "|".join(json.dumps(v) for v in prop["enum"])
    kind = prop.get("type")
    if kind == "array":
        return f"[{_type(prop.get('items') or {})}]"
    return str(kind or "any")


def history(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The conversation as alternating user/assistant text: each call as the JSON the model
    wrote, each result as a user message; neighbours of one role are joined."""
    out: list[ChatMessage] = []
    for message in messages:
        if message.role == "system":
            out.append(message)
            continue
        role: Role
        if message.role == "tool":
            role, text = "user", f"{RESULT_HEAD}{message.name or 'tool'}: {message.content}"
        elif message.role == "assistant":
            role, text = "assistant", _as_steps(message)
        else:
            role, text = message.role, message.content
        if out and out[-1].role == role:
            out[-1] = ChatMessage(role, f"{out[-1].content}\n\n{text}")
        else:
            out.append(ChatMessage(role, text))
    return out


def _as_steps(message: ChatMessage) -> str:
    steps = [
        json.dumps({"tool": c.name, "arguments": _args(c)}, ensure_ascii=False)
        for c in message.tool_calls
    ]
    if not steps:
        return json.dumps({"answer": message.content}, ensure_ascii=False)
    # Text that came with native calls (before a switch to JSON steps) stays in the history.
    return "\n".join([message.content.strip(), *steps] if message.content.strip() else steps)


def _args(call: ToolCall) -> object:
    try:
        return parse_arguments(call.arguments)
    except ValueError:
        return {"unparsed_arguments": call.arguments}


def parse_step(text: str, known: Collection[str]) -> tuple[str, list[ToolCall]]:
    """The answer text and the calls in one step's JSON; text that is not a step (a server
    that ignored the schema) is read for written-out calls, else taken as the answer."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        tool = value.get("tool")
        if isinstance(tool, str) and tool:
            arguments = value.get("arguments")
            if not isinstance(arguments, dict | str):
                arguments = {} if arguments is None else json.dumps(arguments)
            return "", [ToolCall("", tool, arguments)]
        if isinstance(value.get("answer"), str):
            return value["answer"], []
    rest, calls = calls_in_text(text, known)
    return (rest, calls) if calls else (text, [])
