"""The agent's reading tools: the project's notebooks, a notebook's cells, one cell, the lint,
and the templates a new notebook can start from. None of them writes."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from marimo_tui.agent import cell_report as report
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.tool_base import (
    CELL,
    NOTEBOOK,
    Tool,
    ToolContext,
    ToolFailure,
    ToolOutcome,
    done,
    find_cell,
    notebook_path,
    read_notebook,
    schema,
)
from marimo_tui.notebook.templates import Template

LINT_TIMEOUT = 60.0
NO_SERVER = "no marimo server: cells are not run"


async def list_notebooks(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    from marimo_tui.project import discover_notebooks

    wb = ctx.workbench
    found = await asyncio.to_thread(discover_notebooks, wb.config)
    wb.notebooks = found
    paths = [wb.relative(p) for p in found]
    data: dict[str, Any] = {"notebooks": paths}
    if wb.current is not None:
        data["open"] = wb.relative(wb.current)
    return done(data, f"{len(paths)} notebooks")


async def list_cells(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = notebook_path(ctx, args)
    nb = await read_notebook(ctx, path)
    runs = report.kernel_runs(ctx.workbench, path, nb)
    live = runs is not None
    cells = [report.cell_summary(c, (runs or {}).get(c.id), live) for c in nb.cells]
    rel = ctx.workbench.relative(path)
    failing = sum(1 for c in cells if "error" in c)
    summary = f"{len(cells)} cells in {rel}" + (f" · {failing} failing" if failing else "")
    data: dict[str, Any] = {"notebook": rel, "cells": cells}
    if not live:
        data["status"] = NO_SERVER
    return done(data, summary, rel)


async def read_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = notebook_path(ctx, args)
    nb = await read_notebook(ctx, path)
    cell = find_cell(nb, args["cell"])
    runs = report.kernel_runs(ctx.workbench, path, nb)
    live = runs is not None
    data = report.cell_detail(cell, (runs or {}).get(cell.id), live)
    shown = data.get("status", NO_SERVER)
    return done(data, f"{cell.label}: {shown}", ctx.workbench.relative(path))


async def lint(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = notebook_path(ctx, args)
    rel = ctx.workbench.relative(path)
    marimo = shutil.which("marimo", path=str(Path(sys.executable).parent))
    command = [marimo] if marimo else [sys.executable, "-m", "marimo"]
    proc = await asyncio.create_subprocess_exec(
        *command,
        "check",
        "--format",
        "json",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ctx.workbench.root,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), LINT_TIMEOUT)
    except TimeoutError:
        proc.kill()
        raise ToolFailure(f"marimo check took more than {LINT_TIMEOUT:.0f} s") from None
    try:
        found = json.loads(out or b"{}")
    except ValueError:
        raise ToolFailure(
            f"marimo check failed: {report.clip(err.decode(errors='replace'), 500)}"
        ) from None
    issues = found.get("issues", found) if isinstance(found, dict) else found
    count = len(issues) if isinstance(issues, list) else 0
    return done({"notebook": rel, "issues": issues}, f"{count} lint issues in {rel}", rel)


async def list_templates(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    """The catalogue create_notebook picks from, asked for when needed rather than paid for in
    every request's schemas. All of them name their parameters; one (`name`) also tells each
    parameter's default and help — all of that for every template would fill a small window."""
    from marimo_tui.notebook.templates import discover_templates
    from marimo_tui.project import template_folders

    found = await asyncio.to_thread(discover_templates, template_folders(ctx.workbench.config))
    name = args.get("name")
    if name and name not in found:
        raise ToolFailure(f"no template {name!r}; templates: {', '.join(found)}")
    if name:
        return done({"templates": [_template_entry(found[name], detail=True)]}, name)
    templates = [_template_entry(t, detail=False) for t in found.values()]
    return done({"templates": templates}, f"{len(templates)} templates")


def _template_entry(template: Template, *, detail: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": template.name, "description": template.description}
    if template.params and detail:
        entry["params"] = [
            {"name": p.name, "default": p.default, **({"help": p.help} if p.help else {})}
            for p in template.params
        ]
    elif template.params:
        entry["params"] = [p.name for p in template.params]
    if template.data:
        entry["sample_data"] = [p.name for p in template.data]
    return entry


READ_TOOLS: tuple[Tool, ...] = (
    Tool(ToolSpec("list_notebooks", "List the project's notebooks.", schema([])), list_notebooks),
    Tool(
        ToolSpec(
            "list_cells",
            "A notebook's cells: id, name, names defined and read, status, error. Call it "
            "before editing.",
            schema([], notebook=NOTEBOOK),
        ),
        list_cells,
    ),
    Tool(
        ToolSpec(
            "read_cell",
            "One cell's code, output, console and error.",
            schema(["cell"], notebook=NOTEBOOK, cell=CELL),
        ),
        read_cell,
    ),
    Tool(
        ToolSpec(
            "lint",
            "Check a notebook with marimo check (multiple definitions, cycles, syntax).",
            schema([], notebook=NOTEBOOK),
        ),
        lint,
    ),
    Tool(
        ToolSpec(
            "list_templates",
            "Templates for create_notebook; with `name`, one with its params' defaults and help.",
            schema([], name={"type": "string"}),
        ),
        list_templates,
    ),
)
