"""One tiny real tool call, to tell whether this model and server can call tools at all.

`doctor` runs it; it goes through the provider itself, so the host rules, the wire format and
the options are exactly those of the agent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from marimo_tui.agent import structured
from marimo_tui.agent.answer import collect
from marimo_tui.agent.providers.base import (
    ChatMessage,
    Provider,
    ProviderError,
    RequestOptions,
    ToolChoice,
    ToolSpec,
)
from marimo_tui.agent.repair import calls_in_text

PING = ToolSpec(
    "ping",
    "Reply to a ping with the word you are given.",
    {
        "type": "object",
        "properties": {"word": {"type": "string"}},
        "required": ["word"],
        "additionalProperties": False,
    },
)
ASK = 'Call the ping tool with the word "ok". Do not write anything else.'
SYSTEM = "You are being tested. When asked to call a tool, call it."


@dataclass(frozen=True)
class ToolProbe:
    ok: bool
    detail: str
    hint: str = ""


async def probe_tools(
    provider: Provider,
    *,
    json_mode: bool = False,
    tool_choice: ToolChoice = "auto",
    timeout: float = 90.0,
) -> ToolProbe:
    """Ask for one call of `ping` (natively, or as a structured JSON step) and say what came."""
    if json_mode:
        system = structured.system_prompt(SYSTEM, [PING])
        messages = structured.history([ChatMessage("system", system), ChatMessage("user", ASK)])
        # Only the call is admitted: a server that holds the answer to the schema must send it.
        schema = structured.step_schema([PING], answer=False)
        options = RequestOptions(max_tokens=64, temperature=0, schema=schema)
        tools: list[ToolSpec] = []
    else:
        messages = [ChatMessage("system", SYSTEM), ChatMessage("user", ASK)]
        options = RequestOptions(max_tokens=64, tool_choice=tool_choice, temperature=0)
        tools = [PING]
    try:
        async with asyncio.timeout(timeout):
            answer = await collect(provider, messages, tools, options)
    except TimeoutError:
        return ToolProbe(False, f"no answer to a one-call test within {timeout:g} s")
    except ProviderError as exc:
        hint = exc.fix if exc.no_tools or json_mode else "fix the problem above first"
        return ToolProbe(False, exc.message, hint)
    text, calls, reason = answer.text, answer.calls, answer.reason
    if json_mode:
        _, calls = structured.parse_step(text, ["ping"])
        if any(c.name == "ping" for c in calls):
            return ToolProbe(True, "structured JSON steps work (the model called ping)")
        return ToolProbe(
            False,
            f"the model did not answer with a JSON step ({_said(text, reason)})",
            "the server may ignore JSON schemas: try agent.tool_mode: native",
        )
    if any(c.name == "ping" for c in calls):
        return ToolProbe(True, "native tool calls work (the model called ping)")
    if calls_in_text(text, ["ping"])[1]:
        return ToolProbe(
            True,
            "the model writes its calls as text; marimo-tui repairs them",
            "agent.tool_mode: json is steadier for this model",
        )
    return ToolProbe(
        False,
        f"the model answered without calling the tool ({_said(text, reason)})",
        "set agent.tool_mode: json (or agent.tool_choice: required)",
    )


def _said(text: str, reason: str) -> str:
    flat = " ".join(text.split())
    shown = repr(flat[:60] + ("…" if len(flat) > 60 else "")) if flat else "no text"
    return f"{shown}, finish {reason or '?'}"
