"""`marimo-tui export`: run a notebook headless, write it as html, md, ipynb or a session
snapshot, and name every cell that failed.

How marimo 0.25's own `marimo export` differs, and why we do not shell out to it:

- Only `html` and `session` always run the notebook; `ipynb` runs only with
  `--include-outputs`, `md` never does. Here every format runs it: the export is also a check.
- marimo reports failures as bare `ValueError: …` lines on stderr plus "some cells failed"
  (exit 1); the cell and its line are not named. Per-cell errors exist only in the session
  snapshot, so getting them through the CLI would take a second `marimo export session` run:
  twice the time, and twice any side effects the notebook has (writes to a database…).
- marimo writes the output in place (`write_bytes`), prompts before overwriting, and its html
  export also drops a session snapshot under `__marimo__/` as a side effect.

So a worker process (`python -m marimo_tui.runtime.export REQUEST`) calls marimo's exporter
functions once: the html and ipynb bytes are marimo's own, and the session view of that run is
captured on the way (`_capture_runs`) to read each cell's errors. Every call into marimo's
private export API is in the worker part at the end of this module (pinned minor version).
Why a worker and not this process: the run must be killable. marimo's kernel is a child of
whoever runs the exporter, in a session of its own, and only leaves when that parent is gone
(it polls each second). Killing the worker's process group on a timeout or Ctrl-C thus ends
the run, kernel included, where in-process we would have to tear down marimo's session
machinery mid-run. marimo's logging and any crash also stay out of our output. The worker
writes to a private scratch folder; only after it succeeded does this process put the bytes
at OUT with `atomic_write`, so OUT is either the old file or the complete new one. As with
`marimo export`, OUT is written even when cells fail (the html shows their errors); the exit
code says so. Not supported: `--sandbox` (uv-isolated environments) and `--watch`.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple

FORMATS = ("html", "md", "ipynb", "session")
EXTENSIONS = {"html": ".html", "md": ".md", "ipynb": ".ipynb"}
EXIT_FAILURE, EXIT_USAGE = 1, 2


class ExportError(Exception):
    """The export did not happen; nothing was written. The message is one line."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def cell_label(position: int, cell_id: str, name: str) -> str:
    """`cell NAME` for a named cell, else its 1-based position and marimo's id."""
    return f"cell {name}" if name != "_" else f"cell {position} [{cell_id}]"


@dataclass(frozen=True, slots=True)
class CellFailure:
    position: int  # 1-based, in file order
    cell_id: str  # marimo's id, as its editor and the exported html show it
    name: str  # "_" when unnamed
    line: int  # where the cell starts in the file (its `def` line)
    message: str  # one line
    raised_at: int | None = None  # file line of the statement that raised, when known

    @property
    def label(self) -> str:
        return cell_label(self.position, self.cell_id, self.name)

    def describe(self, shown_path: str) -> str:
        where = f" (at line {self.raised_at})" if self.raised_at else ""
        return f"{shown_path}:{self.line}: {self.label}: {self.message}{where}"


# What became of a cell in the run. "blocked": an ancestor raised (or could not resolve a
# reference); "stopped": an ancestor called `mo.stop`; "disabled": disabled in the notebook, or
# below a disabled cell; "not run": marimo never reported on it.
CellStatus = Literal["ok", "error", "blocked", "stopped", "interrupted", "disabled", "not run"]
SUMMARY_LINES = 8  # of a cell's output summary
SUMMARY_CHARS = 600
TABLE_ROWS = 5  # of a table shown in a summary
PRINTED_CHARS = 4000  # of what one cell printed, kept in its report


@dataclass(frozen=True, slots=True)
class CellResult:
    """One cell of the run, in file order: its status and a short plain-text summary of its
    output (markdown as its text, a table as its size and first rows, an error as its message,
    printed text when the cell shows nothing else)."""

    position: int  # 1-based, in file order
    cell_id: str
    name: str  # "_" when unnamed
    status: CellStatus
    summary: str = ""
    line: int = 0  # where the cell starts in the file; 0 when unknown
    # What the cell printed (stdout and stderr, tracebacks left out), up to PRINTED_CHARS.
    printed: str = ""

    @property
    def label(self) -> str:
        return cell_label(self.position, self.cell_id, self.name)


