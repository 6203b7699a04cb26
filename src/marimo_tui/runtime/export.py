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

So a worker process (`python -m marimo_tui.runtime.export_worker REQUEST`) calls marimo's
exporter functions once: the html and ipynb bytes are marimo's own, and the session view of that
run is captured on the way (`_capture_runs`) to read each cell's errors (`export_cells`). Every
call into marimo's private export API is in those two modules (pinned minor version); this one
holds the report's types and the parent's side: checks, the worker's process, the write.
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
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    # What the cell printed (stdout and stderr, tracebacks left out), up to
    # `export_cells.PRINTED_CHARS`.
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
    env: Mapping[str, str] | None = None,
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
        result = _run_worker_process(scratch, timeout, env)
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


def _run_worker_process(
    scratch: Path, timeout: float | None, env: Mapping[str, str] | None
) -> dict[str, Any]:
    log = scratch / "worker.log"
    with log.open("wb") as sink:
        # A session of its own: the terminal's Ctrl-C reaches only us, and we end the worker's
        # whole group ourselves.
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "marimo_tui.runtime.export_worker",
                str(scratch / "request.json"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
            env=env,  # the notebook's code runs there: without our secrets (`child_env`)
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
