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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.model import UNNAMED, Cell, CellKind


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
def _prepare_marimo() -> None:
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


_COMPILED: dict[str, Any] = {}  # code -> marimo's CellImpl (or the SyntaxError it raised)
_COMPILED_LIMIT = 4096


def _cache_codegen_compiles() -> None:
    """marimo's codegen compiles every cell of a notebook on every render (about 0.5 ms a
    cell): a one-cell edit of a 200-cell notebook spent 95 of its 118 ms there. Give codegen a
    compile that remembers each code's result, so a render compiles only what changed."""
    import copy

    from marimo._ast import codegen, compiler, toplevel
    from marimo._ast.cell import CellConfig

    original = compiler.compile_cell
    if getattr(getattr(toplevel, "compile_cell", None), "__wrapped__", None) is original:
        return

    def compile_cell(code: str, cell_id: Any, **kwargs: Any) -> Any:
        if kwargs:
            return original(code, cell_id=cell_id, **kwargs)
        compiled = _COMPILED.get(code)
        if compiled is None:
            if len(_COMPILED) >= _COMPILED_LIMIT:
                _COMPILED.clear()
            try:
                compiled = original(code, cell_id=cell_id)
            except SyntaxError as exc:
                compiled = exc
            _COMPILED[code] = compiled
        if isinstance(compiled, SyntaxError):
            raise compiled
        # A fresh object with its own config: codegen configures (mutates) what it gets.
        clone = copy.copy(compiled)
        object.__setattr__(clone, "cell_id", cell_id)
        object.__setattr__(clone, "config", CellConfig())
        return clone

    compile_cell.__wrapped__ = original  # type: ignore[attr-defined]
    # Both modules imported the name: replace it where codegen looks it up.
    setattr(toplevel, "compile_cell", compile_cell)  # noqa: B010
    setattr(codegen, "compile_cell", compile_cell)  # noqa: B010


def marimo_version() -> str:
    from importlib.metadata import version

    return version("marimo")


def parse_text(text: str, path: Path) -> ParsedFile:
    """Parse notebook source; anything that is not a notebook is a one-line NotebookError."""
    _prepare_marimo()
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
    return ParsedFile(
        header=ir.header.value if ir.header else "",
        app_options=dict(ir.app.options),
        cells=cells,
        violations=violations,
    )


def _check_syntax(text: str, path: Path) -> None:
    try:
        compile(text, str(path), "exec", dont_inherit=True, flags=0x400)  # PyCF_ONLY_AST
    except SyntaxError as exc:
        raise NotebookError(path, f"Python syntax error: {exc.msg}", exc.lineno) from None


def analyze(code: str) -> Analysis:
    """Definitions and references of one cell, as marimo's compiler sees them."""
    _prepare_marimo()
    from marimo._ast.compiler import compile_cell

    try:
        impl = compile_cell(code, cell_id="analysis")  # type: ignore[arg-type]
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return Analysis(frozenset(), frozenset(), f"SyntaxError: {exc.msg}{where}")
    except Exception as exc:  # a compiler crash must not take the notebook down with it
        return Analysis(frozenset(), frozenset(), f"{type(exc).__name__}: {exc}")
    return Analysis(frozenset(impl.defs), frozenset(impl.refs))


def render(header: str, app_options: dict[str, Any], cells: Sequence[Cell]) -> str:
    """File text for a notebook, written by marimo's own code generator.

    A render is what `marimo._ast.codegen.generate_filecontents` writes, step for step, but it
    keeps each render's pieces: when the next render differs from one in the code of a single
    plain cell, and that code defines, references and annotates the same names, every other
    cell's block is unchanged and only that cell is serialized again. marimo's whole-notebook
    analysis (`TopLevelExtraction`) costs ~20 ms on 200 cells; an agent edits one cell at a
    time. `tests/test_marimo_adapter.py` checks that both ways give the same bytes.
    """
    _prepare_marimo()
    _cache_codegen_compiles()
    from marimo._ast.names import SETUP_CELL_NAME, TOPLEVEL_CELL_PREFIX

    codes: list[str] = []
    names: list[str] = []
    for cell in cells:
        codes.append(cell.code)
        if cell.kind is CellKind.SETUP:
            names.append(SETUP_CELL_NAME)
        elif cell.kind in (CellKind.FUNCTION, CellKind.CLASS):
            # marimo demotes a top-level function back to a cell when its code stops qualifying.
            names.append(f"{TOPLEVEL_CELL_PREFIX}{cell.name}")
        else:
            names.append(cell.name)
    layout = _Layout(header, repr(app_options), tuple(names), tuple(_options_key(c) for c in cells))
    previous = _RENDERS.get(layout)
    rendered = previous.respliced(codes, cells) if previous is not None else None
    demoted: set[int] = set()
    if rendered is None:  # (a splice changes a plain cell only: nothing to demote)
        rendered = _Rendered.generate(layout, codes, cells, app_options)
        demoted = _demoted(cells, rendered.text)
    _RENDERS.pop(layout, None)
    _RENDERS[layout] = rendered
    while len(_RENDERS) > _RENDERS_LIMIT:
        del _RENDERS[next(iter(_RENDERS))]
    if demoted:
        # marimo renames a demoted top-level function `_` (or, when its new code does not
        # parse, writes `*name`); the cell keeps its name here, as any other cell's edit does.
        plain = [replace(c, kind=CellKind.CELL) if i in demoted else c for i, c in enumerate(cells)]
        return render(header, app_options, plain)
    return rendered.text


