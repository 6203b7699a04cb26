"""The agent's tools: cell-level operations on marimo notebooks, each with a JSON schema.

Arguments are validated against the schema before anything runs; a bad call, a refused write or
a failed operation becomes `ToolFailure`, whose message goes back to the model. Every write goes
through the workbench's `NotebookStore` (atomic, conflict-checked against the version the agent
last read, journaled under the turn's group, confined to the project root). There is no shell.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import shutil
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from marimo_tui.agent import cell_report as report
from marimo_tui.agent.events import AgentEvent, ApprovalAsked, TaskUpdated
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.notebook.errors import ConflictError, NotebookError, StoreError
from marimo_tui.notebook.model import Cell, Notebook
from marimo_tui.notebook.templates import DATA_FOLDER, Template

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from marimo_tui.notebook.store import EditResult, NotebookStore
    from marimo_tui.workbench import Workbench

Approval = Literal["ask", "auto", "read-only"]
Answer = Literal["yes", "no", "all"]
Approver = Callable[[ApprovalAsked], Awaitable[Answer]]
LINT_TIMEOUT = 60.0


class ToolFailure(Exception):
    """What went wrong, told to the model (and shown in the chat) as the tool's result."""


@dataclass
class ToolContext:
    """One turn's view of the workbench: what the agent has read, and what it may write."""

    workbench: Workbench
    group: str  # the journal group of this turn's writes: `/undo` reverts them together
    emit: Callable[[AgentEvent], None]
    approval: Approval = "ask"
    approver: Approver | None = None
    rerun_timeout: float = 30.0
    seen: dict[Path, str | None] = field(default_factory=dict)  # notebook -> hash the agent read
    approve_all: bool = False
    call_id: str = ""  # the call being run: approvals name it
    writes: int = 0
    tasks_made: list[str] = field(default_factory=list)


@dataclass
class ToolOutcome:
    data: dict[str, Any]  # the result, as JSON, for the model
    summary: str  # one line for the chat
    diff: str = ""
    path: str = ""


Handler = Callable[[ToolContext, dict[str, Any]], Awaitable[ToolOutcome]]


@dataclass(frozen=True)
class Tool:
    spec: ToolSpec
    handler: Handler
    writes: bool = False


# -- schemas -------------------------------------------------------------------------------------
NOTEBOOK = {
    "type": "string",
    "description": "Notebook path relative to the project (default: the open notebook).",
}
CELL = {"type": "string", "description": "Cell id, cell name, or #N (1-based position)."}
CODE = {"type": "string", "description": "Python code of the cell (no @app.cell wrapper)."}


