"""The agent's writing tools: a new notebook from a template, and cell edits (add, change,
delete, move, rename). Each asks consent when asked to, writes through the store, waits for
marimo's rerun, and answers with what reran and what fails — never with the code it was sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marimo_tui.agent import cell_report as report
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.agent.tool_base import (
    CELL,
    CODE,
    NOTEBOOK,
    Tool,
    ToolContext,
    ToolFailure,
    ToolOutcome,
    consent,
    done,
    failing_suffix,
    find_cell,
    guarded_write,
    notebook_path,
    read_if_unseen,
    read_notebook,
    schema,
    target_cell,
    unified_diff,
    wait_for_rerun,
)
from marimo_tui.notebook.errors import NotebookError, StoreError
from marimo_tui.notebook.templates import DATA_FOLDER


async def create_notebook(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    from marimo_tui.notebook.templates import instantiate

    wb = ctx.workbench
    params = {str(k): str(v) for k, v in (args.get("params") or {}).items()}
    try:
        template = wb.template(args.get("template", "blank"))
        text = instantiate(template, params)
    except (ValueError, StoreError) as exc:
        raise ToolFailure(str(exc)) from None
    try:
        target = wb.store.resolve(Path(args["path"]))  # relative to the project, inside it
    except StoreError as exc:
        raise ToolFailure(str(exc)) from None
    rel = wb.relative(target)
    await consent(ctx, "create_notebook", rel, unified_diff(rel, "", text))
    try:
        path = await wb.create_notebook(target, template, params, group=ctx.group)
    except (StoreError, NotebookError) as exc:
        raise ToolFailure(str(exc)) from None
    ctx.writes += 1
    nb = await read_notebook(ctx, path)
    wb.open(path)
    data: dict[str, Any] = {"ok": True, "notebook": wb.relative(path)}
    if template.data:
        # Where the notebook reads its sample data from (created now, or kept as it was).
        folder = path.parent / DATA_FOLDER
        data["sample_data"] = [wb.relative(folder / p.name) for p in template.data]
    # Not run yet (no statuses): the rerun below tells what ran.
    data["cells"] = [report.cell_summary(c, None, False) for c in nb.cells]
    if wb.runtime is not None:
        data.update(await wait_for_rerun(ctx, path, nb, {}, {c.id for c in nb.cells}))
    rel = wb.relative(path)
    return done(
        data,
        f"created {rel} from {template.name}{failing_suffix(data)}",
        rel,
        unified_diff(rel, "", text),
    )


async def add_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = notebook_path(ctx, args)
    nb = await read_if_unseen(ctx, path)
    after = args.get("after")
    if after is not None:
        find_cell(nb, after)
    code = args["code"]
    rel = ctx.workbench.relative(path)
    diff = unified_diff(rel, "", code)
    result, data = await guarded_write(
        ctx,
        path,
        "add_cell",
        diff,
        lambda s, base: s.add_cell(
            path, code, after=after, name=args.get("name") or "_", base=base
        ),
    )
    cell = result.notebook.get(result.cell_id or "")
    data["cell"] = {"id": cell.id, "name": cell.name} if cell.named else {"id": cell.id}
    return done(data, f"added {cell.label} to {rel}{failing_suffix(data)}", rel, diff)


async def edit_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path, _, cell, rel = await target_cell(ctx, args)
    if "code" in args:
        if "search" in args or "replace" in args:
            raise ToolFailure("give either `code` (the whole cell) or `search` and `replace`")
        new = args["code"]
    elif "search" in args and "replace" in args:
        hits = cell.code.count(args["search"]) if args["search"] else 0
        if hits != 1:
            what = "was not found" if hits == 0 else f"was found {hits} times (add context)"
            # The model's idea of the code is wrong: here the code is worth its tokens.
            raise ToolFailure(f"`search` {what} in cell {cell.label}; its code is:\n{cell.code}")
        new = cell.code.replace(args["search"], args["replace"])
    else:
        raise ToolFailure("give `code` (the whole new cell) or both `search` and `replace`")
    # The whole new cell: it runs as soon as it is written, so all of it is shown first.
    diff = unified_diff(f"{rel} ({cell.label})", cell.code, new, whole=True)
    _, data = await guarded_write(
        ctx, path, "edit_cell", diff, lambda s, base: s.replace_cell(path, cell.id, new, base=base)
    )
    return done(data, f"edited {cell.label} in {rel}{failing_suffix(data)}", rel, diff)


async def delete_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path, _, cell, rel = await target_cell(ctx, args)
    diff = unified_diff(f"{rel} ({cell.label})", cell.code, "")
    _, data = await guarded_write(
        ctx, path, "delete_cell", diff, lambda s, base: s.delete_cell(path, cell.id, base=base)
    )
    return done(data, f"deleted {cell.label} from {rel}{failing_suffix(data)}", rel, diff)


async def move_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path, nb, cell, rel = await target_cell(ctx, args)
    position = args["position"] - 1
    if not 0 <= position < len(nb.cells):
        raise ToolFailure(f"position must be 1 to {len(nb.cells)}")
    diff = f"move {cell.label} from #{nb.position(cell.id) + 1} to #{position + 1}\n"
    _, data = await guarded_write(
        ctx,
        path,
        "move_cell",
        diff,
        lambda s, base: s.move_cell(path, cell.id, position, base=base),
    )
    return done(data, f"moved {cell.label} to #{position + 1}", rel, diff)


async def rename_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path, _, cell, rel = await target_cell(ctx, args)
    diff = f"rename {cell.label} to {args['name']}\n"
    _, data = await guarded_write(
        ctx,
        path,
        "rename_cell",
        diff,
        lambda s, base: s.rename_cell(path, cell.id, args["name"], base=base),
    )
    return done(data, f"renamed {cell.label} to {args['name']}", rel, diff)


EDIT_TOOLS: tuple[Tool, ...] = (
    Tool(
        ToolSpec(
            "create_notebook",
            "Create a notebook from a template (default blank; see list_templates) and open it.",
            schema(
                ["path"],
                path={"type": "string", "description": "e.g. notebooks/sales.py"},
                template={"type": "string"},
                params={"type": "object", "additionalProperties": {"type": "string"}},
            ),
        ),
        create_notebook,
        writes=True,
    ),
    Tool(
        ToolSpec(
            "add_cell",
            "Add a cell at the end or after `after`. Returns what reran and errors.",
            schema(["code"], notebook=NOTEBOOK, code=CODE, after=CELL, name={"type": "string"}),
        ),
        add_cell,
        writes=True,
    ),
    Tool(
        ToolSpec(
            "edit_cell",
            "Replace a cell's whole `code`, or its `search` text (found once) with `replace`. "
            "Returns what reran and errors.",
            schema(
                ["cell"],
                notebook=NOTEBOOK,
                cell=CELL,
                code=CODE,
                search={"type": "string"},
                replace={"type": "string"},
            ),
        ),
        edit_cell,
        writes=True,
    ),
    Tool(
        ToolSpec("delete_cell", "Delete a cell.", schema(["cell"], notebook=NOTEBOOK, cell=CELL)),
        delete_cell,
        writes=True,
    ),
    Tool(
        ToolSpec(
            "move_cell",
            "Move a cell to a 1-based position (page order only; runs follow dependencies).",
            schema(
                ["cell", "position"],
                notebook=NOTEBOOK,
                cell=CELL,
                position={"type": "integer", "minimum": 1},
            ),
        ),
        move_cell,
        writes=True,
    ),
    Tool(
        ToolSpec(
            "rename_cell",
            "Name a cell (a Python identifier).",
            schema(["cell", "name"], notebook=NOTEBOOK, cell=CELL, name={"type": "string"}),
        ),
        rename_cell,
        writes=True,
    ),
)
