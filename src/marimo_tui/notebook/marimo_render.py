"""Rendering notebook text with marimo's own code generator.

A write serializes the cells it changes with marimo's codegen (`generate_filecontents`, step
for step), so what we write for a cell is what marimo would write for it. The store splices
those blocks into the file as it is on disk (`splice.py`); the whole text is only used where
the file's structure must change. Every call into marimo's private codegen lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from marimo_tui.notebook.marimo_adapter import prepare_marimo
from marimo_tui.notebook.model import Cell, CellKind
from marimo_tui.notebook.pyversion import is_requirement

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


@dataclass(frozen=True, slots=True)
class Rendering:
    """A notebook as marimo's codegen writes it, and the pieces a splice takes from it."""

    text: str
    blocks: list[str]  # each cell's text as written (no trailing newline); "" when omitted
    app_line: str  # the `app = marimo.App(...)` statement


def render(header: str, app_options: dict[str, Any], cells: Sequence[Cell]) -> str:
    """File text for a notebook, written by marimo's own code generator."""
    return render_cells(header, app_options, cells).text


def render_cells(header: str, app_options: dict[str, Any], cells: Sequence[Cell]) -> Rendering:
    """The notebook as marimo's codegen writes it, kept in pieces.

    A render is what `marimo._ast.codegen.generate_filecontents` writes, step for step, but it
    keeps each render's pieces: when the next render differs from one in the code of a single
    plain cell, and that code defines, references and annotates the same names, every other
    cell's block is unchanged and only that cell is serialized again. marimo's whole-notebook
    analysis (`TopLevelExtraction`) costs ~20 ms on 200 cells; an agent edits one cell at a
    time. `tests/test_marimo_adapter.py` checks that both ways give the same bytes.

    One departure from marimo: a cell whose code needs a newer Python than this one is written
    as a plain cell around its code, verbatim, where marimo's codegen would turn it into
    `app._unparsable_cell` (it cannot compile it here; the newer Python can).
    """
    prepare_marimo()
    _cache_codegen_compiles()
    from marimo._ast.names import DEFAULT_CELL_NAME, SETUP_CELL_NAME, TOPLEVEL_CELL_PREFIX

    codes: list[str] = []
    names: list[str] = []
    for cell in cells:
        codes.append(cell.code)
        if cell.kind is CellKind.SETUP:
            names.append(SETUP_CELL_NAME)
        elif cell.kind in (CellKind.FUNCTION, CellKind.CLASS):
            # A top-level function that stops qualifying is demoted by marimo to a cell `_`;
            # when its code does not parse, marimo would write `name="*helper"`, which no
            # cell can be called: it gets the default name there too.
            names.append(DEFAULT_CELL_NAME if cell.error else f"{TOPLEVEL_CELL_PREFIX}{cell.name}")
        else:
            names.append(cell.name)
    layout = _Layout(header, repr(app_options), tuple(names), tuple(_options_key(c) for c in cells))
    previous = _RENDERS.get(layout)
    rendered = previous.respliced(codes, cells) if previous is not None else None
    if rendered is None:
        rendered = _Rendered.generate(layout, codes, cells, app_options)
    _RENDERS.pop(layout, None)
    _RENDERS[layout] = rendered
    while len(_RENDERS) > _RENDERS_LIMIT:
        del _RENDERS[next(iter(_RENDERS))]
    blocks = rendered.cell_blocks()
    newer = {i: verbatim_block(cell) for i, cell in enumerate(cells) if is_requirement(cell.error)}
    if not newer:
        return Rendering(rendered.text, blocks, rendered.app_line)
    blocks = [newer.get(i, block) for i, block in enumerate(blocks)]
    return Rendering(rendered.compose(blocks), blocks, rendered.app_line)


