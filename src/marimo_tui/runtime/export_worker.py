"""The export worker (`python -m marimo_tui.runtime.export_worker REQUEST`): runs the notebook
once through marimo's exporter functions, writes the format's bytes to the scratch folder, and
reports each cell's errors and outcome as JSON. Every call into marimo's private export API is
here (pinned minor version); `export` starts this process and reads what it wrote.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from marimo_tui.runtime.export import CellFailure, CellResult
from marimo_tui.runtime.export_cells import (
    CellRef,
    cell_errors,
    cell_outcome,
    file_line,
    printed_text,
    raised_line,
)


def _worker_main(request_file: str) -> int:
    request = json.loads(Path(request_file).read_text(encoding="utf-8"))
    from marimo_tui.processes import die_with_parent

    die_with_parent(int(request["parent"]))
    scratch = Path(request["scratch"])
    result = _run_worker(request, scratch / "output")
    (scratch / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return 0


def _run_worker(request: dict[str, Any], out: Path) -> dict[str, Any]:
    """Run the notebook once through marimo's exporter, write the format's bytes to `out` and
    report its cells' errors: the adapter to marimo 0.25's private export API."""
    from marimo_tui.notebook.errors import NotebookError
    from marimo_tui.notebook.marimo_adapter import parse_text
    from marimo_tui.notebook.reader import decode, read_bytes

    path, shown = Path(request["path"]), Path(request["shown"])
    fmt: str = request["format"]
    args: list[str] = request["args"]
    try:
        text, _ = decode(read_bytes(path), shown)
        parsed = parse_text(text, shown).cells
    except NotebookError as exc:
        return {"usage_error": str(exc)}
    if fmt == "ipynb":
        try:
            import nbformat  # noqa: F401
        except ModuleNotFoundError:
            return {"usage_error": "ipynb export needs nbformat: pip install nbformat"}

    import asyncio

    from marimo._cli.parse_args import parse_args
    from marimo._export import file as mexport
    from marimo._export._session_cache import serialize_session_snapshot
    from marimo._export.requests import (
        HTMLFileExportRequest,
        IPYNBFileExportRequest,
        MarkdownFileExportRequest,
        NotebookExecutionOptions,
        RunNotebookRequest,
    )
    from marimo._schemas.export_options import (
        HTMLExportOptions,
        IPYNBExportOptions,
        MarkdownExportOptions,
    )
    from marimo._session.notebook import load_notebook
    from marimo._session.state.serialize import get_session_cache_file
    from marimo._utils.marimo_path import MarimoPath

    runs = _capture_runs(mexport)
    # persist_session=False: no snapshot left under __marimo__/ unless one was asked for.
    execution = NotebookExecutionOptions(
        cli_args=parse_args(args), argv=list(args), quiet=True, persist_session=False
    )
    mpath = MarimoPath(str(path))
    contents: bytes | str
    if fmt == "html":
        html_request = HTMLFileExportRequest(
            path=mpath, options=HTMLExportOptions(files=(), include_code=True), execution=execution
        )
        contents = asyncio.run(mexport.export_html(html_request)).contents
    elif fmt == "ipynb":
        ipynb_request = IPYNBFileExportRequest(
            path=mpath, options=IPYNBExportOptions(sort_mode="topological"), execution=execution
        )
        contents = asyncio.run(mexport.export_ipynb(ipynb_request)).contents
    else:
        # marimo's md exporter does not run the notebook and session has no exporter function.
        manager = load_notebook(str(path))
        asyncio.run(
            mexport.run_notebook(RunNotebookRequest(file_manager=manager, options=execution))
        )
        if fmt == "md":
            md_options = MarkdownExportOptions(flavor=None, filename=request["output_name"] or None)
            md_request = MarkdownFileExportRequest(path=mpath, options=md_options)
            contents = mexport.export_markdown(md_request).contents
        else:
            cell_ids = list(manager.app.cell_manager.cell_ids())
            snapshot = serialize_session_snapshot(
                runs[-1][1], notebook_path=str(path), cell_ids=cell_ids
            )
            contents = json.dumps(snapshot, indent=2)
    out.write_bytes(contents.encode("utf-8") if isinstance(contents, str) else contents)

    manager, view, did_error = runs[-1]
    cells = list(manager.app.cell_manager.cell_data())
    # The same file through the same parser: cells match one to one. Were it ever not so,
    # better no line than a wrong one.
    matched = len(parsed) == len(cells)
    refs = {
        c.cell_id: CellRef(
            i + 1,
            c.cell_id,
            str(c.name),
            parsed[i].lineno if matched else 0,
            parsed[i].code if matched else "",
        )
        for i, c in enumerate(cells)
    }

    def label(cell_id: str) -> str:
        ref = refs.get(cell_id)
        if ref is None:
            return f"cell [{cell_id}]"
        return f"{ref.label} (line {ref.line})" if ref.line else ref.label

    failures: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    blocked = 0
    lines = text.split("\n")
    disabled = {c.cell_id for c in cells if getattr(c.config, "disabled", False)}
    for ref in refs.values():
        own, inherited = cell_errors(view, ref.cell_id, label)
        blocked += bool(inherited and not own)
        for message, line_in_cell in own:
            line_in_cell = line_in_cell or raised_line(view, ref.cell_id)
            raised_at = file_line(lines, ref, line_in_cell) if line_in_cell else None
            failure = CellFailure(ref.position, ref.cell_id, ref.name, ref.line, message, raised_at)
            failures.append(asdict(failure))
        status, summary = cell_outcome(view, ref.cell_id, own, ref.cell_id in disabled, label)
        printed = printed_text(view, ref.cell_id)
        result = CellResult(ref.position, ref.cell_id, ref.name, status, summary, ref.line, printed)
        results.append(asdict(result))
    return {
        "cells": len(cells),
        "failures": failures,
        "blocked": blocked,
        "did_error": bool(did_error),
        "cell_results": results,
        "default_output": str(_beside(shown, path, get_session_cache_file(path))),
    }


def _beside(shown: Path, path: Path, target: Path) -> Path:
    # marimo answers with an absolute path; say it the way the user named the notebook.
    try:
        return shown.parent / target.relative_to(path.parent)
    except ValueError:
        return target


def _capture_runs(mexport: Any) -> list[tuple[Any, Any, bool]]:
    """Record (file manager, session view, did_error) of every run marimo's exporters make.

    `export_html` and `export_ipynb` call the module's `run_notebook` and keep the session view
    to themselves; wrapping it gives us the per-cell errors without a second run.
    """
    runs: list[tuple[Any, Any, bool]] = []
    original = mexport.run_notebook

    async def recording(request: Any) -> tuple[Any, bool]:
        view, did_error = await original(request)
        runs.append((request.file_manager, view, did_error))
        return view, did_error

    mexport.run_notebook = recording
    return runs


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1]))
