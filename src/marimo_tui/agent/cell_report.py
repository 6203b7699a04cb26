"""What the agent is told about cells: status, outputs and errors from the live kernel, as
plain JSON-able dicts, cut to sizes a small model's context can take."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from marimo_tui.notebook.model import Cell, Notebook

if TYPE_CHECKING:
    from marimo_tui.runtime.kernel_state import CellRun
    from marimo_tui.workbench import Workbench

OUTPUT_CHARS = 4000  # of one cell's output text told to the model
CONSOLE_CHARS = 2000  # the newest console text
TRACEBACK_LINES = 12  # the last lines of a traceback: where it failed
TABLE_ROWS = 10


def clip(text: str, limit: int, *, tail: bool = False) -> str:
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    if tail:
        return f"[… {cut} earlier characters cut]\n{text[-limit:]}"
    return f"{text[:limit]}\n[… {cut} more characters cut]"


def kernel_runs(workbench: Workbench, path: Path, nb: Notebook) -> dict[str, CellRun] | None:
    """Our cell id -> its run in the live session, or None when `path` has no session."""
    runtime = workbench.runtime
    session = runtime.session if runtime is not None else None
    if session is None or session.path != path or session.state != "ready":
        return None
    kernel = session.kernel
    matched = kernel.match([c.code for c in nb.cells])
    return {
        c.id: kernel.runs[k] for c, k in zip(nb.cells, matched, strict=True) if k in kernel.runs
    }


def status(cell: Cell, run: CellRun | None, live: bool) -> str:
    if cell.error:
        return "syntax-error"
    if run is not None:
        return run.status
    return "not-run" if live else "unknown (no marimo server)"


def error_of(cell: Cell, run: CellRun | None) -> str | None:
    """One message with the traceback's last lines, or None when the cell is fine."""
    if cell.error:
        return f"SyntaxError: {cell.error}"
    if run is None or run.output.kind != "error":
        return None
    parts = [e.message for e in run.output.errors] or [run.output.text]
    lines = [f"{e.kind}: {e.message}" for e in run.output.errors] or parts
    traceback = run.traceback or next((e.traceback for e in run.output.errors if e.traceback), "")
    if traceback:
        tail = traceback.rstrip().splitlines()[-TRACEBACK_LINES:]
        lines.append("traceback (last lines):\n" + "\n".join(tail))
    failing = next((e.line for e in run.output.errors if e.line), None)
    if failing is not None:
        code_lines = cell.code.splitlines()
        if 0 < failing <= len(code_lines):
            lines.append(f"failing line {failing}: {code_lines[failing - 1].strip()}")
    return "\n".join(lines)


def output_of(run: CellRun | None) -> dict[str, Any]:
    if run is None:
        return {}
    out: dict[str, Any] = {}
    output = run.output
    if output.kind == "table" and output.table is not None:
        table = output.table
        out["output"] = {
            "kind": "table",
            "columns": list(table.columns),
            "rows": [list(r) for r in table.rows[:TABLE_ROWS]],
            "total_rows": table.total_rows if table.total_rows is not None else len(table.rows),
        }
    elif output.kind == "image":
        out["output"] = {"kind": "image", "text": output.text or "an image"}
    elif output.kind not in ("empty", "error"):
        out["output"] = {"kind": output.kind, "text": clip(output.text, OUTPUT_CHARS)}
    console = run.console_text
    if console:
        out["console"] = clip(console, CONSOLE_CHARS, tail=True)
    if run.run_time is not None:
        out["run_time_ms"] = round(run.run_time * 1000, 1)
    return out


def cell_summary(cell: Cell, run: CellRun | None, live: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": cell.id,
        "name": cell.name if cell.named else None,
        "defines": sorted(cell.defs),
        "reads": sorted(cell.refs),
        "status": status(cell, run, live),
    }
    error = error_of(cell, run)
    if error:
        entry["error"] = error.splitlines()[0]
    return entry


def cell_detail(cell: Cell, run: CellRun | None, live: bool) -> dict[str, Any]:
    entry = cell_summary(cell, run, live)
    entry["code"] = cell.code
    error = error_of(cell, run)
    if error:
        entry["error"] = error
    entry.update(output_of(run))
    return entry


def rerun_report(
    nb: Notebook,
    runs: dict[str, CellRun] | None,
    before: dict[str, int],
    settled: bool,
    focus: set[str],
) -> dict[str, Any]:
    """After a write: which cells reran (their run's version moved on), which fail now."""
    if runs is None:
        return {"rerun": "no marimo server for this notebook: nothing ran"}
    by_id = {c.id: c for c in nb.cells}
    reran = [cid for cid, run in runs.items() if run.version != before.get(cid, -1) and run.ran]
    failing = []
    for cell in nb.cells:
        error = error_of(cell, runs.get(cell.id))
        if error is not None:
            failing.append({"cell": cell.label, "error": error})
    report: dict[str, Any] = {
        "settled": settled,
        "reran": [by_id[c].label for c in reran if c in by_id],
        "errors": failing,
    }
    if not settled:
        report["note"] = "the rerun is still going: call run_cells with wait to see the end"
    stale = [by_id[c].label for c in focus if c in by_id and runs.get(c, None) is not None]
    stale = [s for s in stale if s not in report["reran"]]
    if stale and settled:
        report["not_rerun"] = stale
    outputs = {}
    for cid in reran[:5]:
        if cid in focus and cid in by_id:
            shown = output_of(runs[cid]).get("output")
            if shown:
                outputs[by_id[cid].label] = shown
    if outputs:
        report["outputs"] = outputs
    return report


def versions(runs: dict[str, CellRun] | None) -> dict[str, int]:
    return {cid: run.version for cid, run in (runs or {}).items()}
