"""Running a template the way a user gets it: instantiated, sample data beside it, headless."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from marimo_tui.notebook.templates import (
    Template,
    copy_sample_data,
    discover_templates,
    instantiate,
)
from tests.conftest import TEMPLATES

ALL: dict[str, Template] = discover_templates([TEMPLATES])

Cells = list[dict[str, Any]]


def run_headless(path: Path, *args: str, timeout: float = 180, ok: bool = True) -> Cells:
    """Run a notebook with marimo's session exporter; return its cells' outputs.

    `ok=False`: a cell is expected to fail (marimo then exits 1 but still writes the session).
    """
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "marimo",
            "export",
            "session",
            "--no-sandbox",
            "--force-overwrite",
            str(path),
            *(["--", *args] if args else []),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=path.parent,
        check=False,
    )
    session = path.parent / "__marimo__" / "session" / f"{path.name}.json"
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    else:
        assert proc.returncode == 1 and "some cells failed" in proc.stdout, proc.stdout
    cells: Cells = json.loads(session.read_text())["cells"]
    return cells


def create(name: str, folder: Path, params: dict[str, str] | None = None) -> Path:
    """The notebook `marimo-tui new folder/NAME.py -t NAME` makes, with its sample data."""
    template = ALL[name]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('-', '_')}.py"
    path.write_text(instantiate(template, params or {}), encoding="utf-8")
    copy_sample_data(template, folder)
    return path


def run_template(
    name: str, folder: Path, *args: str, params: dict[str, str] | None = None, ok: bool = True
) -> Cells:
    return run_headless(create(name, folder, params), *args, ok=ok)


def run_failing(name: str, folder: Path, *args: str, params: dict[str, str] | None = None) -> Cells:
    """Run a template expected to fail; its cells (marimo still writes the session)."""
    return run_template(name, folder, *args, params=params, ok=False)


def errors(cells: Cells) -> list[dict[str, Any]]:
    """Error outputs, and anything a cell wrote to stderr (warnings count: a template is clean)."""
    found = [o for c in cells for o in c["outputs"] if o.get("type") == "error"]
    found += [o for c in cells for o in c.get("console", []) if o.get("name") == "stderr"]
    return found


def text(cells: Cells) -> str:
    """Everything the cells showed and printed, as one searchable string."""
    return json.dumps([[c["outputs"], c.get("console", [])] for c in cells], ensure_ascii=False)
