"""`marimo_asset`: a marimo notebook as a Dagster asset, as dagstermill does for Jupyter.

Each materialization runs the notebook headless once (in a worker process that ending the
run also ends, see `marimo_tui.runtime.export`), passes its parameters as command-line
arguments that the notebook reads with `mo.cli_args()`, writes the run's HTML export to a file
of its own and attaches, as materialization metadata, the export's path and URL, a markdown
summary of the cells' outputs, each cell's status, the parameters and the duration. A cell
that raises fails the asset with that cell's error; the HTML is written all the same.

This module imports Dagster: it is only imported where Dagster is installed
(`pip install 'marimo-tui[dagster]'`), through `marimo_tui.dagster.marimo_asset`.
"""

# No `from __future__ import annotations`: Dagster reads the compute function's annotations.
import ast
import inspect
import json
import re
import tempfile
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from marimo_tui.runtime.export import CellResult, ExportError, ExportReport, export_notebook

__all__ = ["cli_args", "marimo_asset"]

_STATUS_MARK = {
    "ok": "✅",
    "error": "❌",
    "blocked": "⛔",
    "stopped": "⏹️",
    "interrupted": "⚠️",
    "disabled": "⏸️",
    "not run": "⚪",
}
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_HEADING = re.compile(r"^\s*#{1,6}\s+(\S.*?)\s*#*\s*$")


def marimo_asset(
    notebook: str | Path,
    *,
    key: str | Sequence[str] | dg.AssetKey | None = None,
    deps: Sequence[Any] | None = None,
    group: str | None = None,
    params: Mapping[str, Any] | None = None,
    description: str | None = None,
    output_dir: str | Path | None = None,
    timeout: float | None = None,
) -> dg.AssetsDefinition:
    """An asset that runs the marimo notebook NOTEBOOK and keeps its HTML export.

    notebook: the notebook's file. A relative path is looked up next to the file that calls
        `marimo_asset` (a `definitions.py` beside its notebooks works wherever Dagster is
        started), then in the current directory. A missing file or one that is not a marimo
        notebook fails here, at definition time (Dagster shows a code location load error).
    key: the asset key; a string with slashes (`"marimo/sales"`) is a key path. Default: the
        notebook's file name without `.py`. The op is named after the key
        (`["marimo", "sales"]` → `marimo__sales`), as for any `@asset`.
    deps: upstream assets, as `@asset(deps=...)` takes them (keys, specs or definitions).
    group: the asset group.
    params: default parameters, passed to the notebook as `--NAME=VALUE` after `--`, which
        `mo.cli_args()` reads back: numbers and `true`/`false` come back typed, a list or tuple
        becomes the argument repeated (a list again when it has 2+ items), a dict is passed as
        JSON text, None leaves the parameter out.
    description: the asset's description. Default: the notebook's first markdown heading,
        else its `app_title`, else the first line of its docstring, else
        "marimo notebook PATH".
    output_dir: where the HTML exports go, one file per run:
        `OUTPUT_DIR/<key path>/<run id>.html`. Default: `marimo/` in the Dagster instance's
        storage folder (`$DAGSTER_HOME/storage`), else in the system's temporary folder. A
        relative folder is resolved like a relative notebook path.
    timeout: seconds the notebook may run; then it is ended and the asset fails.

    Run config: parameters given in a run's config override the defaults, key by key:

        {"ops": {"marimo__sales": {"config": {"params": {"rows": 5}}}}}

    (`ops.<op name>.config.params`, any names and JSON values; the defaults are in the
    schema, so Dagster's launchpad scaffolds them.)

    Materialization metadata: `html` (path), `html_url` (file:// URL), `summary` (markdown:
    each cell's status and a few lines of its output), `cells` (JSON: position, id, name,
    line, status and output summary of every cell, in file order), `duration_s`, `notebook`
    (path), `params` (JSON: the parameters the run used). When a cell raises, the asset fails
    with a `dagster.Failure` whose description names the cell, its error and line, carrying
    the same metadata; each failing cell is also logged as an error.
    """
    base = _caller_folder()
    path = _find_notebook(notebook, base)
    text = path.read_text(encoding="utf-8", errors="replace")
    info = _notebook_info(text, path)
    asset_key = _asset_key(key, path)
    defaults = dict(params or {})
    _check_params(defaults, f"marimo_asset({path.name!r}): params")
    out_root = _resolve(Path(output_dir), base) if output_dir is not None else None

    decorator_args: dict[str, Any] = {
        "key": asset_key,
        "deps": list(deps) if deps is not None else None,
        "group_name": group,
        "description": description or info or f"marimo notebook {path}",
        "metadata": {"notebook": dg.MetadataValue.path(str(path))}
        | ({"default_params": dg.MetadataValue.json(defaults)} if defaults else {}),
        "config_schema": {
            "params": dg.Field(
                _params_schema(defaults),
                is_required=False,
                description="Parameters for mo.cli_args(); they override the defaults.",
            )
        },
    }
    if "kinds" in inspect.signature(dg.asset).parameters:
        decorator_args["kinds"] = {"marimo"}

    def _marimo_notebook(context: dg.AssetExecutionContext) -> dg.MaterializeResult[Any]:
        config = context.op_config or {}
        given = config.get("params") or {}
        run_params = {**defaults, **given}
        _check_params(run_params, "params")
        root = out_root or _storage_root(context.instance)
        target = root.joinpath(*context.asset_key.path) / f"{context.run_id}.html"
        return _materialize(context, path, run_params, target, timeout)

    decorate: Callable[[Callable[..., Any]], dg.AssetsDefinition] = dg.asset(**decorator_args)
    return decorate(_marimo_notebook)


