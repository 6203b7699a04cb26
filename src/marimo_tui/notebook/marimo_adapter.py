"""Every call into marimo's private notebook API, in one place.

marimo is the authority on its file format: we parse with its parser, compile cells with its
compiler (for definitions and references) and render with its code generator, so that files
marimo wrote round-trip byte for byte. These modules are private, which is why marimo is pinned
to one minor version and this module has its own tests. marimo is imported lazily: importing it
costs about half a second, which must not sit on the path to the first frame.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.model import UNNAMED, CellKind
from marimo_tui.notebook.splice import FileMap, Span, split_lines


@dataclass(frozen=True, slots=True)
class ParsedCell:
    kind: CellKind
    code: str
    name: str
    options: dict[str, Any]
    lineno: int


@dataclass(frozen=True, slots=True)
class ParsedFile:
    header: str
    app_options: dict[str, Any]
    cells: list[ParsedCell]
    violations: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Analysis:
    defs: frozenset[str]
    refs: frozenset[str]
    error: str | None = None


@cache
def prepare_marimo() -> None:
    # marimo logs a warning for every file that lacks `__generated_with` or a run guard; the
    # store reports what matters itself, in one line.
    logging.getLogger("marimo").setLevel(logging.ERROR)
    # marimo reads `encoding` and `errors` of the standard streams at import time; a
    # full-screen app replaces them with capture objects that have neither.
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        for attribute, value in (("encoding", "utf-8"), ("errors", "strict")):
            if stream is not None and not hasattr(stream, attribute):
                with contextlib.suppress(AttributeError):
                    setattr(stream, attribute, value)


def marimo_version() -> str:
    from importlib.metadata import version

    return version("marimo")


def parse_text(text: str, path: Path) -> ParsedFile:
    """Parse notebook source; anything that is not a notebook is a one-line NotebookError."""
    prepare_marimo()
    from marimo._ast import parse as mparse
    from marimo._schemas.serialization import (
        ClassCell,
        FunctionCell,
        SetupCell,
        UnparsableCell,
    )

    if not text.strip():
        raise NotebookError(path, "empty file: not a marimo notebook")
    try:
        ir = mparse.parse_notebook(text, str(path))
    except mparse.MarimoFileError as exc:
        raise NotebookError(path, f"not a marimo notebook: {exc}".rstrip(".")) from None
    except SyntaxError as exc:
        raise NotebookError(path, f"Python syntax error: {exc.msg}", exc.lineno) from None
    except Exception as exc:  # marimo's parser has no documented error contract
        raise NotebookError(
            path, f"marimo could not parse it: {type(exc).__name__}: {exc}"
        ) from None
    if ir is None:
        raise NotebookError(path, "empty file: not a marimo notebook")
    violations = [v.description for v in ir.violations]
    if not ir.valid:
        if mparse.is_non_marimo_python_script(ir):
            raise NotebookError(
                path, "a plain Python script, not a marimo notebook (no marimo.App)"
            )
        line = next((v.lineno for v in ir.violations if v.lineno), None)
        _check_syntax(text, path)
        raise NotebookError(path, "not a marimo notebook: " + "; ".join(violations), line)

    cells: list[ParsedCell] = []
    for c in ir.cells:
        options = dict(c.options)
        name = c.name
        if isinstance(c, SetupCell):
            kind = CellKind.SETUP
        elif isinstance(c, FunctionCell):
            kind = CellKind.FUNCTION
        elif isinstance(c, ClassCell):
            kind = CellKind.CLASS
        elif isinstance(c, UnparsableCell):
            kind = CellKind.UNPARSABLE
            # An unparsable cell keeps its name among its keyword arguments.
            name = str(options.pop("name", name))
        else:
            kind = CellKind.CELL
        cells.append(ParsedCell(kind, c.code, name or UNNAMED, options, c.lineno))
    scanned = {
        v.lineno for v in ir.violations if v.description == mparse.SCANNER_UNPARSABLE_CELL_VIOLATION
    }
    if scanned:
        cells = _as_newer_python_reads(text, cells, scanned)
    return ParsedFile(
        header=ir.header.value if ir.header else "",
        app_options=dict(ir.app.options),
        cells=cells,
        violations=violations,
    )


def _as_newer_python_reads(text: str, cells: list[ParsedCell], lines: set[int]) -> list[ParsedCell]:
    """Cells marimo's scanner kept as unparsable, as a newer Python's marimo reads them."""
    from marimo_tui.notebook.newer_cells import newer_python_cells

    bodies = {
        c.lineno: c.code for c in cells if c.lineno in lines and c.kind is CellKind.UNPARSABLE
    }
    found = newer_python_cells(text, bodies)
    out = []
    for cell in cells:
        if cell.lineno in found:
            kind, code, options = found[cell.lineno]
            name = "setup" if kind is CellKind.SETUP else cell.name
            cell = ParsedCell(kind, code, name, {**cell.options, **options}, cell.lineno)
        out.append(cell)
    return out


def _check_syntax(text: str, path: Path) -> None:
    try:
        compile(text, str(path), "exec", dont_inherit=True, flags=0x400)  # PyCF_ONLY_AST
    except SyntaxError as exc:
        raise NotebookError(path, f"Python syntax error: {exc.msg}", exc.lineno) from None


def analyze(code: str) -> Analysis:
    """Definitions and references of one cell, as marimo's compiler sees them."""
    prepare_marimo()
    from marimo._ast.compiler import compile_cell

    try:
        impl = compile_cell(code, cell_id="analysis")  # type: ignore[arg-type]
    except SyntaxError as exc:
        from marimo_tui.notebook.pyversion import requirement_message

        # Code a newer Python compiles is not broken: it says so, and is kept as written.
        where = f" (line {exc.lineno})" if exc.lineno else ""
        error = requirement_message(code) or f"SyntaxError: {exc.msg}{where}"
        return Analysis(frozenset(), frozenset(), error)
    except Exception as exc:  # a compiler crash must not take the notebook down with it
        return Analysis(frozenset(), frozenset(), f"{type(exc).__name__}: {exc}")
    return Analysis(frozenset(impl.defs), frozenset(impl.refs))


