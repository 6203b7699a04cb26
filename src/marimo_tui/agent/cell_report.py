"""What the agent is told about cells: status, outputs and errors from the live kernel, as
plain JSON-able dicts, cut to sizes a small model's context can take."""

from __future__ import annotations

import builtins
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marimo_tui.notebook.model import Cell, Notebook
from marimo_tui.notebook.pyversion import is_requirement

BUILTINS = frozenset(dir(builtins))

if TYPE_CHECKING:
    from marimo_tui.runtime.kernel_state import CellRun
    from marimo_tui.workbench import Workbench

OUTPUT_CHARS = 2000  # of one cell's output text told to the model
CONSOLE_CHARS = 1000  # the newest console text
TRACEBACK_LINES = 8  # the last lines of a traceback that has no Python frames (an SQL error)
EXCEPTION_LINES = 5  # of an exception's message that spans lines
FRAME_SOURCE_CHARS = 160
TABLE_ROWS = 5
# read_outputs of a whole notebook is an overview: each output cut to a glance (errors whole)
OVERVIEW_CELLS = 6  # notebooks with more cells than this get the overview
OVERVIEW_ROWS = 2
OVERVIEW_CHARS = 160
TABLE_VALUE_CHARS = 80

# A traceback's frame line, and the file marimo runs a cell from (`__marimo__cell_Hbol_.py`).
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+), in (?P<where>.*)$')
_CELL_FILE = re.compile(r"__marimo__cell_[^/\\]*\.py$")
_TRACEBACK_HEAD = "Traceback (most recent call last):"
_CARETS = set("^~ ")


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
        return "needs-newer-python" if is_requirement(cell.error) else "syntax-error"
    if run is not None:
        return run.status
    return "not-run" if live else "unknown (no marimo server)"


def error_of(cell: Cell, run: CellRun | None) -> str | None:
    """The error's message and the traceback frames that matter, or None when the cell is fine."""
    if cell.error and is_requirement(cell.error):
        # Not a mistake to fix: valid code for that Python, which this kernel cannot run.
        return f"{cell.error}: valid code for that Python, kept as written; not a syntax error"
    if cell.error:  # (the analysis names the error's kind: "SyntaxError: …")
        return cell.error
    if run is None or run.output.kind != "error":
        return None
    errors = run.output.errors
    # marimo's "exception" kind says nothing the message does not; the others do (cycle, …).
    lines = [
        e.message if e.kind in ("exception", "unknown") else f"{e.kind}: {e.message}"
        for e in errors
    ] or [run.output.text]
    traceback = run.traceback or next((e.traceback for e in errors if e.traceback), "")
    frames = trim_traceback(traceback) if traceback else []
    if frames:
        lines.extend(frames)
        if lines[0].endswith(" …"):
            lines.extend(exception_lines(traceback))  # the whole message, cut to one line above
    elif traceback:
        tail = traceback.rstrip().splitlines()[-TRACEBACK_LINES:]
        lines.append("traceback (last lines):\n" + "\n".join(tail))
    failing = next((e.line for e in errors if e.line), None)
    if failing is not None and not frames:
        code_lines = cell.code.splitlines()
        if 0 < failing <= len(code_lines):
            lines.append(f"failing line {failing}: {code_lines[failing - 1].strip()}")
    return "\n".join(lines)


def _last_section(traceback: str) -> list[str]:
    """The traceback of the exception that left the cell (after any it was chained from)."""
    lines = traceback.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(_TRACEBACK_HEAD)]
    return lines[starts[-1] + 1 :] if starts else lines


def trim_traceback(traceback: str) -> list[str]:
    """One line per frame of the notebook's own code (`line N[, in f]: source`), and of the
    library frame where the exception was raised; other library frames only as a count.

    marimo runs each cell from a file named after it (`…/__marimo__cell_Hbol_.py`); the cell
    that failed is the one whose top level (`<module>`) is in the traceback. Empty when the text
    has no Python frames (an SQL error, a syntax message).
    """
    frames: list[tuple[str, int, str, str]] = []  # file, line, function, source
    for line in _last_section(traceback):
        match = _FRAME.match(line)
        if match:
            frames.append((match["file"], int(match["line"]), match["where"].strip(), ""))
        elif frames and line.startswith("    ") and not frames[-1][3]:
            source = line.strip()
            if source and not set(source) <= _CARETS:
                file, number, where, _ = frames[-1]
                frames[-1] = (file, number, where, source)
    cell_files = [f for f, _, where, _ in frames if _CELL_FILE.search(f) and where == "<module>"]
    own = cell_files[0] if cell_files else None
    # Frames before the cell's (marimo's runner) are not the model's business.
    first = next((i for i, f in enumerate(frames) if _CELL_FILE.search(f[0])), 0)
    out: list[str] = []
    skipped = 0
    for i, (file, number, where, source) in enumerate(frames[first:], first):
        if _CELL_FILE.search(file):
            place = f"line {number}" if file == own else f"another cell's line {number}"
        elif i == len(frames) - 1:
            place = f"{_library_path(file)}:{number}"
        else:
            skipped += 1
            continue
        if skipped:
            out.append(f"  … {skipped} library frame{'s' if skipped > 1 else ''}")
            skipped = 0
        shown = "" if where == "<module>" else f", in {where}"
        out.append(f"  {place}{shown}: {_short(source)}" if source else f"  {place}{shown}")
    return out