def cli_args(params: Mapping[str, Any]) -> list[str]:
    """Parameters as the arguments after `--` that `mo.cli_args()` reads back."""
    args: list[str] = []
    for name, value in params.items():
        if value is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, bool):
                shown = "true" if item else "false"
            elif isinstance(item, dict | list | tuple):
                shown = json.dumps(item, default=str)
            else:
                shown = str(item)
            # One argument `--name=value`: marimo would join a separate value containing
            # spaces with the next words, and split on the first `=` only.
            args.append(f"--{name}={shown}")
    return args


# --- running ---------------------------------------------------------------------------


def _materialize(
    context: dg.AssetExecutionContext,
    path: Path,
    params: dict[str, Any],
    target: Path,
    timeout: float | None,
) -> dg.MaterializeResult[Any]:
    shown = f" with {_params_text(params)}" if params else ""
    context.log.info(f"marimo: running {path}{shown}")
    started = time.monotonic()
    try:
        report = export_notebook(
            path, "html", output=target, args=cli_args(params), timeout=timeout
        )
    except ExportError as exc:
        duration = time.monotonic() - started
        context.log.error(f"marimo: {path.name}: {exc}")
        raise dg.Failure(
            description=f"{path.name}: {exc}",
            metadata={
                "notebook": dg.MetadataValue.path(str(path)),
                "params": dg.MetadataValue.json(params),
                "duration_s": dg.MetadataValue.float(round(duration, 3)),
            },
        ) from None
    duration = time.monotonic() - started
    metadata = _metadata(path, params, report, duration)
    context.log.info(f"marimo: {_outcome(report)} in {duration:.1f} s; html: {report.output}")
    if report.ok:
        return dg.MaterializeResult(metadata=metadata)
    for failure in report.failures:
        context.log.error(f"marimo: {failure.describe(path.name)}")
    raise dg.Failure(description=_failure_text(path, report), metadata=metadata)


def _metadata(
    path: Path, params: dict[str, Any], report: ExportReport, duration: float
) -> dict[str, Any]:
    html = report.output.resolve()
    return {
        "html": dg.MetadataValue.path(str(html)),
        "html_url": dg.MetadataValue.url(html.as_uri()),
        "summary": dg.MetadataValue.md(_summary_markdown(path, report, duration)),
        "cells": dg.MetadataValue.json([_cell_json(c) for c in report.cell_results]),
        "duration_s": dg.MetadataValue.float(round(duration, 3)),
        "notebook": dg.MetadataValue.path(str(path)),
        "params": dg.MetadataValue.json(params),
    }


def _failure_text(path: Path, report: ExportReport) -> str:
    if not report.failures:
        return f"{path.name}: marimo reported an error in the run that names no cell"
    first = report.failures[0].describe(path.name)
    more = len(report.failures) - 1
    return first + (f" (+{more} more failed cell{'s' if more > 1 else ''})" if more else "")


def _outcome(report: ExportReport) -> str:
    counts: dict[str, int] = {}
    for cell in report.cell_results:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    total = report.cells
    if counts == {"ok": total}:
        return f"all {total} cells ok"
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"{total} cell{'s' if total != 1 else ''}: {parts}" if parts else f"{total} cells"


def _cell_json(cell: CellResult) -> dict[str, Any]:
    return {
        "position": cell.position,
        "id": cell.cell_id,
        "name": cell.name,
        "line": cell.line,
        "status": cell.status,
        "summary": cell.summary,
    }


def _summary_markdown(path: Path, report: ExportReport, duration: float) -> str:
    lines = [f"**{_md_escape(path.name)}**: {_outcome(report)} in {duration:.1f} s", ""]
    for cell in report.cell_results:
        where = f" (line {cell.line})" if cell.line else ""
        mark = _STATUS_MARK.get(cell.status, "•")
        head = f"- {mark} **{_md_escape(cell.label)}**{where}: {cell.status}"
        summary = cell.summary.strip("\n")
        if "\n" not in summary:
            lines.append(f"{head}{' — ' + _md_escape(summary) if summary else ''}")
            continue
        longest = max((len(run) for run in re.findall(r"`+", summary)), default=0)
        fence = "`" * max(3, longest + 1)
        lines += [head, f"  {fence}text"]
        lines += [f"  {line}" if line else "" for line in summary.split("\n")]
        lines.append(f"  {fence}")
    if not report.cell_results:
        lines.append(f"{report.cells} cells (no per-cell report)")
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", text)


