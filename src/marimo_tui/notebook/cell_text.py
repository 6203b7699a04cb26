"""The text a write puts in the file for one changed cell.

marimo's serializer writes the cell (`marimo_render`), with two exceptions that keep a write from
changing what nobody asked to change:
- lines an edit leaves as they were keep their bytes: a rename rewrites only the `def` line,
  new options only the decorators, new code only the body (and the `def` line or `return`
  when its references or definitions change). marimo would write them all again, and
  re-lay out a markdown cell's text or drop a decorator argument it does not know;
- marimo lays a markdown cell out again (`mo.md(r\"\"\"…\"\"\")`, dedented, `""` escaped as
  `"\\"`), which on some text changes the string itself: raw strings, hard breaks. Where the
  code marimo's parser would read back is not the code that was given (their syntax trees
  differ), the cell is written with its code as given, in marimo's frame.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Sequence
from pathlib import Path

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook import marimo_render
from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.model import Cell

_DEF_NAME = re.compile(r"^(\s*(?:async\s+)?def\s+)\w+")
_PROBE_HEAD = "import marimo\napp = marimo.App()\n\n\n"


def signature_end(lines: Sequence[str]) -> int | None:
    """Index of the line that ends a cell's decorators and `def …:` signature."""
    header = _header(lines)
    return header[1] if header is not None else None


def _header(lines: Sequence[str]) -> tuple[int, int] | None:
    """Indices of the line with `def` and of the line that ends the signature; None unless
    the body starts on a line of its own (`def _(): x = 1` has no lines to keep apart)."""
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    depth = 0
    def_line: int | None = None
    colon = False
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if colon and def_line is not None and tok.type != tokenize.COMMENT:
                return (def_line, tok.start[0] - 1) if tok.type == tokenize.NEWLINE else None
            if tok.type == tokenize.NAME and tok.string in ("def", "async") and depth == 0:
                def_line = tok.start[0] - 1 if def_line is None else def_line
            elif tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            elif def_line is not None and depth == 0 and tok.string == ":":
                colon = True
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def _return_at(lines: list[str]) -> int | None:
    """Index of the line where a cell's closing `return` starts (None when it has none)."""
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return None
    fn = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    last = fn.body[-1]
    return last.lineno - 1 if isinstance(last, ast.Return) else None


def merged(
    old_lines: Sequence[str], prior: Cell, cell: Cell, block: str, *, options: bool
) -> str | None:
    """The old cell's lines where the edit left them as they were, the block's elsewhere.

    Decorators stay unless the options changed (keeping what marimo's codegen would drop or
    reformat); the `def` line stays unless the references changed (a rename changes only the
    name in it); the body is the
    block's when the code changed, and the closing `return` stays while the definitions do.
    None when either text is not a plain `def` cell with its body on lines of its own.
    """
    new = block.split("\n")
    old = [line.rstrip("\n").removesuffix("\r") for line in old_lines]
    old_header, new_header = _header(old), _header(new)
    if old_header is None or new_header is None:
        return None
    (old_def, old_end), (new_def, new_end) = old_header, new_header
    code = prior.code != cell.code
    decorators = old[:old_def]
    if options:
        decorators = marimo_render.cell_decorator(dict(cell.options)).split("\n")
    same_kind = old[old_def].lstrip().startswith("async") == new[new_def].startswith("async")
    signature = new[new_def : new_end + 1]
    if not code or (prior.refs == cell.refs and same_kind):
        signature = old[old_def : old_end + 1]
        if prior.name != cell.name:  # the same signature under the new name
            renamed = _DEF_NAME.sub(rf"\g<1>{cell.name or '_'}", signature[0], count=1)
            signature = [renamed, *signature[1:]]
    if not code:
        return "\n".join(decorators + signature + old[old_end + 1 :])
    rest = new[new_end + 1 :]
    old_return, new_return = _return_at(old), _return_at(new)
    if prior.defs == cell.defs and old_return is not None and new_return is not None:
        rest = new[new_end + 1 : new_return] + old[old_return:]
    return "\n".join(decorators + signature + rest)


def faithful(cell: Cell, block: str) -> str:
    """marimo's block, unless marimo's parser would read other code back from it."""
    if cell.error:
        return block
    toplevel = block.startswith(("@app.function", "@app.class_definition"))
    if not toplevel and "mo.md(" not in block and not _risky(cell.code):
        return block
    try:
        parsed = adapter.parse_text(_PROBE_HEAD + block + "\n", Path("cell.py")).cells
        back = parsed[0].code if len(parsed) == 1 else None
    except (NotebookError, SyntaxError, ValueError):
        back = None
    if toplevel:
        # marimo writes a top-level function or class as the code itself; its parser then
        # drops what follows the definition (a trailing comment): such a cell stays a cell.
        same = back is not None and back.rstrip() == cell.code.rstrip()
        return block if same else marimo_render.plain_block(cell)
    same = back is not None and _tree(back) == _tree(cell.code)
    return block if same else _as_given(cell, block)


# Characters `str.splitlines` breaks at besides "\n": marimo's indentation puts spaces after
# them, inside string literals too.
_SEPARATORS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _risky(code: str) -> bool:
    """Code marimo's codegen does not give back as it was: line separators other than "\n",
    or a whitespace-only line (written unindented, dedented on reading: inside a string, that
    changes the string)."""
    return not _SEPARATORS.isdisjoint(code) or any(
        line and not line.strip() for line in code.split("\n")
    )


def _tree(code: str) -> str:
    return ast.dump(ast.parse(code))


def _as_given(cell: Cell, block: str) -> str:
    """The block with its body replaced by the cell's code, as marimo writes a plain cell."""
    lines = block.split("\n")
    end = signature_end(lines)
    returns = max((i for i, line in enumerate(lines) if line.startswith("    return")), default=-1)
    if end is None or returns <= end:
        return block
    if lines[returns - 1] == "" and returns - 1 > end:
        returns -= 1  # marimo's blank line before `return` after an import or a def
    # Every line but empty ones is indented, whitespace-only ones too: marimo's parser takes
    # four spaces off each, and a string's blank-looking line must come back as it was.
    body = ["    " + line if line else line for line in cell.code.split("\n")]
    return "\n".join(lines[: end + 1] + body + lines[returns:])
