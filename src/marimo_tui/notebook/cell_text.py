"""The text a write puts in the file for one changed cell.

marimo's serializer writes the cell (`marimo_render`), with two exceptions that keep a write from
changing what nobody asked to change:
- a rename or new options leave the code as it is: only the decorator and `def` lines are
  rewritten, and the body keeps its bytes (marimo would re-lay out a markdown cell's text);
- marimo lays a markdown cell out again (`mo.md(r\"\"\"…\"\"\")`, dedented, `""` escaped as
  `"\\"`), which on some text changes the string itself: raw strings, hard breaks. Where the
  code marimo's parser would read back is not the code that was given (their syntax trees
  differ), the cell is written with its code as given, in marimo's frame.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Sequence
from pathlib import Path

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.model import Cell

_PROBE_HEAD = "import marimo\napp = marimo.App()\n\n\n"


def signature_end(lines: Sequence[str]) -> int | None:
    """Index of the line that ends a cell's decorators and `def …:` signature."""
    header = _header(lines)
    return header[1] if header is not None else None


def _header(lines: Sequence[str]) -> tuple[int, int] | None:
    """Indices of the line with `def` and of the line that ends the signature."""
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    depth = 0
    def_line: int | None = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NAME and tok.string in ("def", "async") and depth == 0:
                def_line = tok.start[0] - 1 if def_line is None else def_line
            elif tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            elif def_line is not None and depth == 0 and tok.string == ":":
                return def_line, tok.start[0] - 1
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def retitled(old_lines: Sequence[str], block: str, *, name: bool, options: bool) -> str | None:
    """The old cell's text with the block's decorators (new `options`) and `def` line (new
    `name`): the code is unchanged, so its lines stay as they are."""
    new = block.split("\n")
    old = [line.rstrip("\n").removesuffix("\r") for line in old_lines]
    old_header, new_header = _header(old), _header(new)
    if old_header is None or new_header is None:
        return None
    (old_def, old_end), (new_def, new_end) = old_header, new_header
    decorators = new[:new_def] if options else old[:old_def]
    signature = new[new_def : new_end + 1] if name else old[old_def : old_end + 1]
    return "\n".join(decorators + signature + old[old_end + 1 :])


def faithful(cell: Cell, block: str) -> str:
    """marimo's block, unless marimo's parser would read other code back from it."""
    if cell.error or ("mo.md(" not in block and not _risky(cell.code)):
        return block
    try:
        parsed = adapter.parse_text(_PROBE_HEAD + block + "\n", Path("cell.py")).cells
        same = len(parsed) == 1 and _tree(parsed[0].code) == _tree(cell.code)
    except (NotebookError, SyntaxError, ValueError):
        same = False
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
