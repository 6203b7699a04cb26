"""The agent's tools, gathered: which exist (`TOOLS`, Dagster's apart), what a model is offered
(`specs`), and how a call is checked and run (`validate`, `dispatch`).

Arguments are validated against the tool's schema before anything runs; a bad call, a refused
write or a failed operation becomes `ToolFailure`, whose message goes back to the model. There
is no shell. The tools themselves live in `notebook_read_tools`, `kernel_tools`,
`notebook_edit_tools`, `task_tools` and `dagster_tools`, on `tool_base`; the names other modules
import from here are re-exported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marimo_tui.agent.dagster_tools import DAGSTER_TOOLS
from marimo_tui.agent.kernel_tools import KERNEL_TOOLS
from marimo_tui.agent.notebook_edit_tools import EDIT_TOOLS
from marimo_tui.agent.notebook_read_tools import READ_TOOLS
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.task_tools import TASK_TOOLS
from marimo_tui.agent.tool_base import (
    Answer,
    Approval,
    Approver,
    Tool,
    ToolContext,
    ToolFailure,
    ToolOutcome,
    closed,
)

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "DAGSTER",
    "TOOLS",
    "Answer",
    "Approval",
    "Approver",
    "Tool",
    "ToolContext",
    "ToolFailure",
    "ToolOutcome",
    "dispatch",
    "specs",
    "validate",
]

# The order is the order of the schemas in every request: fixed, so the prompt's prefix is
# byte-identical from one request to the next and servers reuse their KV cache.
TOOLS: dict[str, Tool] = {
    t.spec.name: t for t in (*READ_TOOLS, *KERNEL_TOOLS, *EDIT_TOOLS, *TASK_TOOLS)
}
DAGSTER: dict[str, Tool] = {t.spec.name: t for t in DAGSTER_TOOLS}  # offered when configured
_ALL: dict[str, Tool] = {**TOOLS, **DAGSTER}

_validators: dict[str, Validator] = {}


def validate(name: str, args: Mapping[str, Any]) -> None:
    """Raise ToolFailure listing every problem of `args` against the tool's schema."""
    from jsonschema import Draft202012Validator

    validator = _validators.get(name)
    if validator is None:
        schema = closed(_ALL[name].spec.parameters)
        validator = _validators[name] = Draft202012Validator(schema)
    problems = sorted(validator.iter_errors(dict(args)), key=lambda e: list(e.path))
    if problems:
        described = "; ".join(
            f"{'.'.join(map(str, p.path)) or 'arguments'}: {p.message[:200]}" for p in problems[:5]
        )
        raise ToolFailure(f"invalid arguments for {name}: {described}")


def specs(allowed: list[str] | None = None, *, dagster: bool = False) -> list[ToolSpec]:
    """The tools to offer: those allowed (all when None), Dagster's only when it is configured.

    The same specs, in the same order, on every call: nothing here depends on the project
    (templates are listed by the `list_templates` tool, not in a schema).
    """
    offered = _ALL if dagster else TOOLS
    return [t.spec for n, t in offered.items() if not allowed or n in allowed]


async def dispatch(ctx: ToolContext, name: str, args: Mapping[str, Any]) -> ToolOutcome:
    """Validate and run one call; every failure is a ToolFailure with a message for the model."""
    tool = _ALL.get(name)
    if tool is None:
        raise ToolFailure(f"unknown tool {name!r}; tools: {', '.join(TOOLS)}")
    validate(name, args)
    return await tool.handler(ctx, dict(args))