def _params_text(params: Mapping[str, Any]) -> str:
    return " ".join(cli_args(params)) or "no parameters"


def _storage_root(instance: dg.DagsterInstance) -> Path:
    try:
        return Path(instance.storage_directory()) / "marimo"
    except Exception:  # an instance without local storage (Dagster+, custom storage)
        return Path(tempfile.gettempdir()) / "marimo-tui-dagster"


# --- definition time -------------------------------------------------------------------


def _caller_folder() -> Path | None:
    """The folder of the file that called `marimo_asset`, when it is a file."""
    frame = inspect.currentframe()
    try:
        caller = frame.f_back.f_back if frame and frame.f_back else None
        file = caller.f_globals.get("__file__") if caller is not None else None
        return Path(file).resolve().parent if isinstance(file, str) else None
    finally:
        del frame


def _resolve(path: Path, base: Path | None) -> Path:
    path = path.expanduser()
    if path.is_absolute():
        return path
    if base is not None and ((base / path).exists() or not path.exists()):
        return (base / path).resolve()
    return path.resolve()


def _find_notebook(notebook: str | Path, base: Path | None) -> Path:
    given = Path(notebook).expanduser()
    path = _resolve(given, base)
    if not path.exists():
        places = [str(path)]
        if not given.is_absolute() and base is not None:
            places.append(str(Path.cwd() / given))
        tried = " or ".join(dict.fromkeys(places))
        raise dg.DagsterInvalidDefinitionError(
            f"marimo_asset: notebook {str(notebook)!r} not found (looked for {tried})"
        )
    if not path.is_file():
        raise dg.DagsterInvalidDefinitionError(
            f"marimo_asset: {path} is a folder, not a notebook file"
        )
    return path


def _asset_key(key: str | Sequence[str] | dg.AssetKey | None, path: Path) -> dg.AssetKey:
    if key is None:
        return dg.AssetKey([path.stem])
    if isinstance(key, dg.AssetKey):
        return key
    if isinstance(key, str):
        return dg.AssetKey.from_user_string(key) if "/" in key else dg.AssetKey([key])
    return dg.AssetKey(list(key))


def _check_params(params: Mapping[str, Any], what: str) -> None:
    for name in params:
        if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
            raise dg.DagsterInvalidDefinitionError(
                f"{what}: {name!r} is not a parameter name mo.cli_args() can read back"
                " (letters, digits, _, - and .)"
            )


def _params_schema(defaults: Mapping[str, Any]) -> Any:
    """Any parameters; the defaults listed (and filled in) so the launchpad shows them."""
    fields = {
        name: dg.Field(dg.Any, is_required=False, default_value=value)
        for name, value in defaults.items()
    }
    try:
        return dg.Permissive(fields)  # type: ignore[no-untyped-call]
    except Exception:  # a name Dagster's config does not take: still any parameters
        return dg.Permissive()  # type: ignore[no-untyped-call]


def _notebook_info(text: str, path: Path) -> str:
    """Check the file is a marimo notebook; return its description (or "")."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise dg.DagsterInvalidDefinitionError(
            f"marimo_asset: {path}: not a notebook, Python cannot parse it"
            f" (line {exc.lineno}: {exc.msg})"
        ) from None
    heading = title = ""
    has_app = False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        if name == "App":
            has_app = True
            for keyword in node.keywords:
                if keyword.arg == "app_title" and isinstance(keyword.value, ast.Constant):
                    title = str(keyword.value.value or "")
        elif name == "md" and node.args and not heading:
            heading = _first_heading(node.args[0])
    if not has_app:
        raise dg.DagsterInvalidDefinitionError(
            f"marimo_asset: {path}: a plain Python script, not a marimo notebook (no marimo.App)"
        )
    docstring = (ast.get_docstring(tree) or "").strip().split("\n")[0]
    return heading or title or docstring


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _first_heading(arg: ast.expr) -> str:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        source = arg.value
    elif isinstance(arg, ast.JoinedStr):  # an f-string: its literal parts
        source = "".join(
            str(v.value) if isinstance(v, ast.Constant) else "…"
            for v in arg.values
            if isinstance(v, ast.Constant | ast.FormattedValue)
        )
    else:
        return ""
    for line in textwrap.dedent(source).split("\n"):
        found = _HEADING.match(line)
        if found:
            return found.group(1)
    return ""