def _demoted(cells: Sequence[Cell], text: str) -> set[int]:
    """Cells given as top-level functions or classes that marimo wrote as something else."""
    toplevel = (CellKind.FUNCTION, CellKind.CLASS)
    if not any(c.kind in toplevel for c in cells):
        return set()
    scanned = scan_rendered(text)
    if len(scanned) != len(cells):
        return set()
    return {
        i
        for i, (cell, (kind, _, _)) in enumerate(zip(cells, scanned, strict=True))
        if cell.kind in toplevel and kind not in toplevel
    }


def _options_key(cell: Cell) -> str:
    return repr(sorted(cell.options.items()))


@dataclass(frozen=True, slots=True)
class _Layout:
    """All a render depends on but the cells' code."""

    header: str
    app_options: str
    names: tuple[str, ...]
    options: tuple[str, ...]


_RENDERS: dict[_Layout, _Rendered] = {}  # the latest render of each layout, oldest first
_RENDERS_LIMIT = 8


def _annotations(impl: Any) -> dict[str, Any]:
    """What codegen reads of a cell's variables when it writes other cells' signatures."""
    return {
        name: (
            data.language,
            data.annotation_data and (data.annotation_data.repr, data.annotation_data.refs),
        )
        for name, data in impl.init_variable_data.items()
    }


@dataclass(slots=True)
class _Rendered:
    codes: list[str]  # every cell's code, in notebook order
    setup: int | None  # index of the setup cell, which is not among the blocks
    extraction: Any  # marimo's TopLevelExtraction of the notebook
    blocks: list[str]  # one serialized block per cell but the setup cell
    head: str
    tail: str

    @property
    def text(self) -> str:
        return (self.head + "\n" + "\n\n\n".join(self.blocks) + "\n" + self.tail).lstrip()

    @classmethod
    def generate(
        cls, layout: _Layout, codes: list[str], cells: Sequence[Cell], app_options: dict[str, Any]
    ) -> _Rendered:
        # `generate_filecontents`, keeping its pieces.
        from marimo import __version__
        from marimo._ast.app_config import _AppConfig
        from marimo._ast.cell import CellConfig
        from marimo._ast.codegen import (
            build_setup_section,
            generate_app_constructor,
            indent_text,
            pop_setup_cell,
            safe_serialize_cell,
        )
        from marimo._ast.names import DEFAULT_CELL_NAME, SETUP_CELL_NAME
        from marimo._ast.toplevel import TopLevelExtraction

        names = [DEFAULT_CELL_NAME if n in ("__", "") else n for n in layout.names]
        configs = [CellConfig.from_dict(dict(c.options), warn=False) for c in cells]
        config = _AppConfig.from_untrusted_dict(app_options, silent=True)
        setup = names.index(SETUP_CELL_NAME) if SETUP_CELL_NAME in names else None
        rest_codes, rest_names, rest_configs = list(codes), list(names), configs
        setup_cell = pop_setup_cell(rest_codes, rest_names, rest_configs)
        if setup_cell is None:
            setup = None  # a setup cell that doesn't compile is serialized as a plain cell
        toplevel_defs = set(setup_cell.defs) if setup_cell else set()
        extraction = TopLevelExtraction(rest_codes, rest_names, rest_configs, toplevel_defs)
        blocks = [safe_serialize_cell(extraction, status) for status in extraction]
        head = [layout.header.rstrip(), ""] if layout.header else []
        head += [
            "import marimo",
            "",
            f'__generated_with = "{__version__}"',
            generate_app_constructor(config),
            "",
            build_setup_section(setup_cell),
        ]
        tail = ["\n", 'if __name__ == "__main__":', indent_text("app.run()"), ""]
        return cls(list(codes), setup, extraction, blocks, "\n".join(head), "\n".join(tail))

    def respliced(self, codes: list[str], cells: Sequence[Cell]) -> _Rendered | None:
        """This render with one cell's code changed, or None when more than its block would."""
        changed = [
            i for i, (old, new) in enumerate(zip(self.codes, codes, strict=True)) if old != new
        ]
        if not changed:
            return self
        if len(changed) != 1 or changed[0] == self.setup:
            return None
        index = changed[0]
        at = index if self.setup is None or index < self.setup else index - 1
        from marimo._ast.cell import CellConfig
        from marimo._ast.codegen import safe_serialize_cell
        from marimo._ast.names import DEFAULT_CELL_NAME, TOPLEVEL_CELL_PREFIX
        from marimo._ast.toplevel import TopLevelStatus

        old = self.extraction.statuses[at]
        if not old.is_cell or old._cell is None or old._cell.toplevel_variable is not None:
            return None
        status = TopLevelStatus(
            old.cell_id,
            codes[index],
            old.previous_name,
            CellConfig.from_dict(dict(cells[index].options), warn=False),
            set(),
        )
        new = status._cell
        if (
            not status.is_cell
            or new is None
            or new.toplevel_variable is not None
            or new.defs != old._cell.defs
            or new.refs != old._cell.refs
            or _annotations(new) != _annotations(old._cell)
        ):
            return None
        # What TopLevelExtraction does to the name of a cell that stays a cell.
        if status.name.startswith(TOPLEVEL_CELL_PREFIX):
            status.name = DEFAULT_CELL_NAME
        self.extraction.statuses[at] = status
        blocks = list(self.blocks)
        blocks[at] = safe_serialize_cell(self.extraction, status)
        return _Rendered(list(codes), self.setup, self.extraction, blocks, self.head, self.tail)


