"""Cells in newer Python syntax, read as marimo reads them on that Python.

On a Python that cannot parse a cell, marimo's scanner cuts the file into cells and keeps each
that does not parse as an unparsable cell holding its *body*. For a `@app.cell` that is the
cell's code, but a top-level function or class loses its `def`/`class` line that way, a setup
cell its `with app.setup:`, and every cell its decorator's options (`hide_code=True`). A write of
such a cell would then turn a class into a plain cell. So a cell the scanner made, whose code
needs a newer Python, is read back here as what it is: its kind, its whole code, its options.
"""

from __future__ import annotations

import ast
import contextlib
from typing import Any

from marimo_tui.notebook.model import CellKind

_KINDS = {
    "cell": CellKind.CELL,
    "function": CellKind.FUNCTION,
    "class_definition": CellKind.CLASS,
    "setup": CellKind.SETUP,
}


def newer_python_cells(
    text: str, bodies: dict[int, str]
) -> dict[int, tuple[CellKind, str, dict[str, Any]]]:
    """For the scanner-made cells starting at the lines of `bodies` (line: the code marimo
    read): kind, code and options, keyed by line, of each whose code needs a newer Python
    (the others stay as marimo read them)."""
    from marimo._ast.scanner import scan_notebook

    from marimo_tui.notebook.pyversion import required_python

    found: dict[int, tuple[CellKind, str, dict[str, Any]]] = {}
    for scanned in scan_notebook(text).cells:
        kind = _KINDS.get(scanned.kind)
        if scanned.start_line not in bodies or kind is None:
            continue
        lines = scanned.source.split("\n")
        head = _header_end(lines, kind)
        if head is None:
            continue
        code = bodies[scanned.start_line]  # a cell's or setup cell's code is its body
        if kind in (CellKind.FUNCTION, CellKind.CLASS):
            code = "\n".join(lines[_app_decorator_end(lines) + 1 :]).rstrip()
        if code and required_python(code) is not None:
            found[scanned.start_line] = (kind, code, _options(lines[: head + 1], kind))
    return found


def _header_end(lines: list[str], kind: CellKind) -> int | None:
    """Index of the line that starts the cell proper: its `def`, `class` or `with`."""
    words = ("with", "async") if kind is CellKind.SETUP else ("def", "async", "class")
    for i, line in enumerate(lines):
        if line[:1] not in (" ", "\t", "@", ")", "") and line.split()[0].split("(")[0] in words:
            return i if kind is not CellKind.CELL else _colon_line(lines, i)
    return None


def _colon_line(lines: list[str], start: int) -> int:
    """A `def` signature may run over several lines: where it ends."""
    for i in range(start, len(lines)):
        if lines[i].rstrip().endswith(":"):
            return i
    return start


def _app_decorator_end(lines: list[str]) -> int:
    """Index of the last line of the `@app.function`/`@app.class_definition` decorator."""
    for i, line in enumerate(lines):
        if line.startswith("@app."):
            depth = 0
            for j in range(i, len(lines)):
                depth += lines[j].count("(") - lines[j].count(")")
                if depth <= 0:
                    return j
    return 0


def _options(header: list[str], kind: CellKind) -> dict[str, Any]:
    """Keyword arguments of the app decorator (or `app.setup(...)`), as literal values."""
    text = "\n".join(header)
    probe = text + "\n    pass"
    if kind in (CellKind.FUNCTION, CellKind.CLASS):
        probe = "\n".join(header[: _app_decorator_end(header) + 1]) + "\ndef _probe():\n    pass"
    try:
        node = ast.parse(probe).body[0]
    except SyntaxError:
        return {}
    calls = [item.context_expr for item in node.items] if isinstance(node, ast.With) else []
    calls += getattr(node, "decorator_list", [])
    options: dict[str, Any] = {}
    for call in calls:
        if isinstance(call, ast.Call):
            for keyword in call.keywords:
                if keyword.arg is not None:
                    with contextlib.suppress(ValueError, SyntaxError):
                        options[keyword.arg] = ast.literal_eval(keyword.value)
    return options
