"""The cells marimo reads from a file, and the code comparisons the fidelity checks allow.

marimo's parser (`marimo._ast.parse.parse_notebook`) is the authority on what a file holds. The
normalisations allowed between the code asked for and the code marimo reads back are those of
marimo's codegen + parser round trip, as documented in tests/test_roundtrip_property.py (CRLF
to LF; code that does not compile comes back stripped; in code that compiles a no-break space
may become a space and one trailing newline is dropped), plus, for a `mo.md("…")` cell, a
re-layout that leaves the markdown marimo shows unchanged (`inspect.cleandoc` of the string).
"""

from __future__ import annotations

import ast
import inspect
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fidelity_layout import decode

# marimo reads `__` (older versions' name for an anonymous cell) and `_` alike: no name.
ANONYMOUS = ("_", "__")

# marimo's CellConfig defaults: an option at its default is the same as an absent one.
OPTION_DEFAULTS: dict[str, Any] = {
    "column": None,
    "disabled": False,
    "hide_code": False,
    "expand_output": False,
}


@dataclass(frozen=True, slots=True)
class PCell:
    kind: str  # CellDef, SetupCell, FunctionCell, ClassCell, UnparsableCell
    code: str
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        first = self.code.split("\n", 1)[0][:60]
        return f"{self.kind} {self.name!r} {self.options} {first!r}"


def parse_cells(data: bytes, path: Path) -> list[PCell]:
    """The cells marimo reads from the file's bytes (read as marimo reads a file: a BOM is
    dropped and any newline becomes LF)."""
    from marimo._ast.parse import parse_notebook

    logging.getLogger("marimo").setLevel(logging.ERROR)
    text, _ = decode(data)
    text = text.replace("\r\n", "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = parse_notebook(text, str(path))
    if parsed is None or not parsed.valid:
        raise ValueError(f"marimo does not read {path.name} as a notebook")
    lines = text.split("\n")
    return [_cell(c, lines) for c in parsed.cells]


def _cell(cell: Any, lines: list[str]) -> PCell:
    options = dict(cell.options or {})
    name = cell.name
    kind = type(cell).__name__
    if kind == "UnparsableCell":
        # marimo puts an unparsable cell's name among its options (`name="…"` of the call).
        name = options.pop("name", name)
        # A decorated cell that this Python cannot parse (3.12+ syntax on 3.11): marimo's
        # scanner keeps its code and name but not its decorator's options; read them here.
        start = cell.lineno - 1
        if 0 <= start < len(lines) and lines[start].startswith("@app."):
            options.update(decorator_options(lines[start:]))
    return PCell(kind, cell.code, name, options)


def decorator_options(lines: list[str]) -> dict[str, Any]:
    """The keyword options of an `@app.cell(...)` decorator starting at `lines[0]`."""
    end = next(
        (i for i, x in enumerate(lines) if x.startswith(("def ", "async def ", "class "))), 1
    )
    try:
        call = ast.parse("\n".join(lines[:end]).lstrip("@").strip(), mode="eval").body
    except SyntaxError:
        return {}
    if not isinstance(call, ast.Call):
        return {}
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg is not None}


def normal_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if OPTION_DEFAULTS.get(k, object()) != v}


# -- code comparisons --------------------------------------------------------------------------
def compiles(code: str) -> bool:
    """Whether Python (this interpreter) compiles `code` as a marimo cell body."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(
                code.replace("\u00a0", " "),
                "<cell>",
                "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
            )
    except (SyntaxError, ValueError):
        return False
    return True


def normalise(code: str) -> str:
    """What marimo's codegen + parser give back for `code` (see the module docstring)."""
    code = code.replace("\r\n", "\n")
    if not compiles(code):
        return code.strip()
    code = code.replace("\u00a0", " ")
    if code.strip() and code.endswith("\n"):
        code = code[:-1]
    return code


def same_code(got: str, want: str) -> bool:
    """`got` (read back) is `want` (written), up to marimo's round-trip normalisations."""
    got = _nbsp(got.replace("\r\n", "\n"))
    return got in (_nbsp(normalise(want)), _nbsp(want.replace("\r\n", "\n")))


def _nbsp(code: str) -> str:
    return code.replace("\u00a0", " ")


def markdown_value(code: str) -> str | None:
    """The markdown a `mo.md(<string literal>)` cell shows (None for any other cell)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            body = ast.parse(code).body
    except (SyntaxError, ValueError):
        return None
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        return None
    call = body[0].value
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "md"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "mo"
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    ):
        return None
    return inspect.cleandoc(call.args[0].value)


def defined_name(code: str) -> str | None:
    """The name a cell defines when its whole code is one def or class, else None."""
    try:
        body = ast.parse(code).body
    except (SyntaxError, ValueError):
        return None
    one = body[0] if len(body) == 1 else None
    if isinstance(one, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return one.name
    return None


def same_cell_text(got: str, want: str) -> bool:
    """The touched cell reads back as asked: the same code, or the same shown markdown."""
    if same_code(got, want):
        return True
    shown = markdown_value(want)
    return shown is not None and shown == markdown_value(got)