_DECORATOR_KINDS = {
    "@app.cell": CellKind.CELL,
    "@app.function": CellKind.FUNCTION,
    "@app.class_definition": CellKind.CLASS,
}


def scan_rendered(text: str) -> list[tuple[CellKind, str | None, int]]:
    """Kind, name and line of each cell in text that `render` just wrote.

    marimo's codegen decides some things itself — a cell that only defines a pure function
    becomes `@app.function`, code that does not compile becomes `app._unparsable_cell` — so
    after a write the model takes them from the text. marimo writes a fixed layout, so a
    line scan suffices and costs far less than parsing the file again. The name is None where
    the layout does not show it (unparsable cells keep theirs).
    """
    found: list[tuple[CellKind, str | None, int]] = []
    pending: CellKind | None = None
    decorated_at = 0
    lines = text.split("\n")
    for lineno, line in enumerate(lines, start=1):
        if not line or line[0] in " \t#)":
            continue
        if pending is not None:
            words = line.replace("(", " ").replace(":", " ").split()
            if words[:1] == ["async"]:
                words = words[1:]
            if words[:1] in (["def"], ["class"]) and len(words) > 1:
                # marimo numbers a cell by its `def` line, a top-level function by its decorator.
                # (an empty cell's number is that of its bare `return`).
                # A signature too long for one line ends on its own `):` line, which is the
                # one marimo numbers the cell by.
                end = lineno
                if pending is CellKind.CELL:
                    while end < len(lines) and not lines[end - 1].rstrip().endswith(":"):
                        end += 1
                at = end if pending is CellKind.CELL else decorated_at
                empty = end < len(lines) and lines[end] == "    return"
                if pending is CellKind.CELL and empty:
                    at += 1
                found.append((pending, words[1], at))
                pending = None
            continue  # further decorators of a top-level function
        head = line.split("(", 1)[0].rstrip()
        if head in _DECORATOR_KINDS:
            pending = _DECORATOR_KINDS[head]
            decorated_at = lineno
        elif line.startswith("app._unparsable_cell("):
            found.append((CellKind.UNPARSABLE, None, lineno))
        elif line.startswith("with app.setup"):
            found.append((CellKind.SETUP, "setup", lineno))
    return found


def cell_option_keys() -> frozenset[str]:
    _prepare_marimo()
    from marimo._ast.cell import CellConfigKeys

    return frozenset(CellConfigKeys)
