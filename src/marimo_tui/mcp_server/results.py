"""What an outside agent reads back: a tool's outcome as text it can act on (and the same as
structured content), and a notebook as the cell view shows it (the MCP resource).

Both backends build their answers here, so an agent reads the same whether the tools ran
headless or in the open workbench. Everything passes the workbench's redactor first: a secret a
cell printed never leaves through MCP, as it never reaches the built-in agent's model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marimo_tui.agent import cell_report as report
from marimo_tui.agent.tools import ToolOutcome
from marimo_tui.mcp_server.backend import CallResult, NotebookResource

if TYPE_CHECKING:
    from marimo_tui.redaction import Redactor
    from marimo_tui.workbench import Workbench

RESULT_CHARS = 60_000  # of one result's text: a client's context is bigger than a local model's
URI_PREFIX = "marimo-tui://notebook/"


def outcome_result(outcome: ToolOutcome, redact: Redactor) -> CallResult:
    """A finished call: its one-line summary, the failing cells' errors written out (their
    tracebacks line by line, not as escaped JSON), then the whole result as JSON."""
    data = redact.value(outcome.data)
    parts = [redact(outcome.summary)]
    errors = data.get("errors") if isinstance(data, dict) else None
    if errors:
        parts.append("failing cells:")
        parts.extend(f"- {e.get('cell')}: {e.get('error')}" for e in errors)
    parts.append(json.dumps(data, ensure_ascii=False, default=str, indent=1))
    return CallResult(report.clip("\n".join(parts), RESULT_CHARS), data)


def failure_result(message: str, redact: Redactor) -> CallResult:
    """A refused or failed call: nothing was written; the message says why and what to do."""
    message = redact(message)
    return CallResult(message, {"ok": False, "error": message}, is_error=True)


def notebook_uri(path: str) -> str:
    return URI_PREFIX + path


def path_of_uri(uri: str) -> str | None:
    return uri[len(URI_PREFIX) :] if uri.startswith(URI_PREFIX) else None


def notebook_resources(workbench: Workbench, paths: list[Path]) -> list[NotebookResource]:
    return [NotebookResource(workbench.relative(p), p.stem) for p in paths]


async def notebook_text(workbench: Workbench, path: Path) -> str:
    """The notebook as the cell view shows it: each cell's #N, name, status, code, error and
    output (at a glance), from the store and the live kernel."""
    nb = await workbench.run_in_store(lambda s: s.read(path))
    runs = report.kernel_runs(workbench, path, nb)
    live = runs is not None
    rel = workbench.relative(path)
    head = f"# {rel} · {len(nb.cells)} cells · " + (
        "marimo: live" if live else "marimo: not running this notebook (statuses unknown)"
    )
    lines = [head, ""]
    for number, cell in enumerate(nb.cells, 1):
        run = (runs or {}).get(cell.id)
        state = report.cell_state(cell, run, live, brief=False)
        title = f"## #{number} {cell.name if cell.named else cell.id}"
        if "status" in state:
            title += f" · {state['status']}"
        lines += [title, "```python", cell.code, "```"]
        if "error" in state:
            lines += ["error:", str(state["error"])]
        shown = report.output_of(run, overview=True)
        output: dict[str, Any] | None = shown.get("output")
        if output is not None:
            lines.append(f"output ({output['kind']}): {_glance(output)}")
        if "console" in shown:
            lines.append(f"console: {shown['console']}")
        lines.append("")
    return workbench.redactor("\n".join(lines))


def _glance(output: dict[str, Any]) -> str:
    if output["kind"] == "table":
        return f"{output['total_rows']} rows × {len(output['columns'])} columns: " + ", ".join(
            map(str, output["columns"])
        )
    return str(output.get("text", ""))