def _schema(required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


# -- helpers -------------------------------------------------------------------------------------
def _path(ctx: ToolContext, args: Mapping[str, Any]) -> Path:
    raw = args.get("notebook")
    wb = ctx.workbench
    if not raw:
        if wb.current is None:
            raise ToolFailure("no notebook is open: pass `notebook` (see list_notebooks)")
        return wb.current
    try:
        path = wb.store.resolve(Path(raw))
    except StoreError as exc:
        raise ToolFailure(str(exc)) from None
    if path.suffix != ".py":
        raise ToolFailure(f"{raw} is not a notebook (.py file)")
    return path


async def _read(ctx: ToolContext, path: Path) -> Notebook:
    try:
        nb = await ctx.workbench.run_in_store(lambda s: s.read(path))
    except NotebookError as exc:
        raise ToolFailure(f"cannot read {ctx.workbench.relative(path)}: {exc}") from None
    ctx.seen[path] = nb.base_hash
    return nb


def _cell(nb: Notebook, ref: str) -> Cell:
    cell = nb.find(ref)
    if cell is None:
        known = ", ".join(c.label for c in nb.cells[:30])
        raise ToolFailure(f"no cell {ref!r} in {nb.path.name}; cells: {known}")
    return cell


def _diff(rel: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        f"a/{rel}",
        f"b/{rel}",
        n=2,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


async def _write(
    ctx: ToolContext,
    path: Path,
    name: str,
    diff: str,
    operation: Callable[[NotebookStore, str | None], EditResult],
) -> tuple[EditResult, dict[str, Any]]:
    """Ask (when asked to), write through the store, wait for marimo's rerun, report it."""
    wb = ctx.workbench
    rel = wb.relative(path)
    await _consent(ctx, name, rel, diff)
    base = ctx.seen.get(path)
    runs_before = report.versions(report.kernel_runs(wb, path, wb.store.notebook(path)))
    group = ctx.group

    def run(store: NotebookStore) -> EditResult:
        with store.grouped(group):
            return operation(store, base)

    try:
        # Shielded: Esc cancels the turn, never a write half way (the write is atomic anyway,
        # and its view update and journal entry belong together).
        result = await asyncio.shield(wb.edit(run))
    except ConflictError as exc:
        ctx.seen.pop(path, None)
        raise ToolFailure(
            f"{rel} changed on disk since you read it (the user or another program edited it); "
            f"nothing was written. Read it again (list_cells / read_cell) and redo the edit. "
            f"{exc}"
        ) from None
    except (StoreError, NotebookError) as exc:
        raise ToolFailure(str(exc)) from None
    ctx.writes += 1
    ctx.seen[path] = result.notebook.base_hash
    rerun = await _rerun(ctx, path, result.notebook, runs_before, result.stale)
    data: dict[str, Any] = {"ok": True, "notebook": rel}
    if result.warnings:
        data["warnings"] = result.warnings
    data.update(rerun)
    return result, data


async def _consent(ctx: ToolContext, name: str, rel: str, diff: str) -> None:
    if ctx.approval == "read-only":
        raise ToolFailure(
            "read-only mode: no writes are allowed in this session; describe the change instead"
        )
    if ctx.approval == "auto" or ctx.approve_all:
        return
    if ctx.approver is None:
        raise ToolFailure("this edit needs the user's approval and nobody can give it here")
    asked = ApprovalAsked(call_id=ctx.call_id, name=name, path=rel, diff=diff)
    ctx.emit(asked)
    answer = await ctx.approver(asked)
    if answer == "all":
        ctx.approve_all = True
    elif answer != "yes":
        raise ToolFailure("the user declined this edit; nothing was written. Ask what they want")


async def _rerun(
    ctx: ToolContext, path: Path, nb: Notebook, before: dict[str, int], focus: set[str]
) -> dict[str, Any]:
    wb = ctx.workbench
    runtime = wb.runtime
    if runtime is None:
        return {"rerun": "marimo is not running in this session: the change was not run"}
    if wb.current != path:
        wb.open(path)  # the cell view follows the agent, and the notebook gets a session
    settled = await runtime.settle(path, [c.code for c in nb.cells], ctx.rerun_timeout)
    runs = report.kernel_runs(wb, path, nb)
    return report.rerun_report(nb, runs, before, settled, focus)


def _done(data: dict[str, Any], summary: str, path: str = "", diff: str = "") -> ToolOutcome:
    return ToolOutcome(data, summary, diff, path)


def _failures(data: dict[str, Any]) -> str:
    errors = data.get("errors") or []
    return f" · {len(errors)} failing" if errors else ""


# -- reading tools ----------------------------------------------------------------------------
async def list_notebooks(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    from marimo_tui.project import discover_notebooks

    wb = ctx.workbench
    found = await asyncio.to_thread(discover_notebooks, wb.config)
    wb.notebooks = found
    paths = [wb.relative(p) for p in found]
    current = wb.relative(wb.current) if wb.current is not None else None
    return _done({"notebooks": paths, "open": current}, f"{len(paths)} notebooks")


async def list_cells(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = _path(ctx, args)
    nb = await _read(ctx, path)
    runs = report.kernel_runs(ctx.workbench, path, nb)
    live = runs is not None
    cells = [report.cell_summary(c, (runs or {}).get(c.id), live) for c in nb.cells]
    rel = ctx.workbench.relative(path)
    failing = sum(1 for c in cells if "error" in c)
    summary = f"{len(cells)} cells in {rel}" + (f" · {failing} failing" if failing else "")
    return _done({"notebook": rel, "cells": cells}, summary, rel)


async def read_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = _path(ctx, args)
    nb = await _read(ctx, path)
    cell = _cell(nb, args["cell"])
    runs = report.kernel_runs(ctx.workbench, path, nb)
    data = report.cell_detail(cell, (runs or {}).get(cell.id), runs is not None)
    return _done(data, f"{cell.label}: {data['status']}", ctx.workbench.relative(path))


async def read_outputs(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = _path(ctx, args)
    nb = await _read(ctx, path)
    runs = report.kernel_runs(ctx.workbench, path, nb)
    if runs is None:
        raise ToolFailure("no marimo server is running this notebook: there are no outputs")
    wanted = [_cell(nb, ref) for ref in args.get("cells") or []] or nb.cells
    cells = []
    for cell in wanted:
        entry = report.cell_summary(cell, runs.get(cell.id), True)
        error = report.error_of(cell, runs.get(cell.id))
        if error:
            entry["error"] = error
        entry.update(report.output_of(runs.get(cell.id)))
        cells.append(entry)
    failing = sum(1 for c in cells if "error" in c)
    return _done({"cells": cells}, f"{len(cells)} outputs · {failing} failing")


async def lint(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = _path(ctx, args)
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
    return _done({"notebook": rel, "issues": issues}, f"{count} lint issues in {rel}", rel)


# -- writing tools ------------------------------------------------------------------------------
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
    await _consent(ctx, "create_notebook", rel, _diff(rel, "", text))
    try:
        path = await wb.create_notebook(target, template, params, group=ctx.group)
    except (StoreError, NotebookError) as exc:
        raise ToolFailure(str(exc)) from None
    ctx.writes += 1
    nb = await _read(ctx, path)
    wb.open(path)
    data: dict[str, Any] = {"ok": True, "notebook": wb.relative(path)}
    if template.data:
        # Where the notebook reads its sample data from (created now, or kept as it was).
        folder = path.parent / DATA_FOLDER
        data["sample_data"] = [wb.relative(folder / p.name) for p in template.data]
    data["cells"] = [report.cell_summary(c, None, False) for c in nb.cells]
    if wb.runtime is not None:
        data.update(await _rerun(ctx, path, nb, {}, {c.id for c in nb.cells}))
    rel = wb.relative(path)
    return _done(
        data, f"created {rel} from {template.name}{_failures(data)}", rel, _diff(rel, "", text)
    )


async def add_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path = _path(ctx, args)
    nb = await _read_if_unseen(ctx, path)
    after = args.get("after")
    if after is not None:
        _cell(nb, after)
    code = args["code"]
    rel = ctx.workbench.relative(path)
    diff = _diff(rel, "", code)
    result, data = await _write(
        ctx,
        path,
        "add_cell",
        diff,
        lambda s, base: s.add_cell(
            path, code, after=after, name=args.get("name") or "_", base=base
        ),
    )
    cell = result.notebook.get(result.cell_id or "")
    data["cell"] = {"id": cell.id, "name": cell.name if cell.named else None}
    return _done(data, f"added {cell.label} to {rel}{_failures(data)}", rel, diff)


async def edit_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path, _, cell, rel = await _target(ctx, args)
    if "code" in args:
        if "search" in args or "replace" in args:
            raise ToolFailure("give either `code` (the whole cell) or `search` and `replace`")
        new = args["code"]
    elif "search" in args and "replace" in args:
        hits = cell.code.count(args["search"]) if args["search"] else 0
        if hits != 1:
            what = "was not found" if hits == 0 else f"was found {hits} times (add context)"
            raise ToolFailure(f"`search` {what} in cell {cell.label}; its code is:\n{cell.code}")
        new = cell.code.replace(args["search"], args["replace"])
    else:
        raise ToolFailure("give `code` (the whole new cell) or both `search` and `replace`")
    rel = ctx.workbench.relative(path)
    diff = _diff(f"{rel} ({cell.label})", cell.code, new)
    _, data = await _write(
        ctx, path, "edit_cell", diff, lambda s, base: s.replace_cell(path, cell.id, new, base=base)
    )
    return _done(data, f"edited {cell.label} in {rel}{_failures(data)}", rel, diff)


async def delete_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path, _, cell, rel = await _target(ctx, args)
    diff = _diff(f"{rel} ({cell.label})", cell.code, "")
    _, data = await _write(
        ctx, path, "delete_cell", diff, lambda s, base: s.delete_cell(path, cell.id, base=base)
    )
    return _done(data, f"deleted {cell.label} from {rel}{_failures(data)}", rel, diff)


async def move_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path, nb, cell, rel = await _target(ctx, args)
    position = args["position"] - 1
    if not 0 <= position < len(nb.cells):
        raise ToolFailure(f"position must be 1 to {len(nb.cells)}")
    rel = ctx.workbench.relative(path)
    diff = f"move {cell.label} from #{nb.position(cell.id) + 1} to #{position + 1}\n"
    _, data = await _write(
        ctx,
        path,
        "move_cell",
        diff,
        lambda s, base: s.move_cell(path, cell.id, position, base=base),
    )
    return _done(data, f"moved {cell.label} to #{position + 1}", rel, diff)


async def rename_cell(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    path, _, cell, rel = await _target(ctx, args)
    diff = f"rename {cell.label} to {args['name']}\n"
    _, data = await _write(
        ctx,
        path,
        "rename_cell",
        diff,
        lambda s, base: s.rename_cell(path, cell.id, args["name"], base=base),
    )
    return _done(data, f"renamed {cell.label} to {args['name']}", rel, diff)


async def _target(ctx: ToolContext, args: dict[str, Any]) -> tuple[Path, Notebook, Cell, str]:
    """The notebook and the cell a cell tool names, as the agent last read them."""
    path = _path(ctx, args)
    nb = await _read_if_unseen(ctx, path)
    return path, nb, _cell(nb, args["cell"]), ctx.workbench.relative(path)


async def _read_if_unseen(ctx: ToolContext, path: Path) -> Notebook:
    """The version the agent last read; read it now if it never did (no conflict then).
    When the store has moved on since (the user's edit), `_write` reports the conflict."""
    nb = ctx.workbench.store.cached(path)
    if path in ctx.seen and nb is not None:
        return nb
    return await _read(ctx, path)


async def run_cells(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    wb = ctx.workbench
    path = _path(ctx, args)
    runtime = wb.runtime
    if runtime is None:
        raise ToolFailure("marimo is not running in this session: cells cannot be run")
    nb = await _read(ctx, path)
    if wb.current != path:
        wb.open(path)
    refs = args.get("cells") or []
    focus = {_cell(nb, ref).id for ref in refs} or {c.id for c in nb.cells}
    timeout = float(args.get("timeout", ctx.rerun_timeout))
    codes = [c.code for c in nb.cells]
    if not await runtime.settle(path, codes, timeout):
        raise ToolFailure("the marimo kernel is not ready (still starting or busy); try again")
    runs = report.kernel_runs(wb, path, nb) or {}
    before = report.versions(runs)
    try:
        if refs:
            kernel_ids = _kernel_ids(wb, path, nb, focus)
            await runtime.run_cells(path, kernel_ids)
        else:
            await runtime.run_all(path)
    except Exception as exc:  # the session's HTTP errors, a dead server
        raise ToolFailure(f"marimo refused the run: {exc}") from None
    started = time.monotonic()
    settled = True
    if args.get("wait", True):
        await asyncio.sleep(0.05)  # let the run's first messages arrive before settling
        settled = await runtime.settle(path, codes, timeout)
    data = report.rerun_report(nb, report.kernel_runs(wb, path, nb), before, settled, focus)
    data["seconds"] = round(time.monotonic() - started, 2)
    summary = f"ran {len(data.get('reran', []))} cells{_failures(data)}"
    return _done(data, summary, wb.relative(path))


def _kernel_ids(wb: Workbench, path: Path, nb: Notebook, ours: set[str]) -> list[str]:
    runtime = wb.runtime
    assert runtime is not None and runtime.session is not None
    matched = runtime.session.kernel.match([c.code for c in nb.cells])
    ids = [k for c, k in zip(nb.cells, matched, strict=True) if c.id in ours and k is not None]
    if not ids:
        raise ToolFailure("marimo does not know these cells yet; wait a moment and retry")
    return ids


# -- the task tree ------------------------------------------------------------------------------
async def plan(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    from marimo_tui.tasks import TaskStatus

    tree = ctx.workbench.tasks
    made: list[dict[str, Any]] = []

    def add(items: list[Any], parent: str | None) -> None:
        for item in items:
            title = item if isinstance(item, str) else item["title"]
            task = tree.add(title, parent=parent, owner="agent", status=TaskStatus.PENDING)
            ctx.tasks_made.append(task.id)
            ctx.emit(TaskUpdated(task.id, task.title, str(task.status), parent))
            made.append({"id": task.id, "title": task.title, "parent": parent})
            if not isinstance(item, str):
                add(item.get("subtasks") or [], task.id)

    try:
        add(args["tasks"], args.get("parent"))
    except (KeyError, ValueError) as exc:
        raise ToolFailure(f"{exc}; planned so far: {made}") from None
    return _done({"tasks": made}, f"planned {len(made)} tasks")


async def update_task(ctx: ToolContext, args: dict[str, Any]) -> ToolOutcome:
    from marimo_tui.tasks import TaskStatus

    tree = ctx.workbench.tasks
    try:
        task = tree.set_status(args["id"], TaskStatus(args["status"]), args.get("note"))
    except KeyError:
        known = ", ".join(f"{t.id} {t.title!r}" for t in tree if t.owner == "agent")
        raise ToolFailure(
            f"no task {args['id']!r}; tasks: {known or 'none yet (use plan)'}"
        ) from None
    ctx.emit(TaskUpdated(task.id, task.title, str(task.status), task.parent))
    return _done({"id": task.id, "status": str(task.status)}, f"{task.title}: {task.status}")


# -- the registry ------------------------------------------------------------------------------
TASK_ITEM = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "subtasks": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["title"],
        },
    ]
}

TOOLS: dict[str, Tool] = {
    t.spec.name: t
    for t in [
        Tool(
            ToolSpec("list_notebooks", "List the project's notebooks.", _schema([])), list_notebooks
        ),
        Tool(
            ToolSpec(
                "list_cells",
                "List a notebook's cells: id, name, what each defines and reads, run status, "
                "error. Call it before editing.",
                _schema([], notebook=NOTEBOOK),
            ),
            list_cells,
        ),
        Tool(
            ToolSpec(
                "read_cell",
                "Read one cell: its code, latest output, console and error with traceback.",
                _schema(["cell"], notebook=NOTEBOOK, cell=CELL),
            ),
            read_cell,
        ),
        Tool(
            ToolSpec(
                "read_outputs",
                "Outputs and errors of some cells (default: all) from the live kernel.",
                _schema([], notebook=NOTEBOOK, cells={"type": "array", "items": CELL}),
            ),
            read_outputs,
        ),
        Tool(
            ToolSpec(
                "lint",
                "Check a notebook with `marimo check` (multiple definitions, cycles, syntax).",
                _schema([], notebook=NOTEBOOK),
            ),
            lint,
        ),
        Tool(
            ToolSpec(
                "create_notebook",
                "Create a new notebook from a template (e.g. blank) and open it; a template's "
                "sample data is copied to data/ next to it.",
                _schema(
                    ["path"],
                    path={"type": "string", "description": "e.g. notebooks/sales.py"},
                    template={"type": "string", "description": "template name (default blank)"},
                    params={"type": "object", "additionalProperties": {"type": "string"}},
                ),
            ),
            create_notebook,
            writes=True,
        ),
        Tool(
            ToolSpec(
                "add_cell",
                "Add a cell (at the end, or after a given cell). marimo reruns it and returns "
                "what ran and any errors.",
                _schema(
                    ["code"],
                    notebook=NOTEBOOK,
                    code=CODE,
                    after=CELL,
                    name={"type": "string", "description": "optional cell name (identifier)"},
                ),
            ),
            add_cell,
            writes=True,
        ),
        Tool(
            ToolSpec(
                "edit_cell",
                "Change a cell: either `code` (the whole new code) or `search` + `replace` "
                "(exact text that occurs once). Returns what reran and any errors.",
                _schema(
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
            ToolSpec(
                "delete_cell", "Delete a cell.", _schema(["cell"], notebook=NOTEBOOK, cell=CELL)
            ),
            delete_cell,
            writes=True,
        ),
        Tool(
            ToolSpec(
                "move_cell",
                "Move a cell to a 1-based position (order is for reading: marimo runs by "
                "dependencies).",
                _schema(
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
                "Give a cell a name (a Python identifier).",
                _schema(["cell", "name"], notebook=NOTEBOOK, cell=CELL, name={"type": "string"}),
            ),
            rename_cell,
            writes=True,
        ),
        Tool(
            ToolSpec(
                "run_cells",
                "Run cells (default: all) in marimo and wait for the run to settle; returns "
                "what ran, outputs and errors.",
                _schema(
                    [],
                    notebook=NOTEBOOK,
                    cells={"type": "array", "items": CELL},
                    wait={"type": "boolean"},
                    timeout={"type": "number", "minimum": 0.1, "maximum": 600},
                ),
            ),
            run_cells,
        ),
        Tool(
            ToolSpec(
                "plan",
                "Write your plan as tasks in the task tree (the user sees them live). Each "
                "task is a title, or {title, subtasks}.",
                _schema(
                    ["tasks"],
                    tasks={"type": "array", "items": TASK_ITEM, "minItems": 1},
                    parent={"type": "string", "description": "id of a task to plan under"},
                ),
            ),
            plan,
        ),
        Tool(
            ToolSpec(
                "update_task",
                "Move a task of your plan to running, done or failed (with a short note).",
                _schema(
                    ["id", "status"],
                    id={"type": "string"},
                    status={"enum": ["pending", "running", "done", "failed"]},
                    note={"type": "string"},
                ),
            ),
            update_task,
        ),
    ]
}

_validators: dict[str, Validator] = {}


def validate(name: str, args: Mapping[str, Any]) -> None:
    """Raise ToolFailure listing every problem of `args` against the tool's schema."""
    from jsonschema import Draft202012Validator

    validator = _validators.get(name)
    if validator is None:
        tool = TOOLS.get(name) or _dagster_tools()[name]
        validator = _validators[name] = Draft202012Validator(dict(tool.spec.parameters))
    problems = sorted(validator.iter_errors(dict(args)), key=lambda e: list(e.path))
    if problems:
        described = "; ".join(
            f"{'.'.join(map(str, p.path)) or 'arguments'}: {p.message[:200]}" for p in problems[:5]
        )
        raise ToolFailure(f"invalid arguments for {name}: {described}")


def specs(
    allowed: list[str] | None = None,
    *,
    dagster: bool = False,
    templates: Mapping[str, Template] | None = None,
) -> list[ToolSpec]:
    """The tools to offer: those allowed (all when None), Dagster's only when it is configured.

    With `templates`, create_notebook's spec names each one, so the model can pick a template
    that fits the request instead of always starting blank.
    """
    offered = {**TOOLS, **_dagster_tools()} if dagster else TOOLS
    out = [t.spec for n, t in offered.items() if not allowed or n in allowed]
    if templates:
        out = [_with_templates(s, templates) if s.name == "create_notebook" else s for s in out]
    return out


def _with_templates(spec: ToolSpec, templates: Mapping[str, Template]) -> ToolSpec:
    lines = []
    for t in templates.values():
        params = f" (params: {', '.join(p.name for p in t.params)})" if t.params else ""
        data = f" [sample data: {', '.join(p.name for p in t.data)}]" if t.data else ""
        lines.append(f"- {t.name}: {t.description}{params}{data}")
    schema = json.loads(json.dumps(spec.parameters))
    schema["properties"]["template"]["enum"] = list(templates)
    return ToolSpec(spec.name, f"{spec.description} Templates:\n" + "\n".join(lines), schema)


def _dagster_tools() -> dict[str, Tool]:
    # Imported on use: that module builds on this one.
    from marimo_tui.agent.dagster_tools import DAGSTER_TOOLS

    return DAGSTER_TOOLS


async def dispatch(ctx: ToolContext, name: str, args: Mapping[str, Any]) -> ToolOutcome:
    """Validate and run one call; every failure is a ToolFailure with a message for the model."""
    tool = TOOLS.get(name) or _dagster_tools().get(name)
    if tool is None:
        raise ToolFailure(f"unknown tool {name!r}; tools: {', '.join(TOOLS)}")
    validate(name, args)
    return await tool.handler(ctx, dict(args))