def _short(source: str) -> str:
    if len(source) <= FRAME_SOURCE_CHARS:
        return source
    return source[: FRAME_SOURCE_CHARS - 1] + "…"


def exception_lines(traceback: str) -> list[str]:
    """The exception's own text at the end of a traceback (several lines when its message is)."""
    section = _last_section(traceback)
    end = [i for i, line in enumerate(section) if _FRAME.match(line) or line.startswith(" ")]
    tail = section[end[-1] + 1 :] if end else section
    return [line for line in tail if line.strip()][:EXCEPTION_LINES]


def _library_path(file: str) -> str:
    """A library file as its package path (`pandas/core/frame.py`), not the machine's."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in file:
            return file.rsplit(marker, 1)[1]
    parts = Path(file).parts
    return "/".join(parts[-2:]) if len(parts) > 1 else file


def output_of(run: CellRun | None, *, overview: bool = False) -> dict[str, Any]:
    """A cell's output and console; `overview` cuts them to a glance (a few rows, a line)."""
    if run is None:
        return {}
    out: dict[str, Any] = {}
    output = run.output
    rows, text, console_chars = (
        (OVERVIEW_ROWS, OVERVIEW_CHARS, OVERVIEW_CHARS)
        if overview
        else (TABLE_ROWS, OUTPUT_CHARS, CONSOLE_CHARS)
    )
    if output.kind == "table" and output.table is not None:
        table = output.table
        out["output"] = {
            "kind": "table",
            "columns": list(table.columns),
            "rows": [[_value(v) for v in r] for r in table.rows[:rows]],
            "total_rows": table.total_rows if table.total_rows is not None else len(table.rows),
        }
    elif output.kind == "image":
        out["output"] = {"kind": "image", "text": output.text or "an image"}
    elif output.kind not in ("empty", "error"):
        out["output"] = {"kind": output.kind, "text": clip(output.text, text)}
    console = run.console_text
    if console:
        out["console"] = clip(console, console_chars, tail=True)
    return out


def _value(value: Any) -> Any:
    return clip(value, TABLE_VALUE_CHARS) if isinstance(value, str) else value


def cell_summary(cell: Cell, run: CellRun | None, live: bool) -> dict[str, Any]:
    """A cell as list_cells tells it: no code, and only what it has (no empty lists, no null
    name); without a marimo server there is no status to tell (the caller says so once)."""
    entry: dict[str, Any] = {"id": cell.id}
    if cell.named:
        entry["name"] = cell.name
    if cell.defs:
        entry["defines"] = sorted(cell.defs)
    reads = sorted(cell.refs - BUILTINS)  # `print`, `len`: every cell reads them, none defines
    if reads:
        entry["reads"] = reads
    entry.update(cell_state(cell, run, live, brief=True))
    return entry


def cell_state(cell: Cell, run: CellRun | None, live: bool, *, brief: bool) -> dict[str, Any]:
    """Status and error: the error's first line when `brief`, else with its traceback."""
    entry: dict[str, Any] = {}
    if live or cell.error:
        entry["status"] = status(cell, run, live)
    error = error_of(cell, run)
    if error:
        entry["error"] = error.splitlines()[0] if brief else error
    return entry


def cell_output(cell: Cell, run: CellRun | None, *, overview: bool = False) -> dict[str, Any]:
    """A cell as read_outputs tells it: status, error, output and console, not its code."""
    entry: dict[str, Any] = {"id": cell.id}
    if cell.named:
        entry["name"] = cell.name
    entry.update(cell_state(cell, run, True, brief=False))
    entry.update(output_of(run, overview=overview))
    return entry


def cell_detail(cell: Cell, run: CellRun | None, live: bool) -> dict[str, Any]:
    entry = cell_summary(cell, run, live)
    entry["code"] = cell.code
    entry.update(cell_state(cell, run, live, brief=False))
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
            shown = output_of(runs[cid], overview=True).get("output")
            if shown:
                outputs[by_id[cid].label] = shown
    if outputs:
        report["outputs"] = outputs
    return report


def versions(runs: dict[str, CellRun] | None) -> dict[str, int]:
    return {cid: run.version for cid, run in (runs or {}).items()}
