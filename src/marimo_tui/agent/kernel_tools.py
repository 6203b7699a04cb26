"""The agent's tools that need the live marimo kernel: read what cells showed, run cells."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marimo_tui.agent import cell_report as report
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.tool_base import (
    CELLS,
    NOTEBOOK,
    Tool,
    ToolContext,
    ToolFailure,
    ToolOutcome,
    done,
    failing_suffix,
    find_cell,
    notebook_path,
    read_notebook,
    schema,
)
from marimo_tui.notebook.model import Notebook

if TYPE_CHECKING:
    from marimo_tui.workbench import Workbench


async def read_outputs(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = notebook_path(ctx, args)
    nb = await read_notebook(ctx, path)
    runs = report.kernel_runs(ctx.workbench, path, nb)
    if runs is None:
        raise ToolFailure("no marimo server is running this notebook: there are no outputs")
    named = [find_cell(nb, ref) for ref in args.get("cells") or []]
    wanted = named or nb.cells
    # All of a big notebook: a glance at each output (errors whole); `cells` reads them whole.
    overview = not named and len(wanted) > report.OVERVIEW_CELLS
    cells = [report.cell_output(c, runs.get(c.id), overview=overview) for c in wanted]
    failing = sum(1 for c in cells if "error" in c)
    data: dict[str, Any] = {"cells": cells}
    if overview:
        data["note"] = "outputs cut to a glance; pass `cells` to read some whole"
    return done(data, f"{len(cells)} outputs · {failing} failing")


async def run_cells(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    wb = ctx.workbench
    path = notebook_path(ctx, args)
    runtime = wb.runtime
    if runtime is None:
        raise ToolFailure("marimo is not running in this session: cells cannot be run")
    nb = await read_notebook(ctx, path)
    if wb.current != path:
        wb.open(path)
    refs = args.get("cells") or []
    focus = {find_cell(nb, ref).id for ref in refs} or {c.id for c in nb.cells}
    timeout = float(args.get("timeout", ctx.rerun_timeout))
    codes = [c.code for c in nb.cells]
    if not await runtime.settle(path, codes, timeout, write=False):
        down = runtime.down()
        if down:
            raise ToolFailure(f"the marimo server is down ({down}): cells cannot be run now")
        raise ToolFailure("the marimo kernel is not ready (still starting or busy); try again")
    runs = report.kernel_runs(wb, path, nb) or {}
    before = report.versions(runs)
    try:
        if refs:
            await runtime.run_cells(path, _kernel_ids(wb, path, nb, focus))
        else:
            await runtime.run_all(path)
    except Exception as exc:  # the session's HTTP errors, a dead server
        raise ToolFailure(f"marimo refused the run: {exc}") from None
    started = time.monotonic()
    settled = True
    if args.get("wait", True):
        settled = await runtime.settle(path, codes, timeout, write=False)
    data = report.rerun_report(nb, report.kernel_runs(wb, path, nb), before, settled, focus)
    data["seconds"] = round(time.monotonic() - started, 2)
    summary = f"ran {len(data.get('reran', []))} cells{failing_suffix(data)}"
    return done(data, summary, wb.relative(path))


def _kernel_ids(wb: Workbench, path: Path, nb: Notebook, ours: set[str]) -> list[str]:
    runtime = wb.runtime
    assert runtime is not None and runtime.session is not None
    matched = runtime.session.kernel.match([c.code for c in nb.cells])
    ids = [k for c, k in zip(nb.cells, matched, strict=True) if c.id in ours and k is not None]
    if not ids:
        raise ToolFailure("marimo does not know these cells yet; wait a moment and retry")
    return ids


KERNEL_TOOLS: tuple[Tool, ...] = (
    Tool(
        ToolSpec(
            "read_outputs",
            "Outputs and errors of cells from the live kernel (default: all, at a glance).",
            schema([], notebook=NOTEBOOK, cells=CELLS),
        ),
        read_outputs,
    ),
    Tool(
        ToolSpec(
            "run_cells",
            "Run cells (default: all) and wait; returns what ran, outputs and errors.",
            schema(
                [],
                notebook=NOTEBOOK,
                cells=CELLS,
                wait={"type": "boolean"},
                timeout={"type": "number", "minimum": 0.1, "maximum": 600},
            ),
        ),
        run_cells,
    ),
)