def verbatim_block(cell: Cell) -> str:
    """The cell around its code as it is, laid out as marimo lays out its kind.

    A plain cell's signature and return are empty: this Python cannot compile the code to find
    its references and definitions, and marimo's parser takes neither from the file.
    """
    from marimo._ast.cell import CellConfig
    from marimo._ast.codegen import indent_text, to_decorator
    from marimo._ast.names import DEFAULT_CELL_NAME

    config = CellConfig.from_dict(dict(cell.options), warn=False)
    if cell.kind is CellKind.FUNCTION:
        return to_decorator(config, fn="function") + "\n" + cell.code
    if cell.kind is CellKind.CLASS:
        return to_decorator(config, fn="class_definition") + "\n" + cell.code
    if cell.kind is CellKind.SETUP:
        opener = "with app.setup(hide_code=True):" if config.hide_code else "with app.setup:"
        return opener + "\n" + indent_text(cell.code)
    name = DEFAULT_CELL_NAME if cell.name in ("", "__") else cell.name
    body = indent_text(cell.code) if cell.code.strip() else ""
    lines = [to_decorator(config), f"def {name}():"]
    return "\n".join([*lines, body, "    return"] if body else [*lines, "    return"])


def plain_block(cell: Cell) -> str:
    """The cell written as a plain `@app.cell` by marimo's serializer, never as a top-level
    function or class (it names it `_`, as marimo names a demoted function)."""
    from marimo._ast.cell import CellConfig
    from marimo._ast.codegen import to_functiondef
    from marimo._ast.compiler import compile_cell
    from marimo._ast.names import DEFAULT_CELL_NAME

    impl = compile_cell(cell.code, cell_id="plain")  # type: ignore[arg-type]
    impl.configure(CellConfig.from_dict(dict(cell.options), warn=False))
    toplevel = cell.kind in (CellKind.FUNCTION, CellKind.CLASS)
    name = DEFAULT_CELL_NAME if toplevel or cell.name in ("", "__") else cell.name
    return to_functiondef(impl, name)


def cell_decorator(options: dict[str, Any]) -> str:
    """`@app.cell(...)` as marimo writes it, keeping arguments marimo does not know (its
    codegen drops them; they were in the file, so they stay)."""
    from marimo._ast.cell import CellConfig
    from marimo._ast.codegen import format_tuple_elements, to_decorator

    from marimo_tui.notebook.marimo_adapter import cell_option_keys

    known = cell_option_keys()
    config = CellConfig.from_dict({k: v for k, v in options.items() if k in known}, warn=False)
    unknown = [f"{k}={v!r}" for k, v in options.items() if k not in known]
    if not unknown:
        return to_decorator(config)
    items = [f"{k}={v}" for k, v in config.asdict_without_defaults().items()] + unknown
    return format_tuple_elements("@app.cell(...)", tuple(items))


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
    head: str  # up to the blank line after the app constructor
    setup_section: str  # `with app.setup:` and its body, or ""
    tail: str
    app_line: str

    @property
    def text(self) -> str:
        return self._join(self.blocks)

    def _join(self, blocks: list[str]) -> str:
        return (
            self.head + self.setup_section + "\n" + "\n\n\n".join(blocks) + "\n" + self.tail
        ).lstrip()

    def cell_blocks(self) -> list[str]:
        """One block per cell, in notebook order, the setup cell's included."""
        if self.setup is None:
            return list(self.blocks)
        setup = self.setup_section.rstrip("\n")
        return [*self.blocks[: self.setup], setup, *self.blocks[self.setup :]]

    def compose(self, cell_blocks: list[str]) -> str:
        """The text with other blocks for some cells (not the setup cell)."""
        if self.setup is not None:
            cell_blocks = cell_blocks[: self.setup] + cell_blocks[self.setup + 1 :]
        return self._join(cell_blocks)

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
        app_line = generate_app_constructor(config)
        head = [layout.header.rstrip(), ""] if layout.header else []
        head += ["import marimo", "", f'__generated_with = "{__version__}"', app_line, "", ""]
        tail = ["\n", 'if __name__ == "__main__":', indent_text("app.run()"), ""]
        return cls(
            list(codes),
            setup,
            extraction,
            blocks,
            "\n".join(head),
            build_setup_section(setup_cell),
            "\n".join(tail),
            app_line,
        )

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
        return _Rendered(
            list(codes),
            self.setup,
            self.extraction,
            blocks,
            self.head,
            self.setup_section,
            self.tail,
            self.app_line,
        )


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