def cell_option_keys() -> frozenset[str]:
    prepare_marimo()
    from marimo._ast.cell import CellConfigKeys

    return frozenset(CellConfigKeys)


def map_file(source: str) -> FileMap | None:
    """Where each cell of a notebook file is, found as marimo's parser finds cells.

    `source` is the file's text with its own line endings. A cell spans its decorators to the
    end of its body, with the comment lines marimo reads into its code (indented lines after the
    last statement); lines at column 0 between cells are not part of any cell. A file Python
    cannot parse (a cell with a syntax error, or syntax of a newer Python) is cut into cells by
    marimo's scanner, and each cell parsed alone. None when the text cannot be mapped: a lone
    "\\r" (Python counts it as a line break), or a part outside the cells that does not parse.
    """
    prepare_marimo()
    import ast

    from marimo._ast.parse import ast_parse, is_cell, is_run_guard

    if "\r" in source.replace("\r\n", ""):
        return None
    lines = split_lines(source)
    try:
        items: list[ast.stmt | Span] = list(ast_parse(source).body)
    except SyntaxError:
        scanned = _scanned_items(source)
        if scanned is None:
            return None
        items = scanned
    spans: list[Span] = []
    app: Span | None = None
    for item in items:
        if isinstance(item, tuple):
            spans.append(item)
        elif is_run_guard(item):
            break
        elif is_cell(item):
            spans.append(_node_span(item, lines))
        elif app is None and _is_app_def(item):
            app = (item.lineno - 1, item.end_lineno or item.lineno)
    newline = "\r\n" if "\r\n" in source else "\n"
    return FileMap(tuple(lines), tuple(spans), app, newline)


def _scanned_items(source: str) -> list[Any] | None:
    """Statements of a file that does not parse as a whole: marimo's scanner cuts it into
    cells and each is parsed alone; a cell that does not parse is kept as its line span."""
    import ast

    from marimo._ast.parse import ast_parse
    from marimo._ast.scanner import scan_notebook

    scan = scan_notebook(source)
    items: list[Any] = []
    try:
        items += ast_parse(scan.preamble).body if scan.preamble.strip() else []
    except SyntaxError:
        return None
    for cell in scan.cells:
        try:
            tree = ast_parse(cell.source)
        except SyntaxError:
            items.append((cell.start_line - 1, cell.end_line))
            continue
        ast.increment_lineno(tree, cell.start_line - 1)
        items += tree.body
    return items


def _node_span(node: Any, lines: list[str]) -> Span:
    decorators = getattr(node, "decorator_list", [])
    start = min([d.lineno for d in decorators] + [node.lineno]) - 1
    end = node.end_lineno or node.lineno
    # marimo reads indented comment lines after a cell's last statement into its code.
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return (start, end)


def _is_app_def(node: Any) -> bool:
    import ast

    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == "app"
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and isinstance(node.value.func.value, ast.Name)
        and node.value.func.attr == "App"
    )
