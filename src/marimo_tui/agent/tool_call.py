"""One tool call of the model, run for the agent loop: checked against its profile's tools, its
arguments parsed, dispatched. Every failure becomes a result the model reads and answers (a bug
of ours must not end the turn or the app), and the result's text is cut to the room the model's
window leaves."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from marimo_tui.agent.providers.base import ToolCall
from marimo_tui.agent.repair import parse_arguments
from marimo_tui.agent.tools import TOOLS, ToolContext, ToolFailure, ToolOutcome, dispatch

RESULT_CHARS = 24_000  # of one tool result sent back to the model


async def run_call(
    ctx: ToolContext, call: ToolCall, allowed: list[str] | None, agent: str
) -> tuple[bool, ToolOutcome]:
    """Whether the call succeeded, and its outcome (a failure's: the error, for the model).
    `allowed`: the tools of the `agent` profile (None: all)."""
    try:
        if allowed is not None and call.name not in allowed and call.name in TOOLS:
            raise ToolFailure(
                f"tool {call.name} is not allowed for the {agent} agent; "
                f"its tools: {', '.join(allowed)}"
            )
        try:
            args = parse_arguments(call.arguments)
        except ValueError as exc:
            raise ToolFailure(f"arguments of {call.name} are not valid JSON: {exc}") from None
        outcome = await dispatch(ctx, call.name, args)
    except ToolFailure as exc:
        data: dict[str, Any] = {"ok": False, "error": str(exc)}
        return False, ToolOutcome(data, (str(exc).splitlines() or [""])[0])
    except Exception as exc:  # a bug of ours must not end the turn or the app
        data = {"ok": False, "error": f"internal error in {call.name}: {exc!r}"}
        return False, ToolOutcome(data, data["error"])
    return True, outcome


def result_text(data: dict[str, Any], redact: Callable[[str], str], limit: int) -> str:
    """The result as the model reads it: compact JSON, secrets out, at most `limit` characters."""
    # Compact separators: the model reads JSON as well without the spaces, in fewer tokens.
    result = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    result = redact(result)  # before the cut: half a secret cut off would still show
    if len(result) > limit:
        result = (
            result[:limit] + f"… [{len(result) - limit} characters cut to fit the model's "
            "window: ask for less at once, e.g. fewer cells]"
        )
    return result