@dataclass(frozen=True, slots=True)
class ExportReport:
    output: Path
    cells: int
    failures: list[CellFailure] = field(default_factory=list)
    # Cells that did not run because an ancestor raised: marimo counts them as failed too.
    blocked: int = 0
    # marimo's own verdict; true with no failures found means an error kind we cannot place.
    did_error: bool = False
    # Every cell, in file order.
    cell_results: list[CellResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.did_error


def default_output(notebook: Path, fmt: str) -> Path | None:
    """Next to the notebook with the format's extension; None for `session`, whose place
    marimo decides (`__marimo__/session/NAME.py.json`, which the worker reports)."""
    ext = EXTENSIONS.get(fmt)
    return notebook.with_suffix(ext) if ext else None


def export_notebook(
    notebook: Path,
    fmt: str,
    output: Path | None = None,
    args: Sequence[str] = (),
    timeout: float | None = None,
) -> ExportReport:
    """Run NOTEBOOK in a worker, write it as FMT to OUTPUT atomically and report failed cells.

    Raises ExportError (nothing written) for usage errors, a timeout or a worker crash;
    KeyboardInterrupt passes through after the worker is ended, also with nothing written.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}", EXIT_USAGE)
    if not notebook.exists():
        raise ExportError(f"{notebook}: no such file", EXIT_USAGE)
    if not notebook.is_file():
        raise ExportError(f"{notebook}: is a folder, not a notebook", EXIT_USAGE)
    if output is not None and output.is_dir():
        raise ExportError(f"{output}: is a folder; give a file name", EXIT_USAGE)
    planned = output or default_output(notebook, fmt)
    if planned is not None and planned.resolve() == notebook.resolve():
        raise ExportError(f"{planned}: that is the notebook itself; give another -o", EXIT_USAGE)
    with tempfile.TemporaryDirectory(prefix="marimo-tui-export-") as scratch_dir:
        scratch = Path(scratch_dir)
        request = {
            "parent": os.getpid(),
            "path": str(notebook.resolve()),
            "shown": str(notebook),
            "format": fmt,
            "output_name": str(planned or ""),
            "args": list(args),
            "scratch": str(scratch),
        }
        (scratch / "request.json").write_text(json.dumps(request), encoding="utf-8")
        result = _run_worker_process(scratch, timeout)
        if "usage_error" in result:
            raise ExportError(str(result["usage_error"]), EXIT_USAGE)
        target = planned or Path(result["default_output"])
        data = (scratch / "output").read_bytes()
    if output is None:
        _check_default(target, notebook)
    _write(target, data)
    return ExportReport(
        output=target,
        cells=int(result["cells"]),
        failures=[CellFailure(**f) for f in result["failures"]],
        blocked=int(result["blocked"]),
        did_error=bool(result["did_error"]),
        cell_results=[CellResult(**c) for c in result.get("cell_results", [])],
    )


def _check_default(target: Path, notebook: Path) -> None:
    """A file we named (not the user's `-o`) goes beside the notebook: never through a
    linked folder to somewhere else."""
    from marimo_tui.notebook.write_paths import OutsideRoot, inside_root

    try:
        inside_root(target, notebook.resolve().parent)
    except OutsideRoot:
        raise ExportError(
            f"{target} leads outside the notebook's folder (a link): nothing written; "
            "give the output file with -o"
        ) from None


def _write(target: Path, data: bytes) -> None:
    from marimo_tui.notebook.atomic import atomic_write

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None


def _run_worker_process(scratch: Path, timeout: float | None) -> dict[str, Any]:
    log = scratch / "worker.log"
    with log.open("wb") as sink:
        # A session of its own: the terminal's Ctrl-C reaches only us, and we end the worker's
        # whole group ourselves.
        proc = subprocess.Popen(
            [sys.executable, "-m", "marimo_tui.runtime.export", str(scratch / "request.json")],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end_group(proc)
            raise ExportError(f"timed out after {timeout:g} s; nothing written") from None
        except BaseException:
            _end_group(proc)
            raise
    result_file = scratch / "result.json"
    if code != 0 or not result_file.exists():
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        last = lines[-1] if lines else f"exit code {code}"
        raise ExportError(f"the export worker failed: {last}; nothing written")
    result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    return result


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    # SIGKILL: whatever the worker was doing is discarded anyway. The kernel is in a session of
    # its own (marimo calls setsid), but polls its parent each second and then kills its group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# --- the worker: everything below runs in the child process -----------------------------

_TRACEBACK_LINE = r'__marimo__cell_{cell_id}_\.py", line (\d+)'


class _CellRef(NamedTuple):
    position: int
    cell_id: str
    name: str
    line: int  # 0 when unknown
    code: str

    @property
    def label(self) -> str:
        return cell_label(self.position, self.cell_id, self.name)


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
        c.cell_id: _CellRef(
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
        own, inherited = _cell_errors(view, ref.cell_id, label)
        blocked += bool(inherited and not own)
        for message, line_in_cell in own:
            line_in_cell = line_in_cell or _raised_line(view, ref.cell_id)
            raised_at = _file_line(lines, ref, line_in_cell) if line_in_cell else None
            failure = CellFailure(ref.position, ref.cell_id, ref.name, ref.line, message, raised_at)
            failures.append(asdict(failure))
        status, summary = _cell_outcome(view, ref.cell_id, own, ref.cell_id in disabled, label)
        printed = _printed(view, ref.cell_id)
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


def _cell_errors(
    view: Any, cell_id: str, label: Callable[[str], str]
) -> tuple[list[tuple[str, int | None]], bool]:
    """(message, line within the cell) of each error the cell raised itself, and whether it
    also failed because an ancestor did."""
    from marimo._messaging.cell_output import CellChannel
    from marimo._messaging.errors import (
        CycleError,
        MarimoExceptionRaisedError,
        MarimoSyntaxError,
        MultipleDefinitionError,
        is_unexpected_error,
    )

    notification = view.cell_notifications.get(cell_id)
    output = notification.output if notification is not None else None
    if output is None or output.channel != CellChannel.MARIMO_ERROR:
        return [], False
    own: list[tuple[str, int | None]] = []
    inherited = False
    for error in output.data:
        if not is_unexpected_error(error):
            continue  # mo.stop and interruptions are on purpose
        if isinstance(error, MarimoExceptionRaisedError):
            if error.raising_cell is not None and error.raising_cell != cell_id:
                inherited = True
            else:
                own.append((_one_line(f"{error.exception_type}: {error.msg}"), None))
        elif isinstance(error, MultipleDefinitionError):
            others = ", ".join(label(c) for c in error.cells)
            own.append((f"multiple definitions: {error.name!r} is also defined by {others}", None))
        elif isinstance(error, CycleError):
            edges = "; ".join(
                f"{label(a)} → {label(b)} via {', '.join(names)}"
                for a, names, b in error.edges_with_vars
            )
            own.append((f"cycle: {edges}", None))
        elif isinstance(error, MarimoSyntaxError):
            last = [ln for ln in error.msg.strip().splitlines() if ln.strip()][-1:]
            own.append((_one_line(last[0] if last else "SyntaxError"), error.lineno))
        else:
            kind = type(error).__name__.removeprefix("Marimo")
            own.append((_one_line(f"{kind}: {error.describe()}"), None))
    return own, inherited


def _cell_outcome(
    view: Any,
    cell_id: str,
    own: list[tuple[str, int | None]],
    disabled: bool,
    label: Callable[[str], str],
) -> tuple[CellStatus, str]:
    """(status, summary) of a cell after the run; `own` are the errors it raised itself."""
    from marimo._messaging.cell_output import CellChannel
    from marimo._messaging.errors import (
        MarimoAncestorPreventedError,
        MarimoAncestorStoppedError,
        MarimoInterruptionError,
    )

    if own:
        more = f" (+{len(own) - 1} more)" if len(own) > 1 else ""
        return "error", own[0][0] + more
    notification = view.cell_notifications.get(cell_id)
    if notification is None:
        return ("disabled" if disabled else "not run"), ""
    if notification.status == "disabled-transitively" or disabled:
        return "disabled", ""
    output = notification.output
    if output is not None and output.channel == CellChannel.MARIMO_ERROR:
        for error in output.data:
            raising = getattr(error, "raising_cell", None)
            other = label(raising) if isinstance(raising, str) and raising != cell_id else ""
            if isinstance(error, MarimoAncestorStoppedError):
                return "stopped", f"not run: mo.stop in {other or 'an ancestor'}"
            if isinstance(error, MarimoInterruptionError):
                return "interrupted", "interrupted"
            if isinstance(error, MarimoAncestorPreventedError) or other:
                return "blocked", f"not run: {other or 'an ancestor'} failed"
        return "ok", ""
    try:
        return "ok", _output_summary(output, notification.console)
    except Exception:  # a summary is a courtesy: never let it fail the export
        return "ok", ""


def _output_summary(output: Any, console: Any) -> str:
    """A few lines of plain text for a cell's output, or of what it printed when it shows
    nothing; the converters are the ones the workbench's cell view uses."""
    from marimo_tui.runtime.html_convert import table_text
    from marimo_tui.runtime.outputs import console_text, convert_output

    converted = convert_output(str(output.mimetype), output.data) if output is not None else None
    if converted is None or converted.kind == "empty":
        entries = console if isinstance(console, list) else [console] if console else []
        printed = "".join(
            console_text(str(e.mimetype), e.data)
            for e in entries
            if getattr(e.channel, "value", e.channel) == "stdout"
        )
        return _shorten(f"stdout: {printed.strip()}") if printed.strip() else ""
    if converted.kind == "table" and converted.table is not None:
        table = converted.table
        rows = table.total_rows if table.total_rows is not None else len(table.rows)
        head = f"table: {rows} rows × {len(table.columns)} columns"
        first = replace(table, rows=table.rows[:TABLE_ROWS], total_rows=rows)
        body = table_text(first, markdown=False)
        return _shorten(f"{head}\n{body}" if body else head, lines=TABLE_ROWS + 3)
    if converted.kind == "image":
        return f"[image {converted.mimetype}]" if converted.mimetype else "[image]"
    return _shorten(converted.text)


def _printed(view: Any, cell_id: str) -> str:
    """What the cell wrote to stdout and stderr; its traceback is in its error already."""
    from marimo_tui.runtime.outputs import TRACEBACK_MIME, console_text

    notification = view.cell_notifications.get(cell_id)
    console = notification.console if notification is not None else None
    entries = console if isinstance(console, list) else [console] if console else []
    try:
        text = "".join(
            console_text(str(e.mimetype), e.data)
            for e in entries
            if getattr(e.channel, "value", e.channel) in ("stdout", "stderr")
            and str(e.mimetype) != TRACEBACK_MIME
        )
    except Exception:  # a courtesy, like the summary
        return ""
    if len(text) > PRINTED_CHARS:
        text = "…" + text[-(PRINTED_CHARS - 1) :]  # the end of a long log says most
    return text


def _shorten(text: str, lines: int = SUMMARY_LINES, chars: int = SUMMARY_CHARS) -> str:
    kept = [ln.rstrip() for ln in text.strip("\n").split("\n")]
    cut = len(kept) > lines
    short = "\n".join(kept[:lines])
    if len(short) > chars:
        short, cut = short[: chars - 1].rstrip(), True
    return short + "…" if cut else short


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _raised_line(view: Any, cell_id: str) -> int | None:
    """The line within the cell that raised, from the last frame of the cell's traceback."""
    notification = view.cell_notifications.get(cell_id)
    console = notification.console if notification is not None else None
    entries = console if isinstance(console, list) else [console] if console else []
    pattern = re.compile(_TRACEBACK_LINE.format(cell_id=re.escape(cell_id)))
    for entry in reversed(entries):
        if "traceback" in str(entry.mimetype):
            plain = html.unescape(re.sub(r"<[^>]+>", "", str(entry.data)))
            found = pattern.findall(plain)
            if found:
                return int(found[-1])
    return None


def _file_line(lines: list[str], ref: _CellRef, line_in_cell: int) -> int | None:
    """File line of a line of the cell's code: the code sits, indented, after the signature
    (which may span lines), so find where its first line is."""
    code_lines = ref.code.split("\n")
    first = next((i for i, ln in enumerate(code_lines) if ln.strip()), None)
    if first is None or not ref.line:
        return None
    wanted = code_lines[first].strip()
    for index in range(ref.line - 1, min(len(lines), ref.line + 50)):
        if lines[index].strip() == wanted:
            return index - first + line_in_cell
    return None


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1]))
