"""A quick read of a marimo notebook with the standard library only, for the first frame.

Importing marimo costs half a second, so the first frame cannot wait for its parser. This gives
the cells marimo's parser gives (`marimo_adapter.parse_text`) from one `ast.parse` and slices of
lines, copying marimo 0.25's `Extractor` quirk for quirk (stripped-file line numbers, byte
offsets used as string indexes, trailing comments glued on) so nothing moves when marimo's result
replaces the preview; tests/test_preview.py holds the two together. Where it cannot vouch for
the answer it returns None.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import textwrap
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import groupby, pairwise
from typing import TypeAlias

from marimo_tui.notebook.model import UNNAMED, CellKind


@dataclass(frozen=True, slots=True)
class PreviewCell:
    kind: CellKind
    code: str
    name: str
    lineno: int


class _Unsure(Exception):
    """Only marimo's parser can tell."""


_KINDS = {"cell": CellKind.CELL, "function": CellKind.FUNCTION, "class_definition": CellKind.CLASS}
# A signature that marimo's tokenizer reads as a regex does: no parentheses, strings, comments
# or line continuations before the colon, which it finds after the closing parenthesis.
_SIGNATURE = re.compile(
    r"(?:async[ \t]+)?def[ \t]+[^\s(]+[ \t]*\([^()'\"#\\]*\)[ \t]*(->[^:()'\"#\\]*)?:[ \t]*(#.*)?"
)
_HEADER_END = re.compile(r"[ \t]*:[ \t]*(#.*)?")
# What can make a string token span lines (from Python 3.12 an f-string's fields can, too).
_MULTILINE_HINT = re.compile(
    r"'''|\"\"\"|\\\n" + (r"|[fF][rR]?['\"]" if sys.version_info >= (3, 12) else "")
)
_TRIPLE_OPEN = re.compile(r"[rRbBuUfF]{0,2}('''|\"\"\")")
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass(frozen=True, slots=True)
class QuickRead:
    """One quick read of a file, kept so the next one parses only the cells an edit touched."""

    cells: list[PreviewCell]
    lines: list[str]  # of the stripped text
    # Line index where each cell's statement starts, then where the cells end (the run guard,
    # or the end): cell k is `lines[starts[k]:starts[k + 1]]`, its gap after it included.
    starts: list[int]


def quick_read(text: str) -> list[PreviewCell] | None:
    """Cells of a notebook's source (LF newlines, already decoded), or None when the quick read
    cannot vouch for the result (not a notebook, syntax error, a construct it doesn't handle) —
    the caller then waits for marimo's parser."""
    read = quick_reread(text, None)
    return read.cells if read is not None else None


def quick_reread(text: str, before: QuickRead | None) -> QuickRead | None:
    """`quick_read`, reusing `before` (the same file's last read): only the cells whose lines
    changed are parsed again. The answer is the one a full read gives (tests hold them
    together): a changed stretch is parsed on its own only from a statement start that the
    unchanged text before it puts at the top level, and up to the next unchanged cell."""
    contents = text.strip()  # as marimo does: its line numbers count from the stripped text
    if not contents or "\r" in contents or "\f" in contents or "\v" in contents:
        return None  # marimo splits lines at a lone CR, tokenize does not; \f and \v indent
    lines = contents.split("\n")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in cells: marimo reports them
            if before is not None:
                try:
                    again = _reread(lines, before)
                except Exception:  # the stretch alone does not parse: the whole text decides
                    again = None
                if again is not None:
                    return again
            return _read(ast.parse(contents).body, lines)
    except Exception:  # whatever the surprise, marimo's parser will report it properly
        return None


def _reread(lines: list[str], before: QuickRead) -> QuickRead | None:
    """The cells of `lines`: those whose stretch of lines (statement and the gap after it) is
    unchanged are kept, the rest parsed on their own; None when the header or the run guard
    changed, or a changed stretch cannot be read alone (then the whole text is read)."""
    old, starts = before.lines, before.starts
    head, tail = starts[0], len(old) - starts[-1]
    if len(lines) < head + tail or lines[:head] != old[:head]:
        return None
    if tail and lines[len(lines) - tail :] != old[starts[-1] :]:
        return None
    stretches = [old[a:b] for a, b in pairwise(starts)]
    at_line: dict[str, list[int]] = {}  # a stretch's first line -> stretches starting so
    for k, stretch in enumerate(stretches):
        if stretch:
            at_line.setdefault(stretch[0], []).append(k)
    cells: list[PreviewCell] = []
    new_starts: list[int] = []
    end, i, j = len(lines) - tail, head, 0

    def kept(at: int, k: int) -> bool:
        return lines[at : at + len(stretches[k])] == stretches[k] and at + len(stretches[k]) <= end

    while i < end:
        if j < len(stretches) and kept(i, j):
            cell = before.cells[j]
            shift = i - starts[j]
            cells.append(cell if not shift else replace(cell, lineno=cell.lineno + shift))
            new_starts.append(i)
            i, j = i + len(stretches[j]), j + 1
            continue
        # A changed stretch: up to the next line where an old stretch (later than j) is found
        # again as it was, or to the end.
        stop, resume = end, len(stretches)
        for p in range(i + 1, end):
            found = [k for k in at_line.get(lines[p], ()) if k >= j and kept(p, k)]
            if found:
                stop, resume = p, found[0]
                break
        tree = ast.parse("\n".join(lines[i:stop]))
        ast.increment_lineno(tree, i)
        body = tree.body
        if not body or _first_line(body[0]) - 1 != i:
            return None  # only a gap, or a gap in front: the whole text decides
        if not cells and isinstance(body[0], ast.With):
            return None  # a setup cell is read with the header
        cells += [_cell(node, lines, False) for node in body]
        new_starts += [_first_line(node) - 1 for node in body]
        i, j = stop, resume
    return QuickRead(cells, lines, [*new_starts, end])


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return decorators[0].lineno if decorators else node.lineno


def _read(body: list[ast.stmt], lines: list[str]) -> QuickRead:
    """marimo's `parse_notebook`, minus its leniency: a stray statement is unsure, not skipped."""
    nodes = iter(body)
    node = next(nodes, None)
    while isinstance(node, ast.Expr) and _str(node.value) is not None:  # the header's docstrings
        node = next(nodes, None)
    if not (isinstance(node, ast.Import) and node.names[0].name == "marimo"):
        raise _Unsure
    alias = node.names[0].asname or "marimo"
    node = next(nodes, None)
    version = _assigned(node, "__generated_with")
    if isinstance(version, ast.Constant) and str(version.value):
        node = next(nodes, None)
    app = _assigned(node, "app")
    if not (isinstance(app, ast.Call) and _attr(app, alias) == "App"):
        raise _Unsure
    rest = list(nodes)
    end = len(lines)
    # marimo's `is_equal_ast` compares only the first field of each node: this is its run guard.
    test = rest[-1].test if rest and isinstance(rest[-1], ast.If) else None
    if isinstance(test, ast.Compare) and getattr(test.left, "id", None) == "__name__":
        end = _first_line(rest.pop()) - 1
    cells = [_cell(node, lines, k == 0) for k, node in enumerate(rest)]
    return QuickRead(cells, lines, [*(_first_line(node) - 1 for node in rest), end])


def _str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _assigned(node: ast.stmt | None, name: str) -> ast.expr | None:
    """The value of `name = value`."""
    if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]:
        return node.value
    return None


def _attr(node: ast.expr | None, owner: str = "app") -> str | None:
    """`x` for `owner.x` or `owner.x(...)`."""
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return target.attr if target.value.id == owner else None
    return None


def _cell(node: ast.stmt, lines: list[str], first: bool) -> PreviewCell:
    if first and isinstance(node, ast.With):  # the setup cell comes first or not at all
        return _setup_cell(node, lines)
    if isinstance(node, ast.Expr) and _attr(node.value) == "_unparsable_cell":
        return _unparsable_cell(node)
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        raise _Unsure
    decorator = node.decorator_list[0] if node.decorator_list else None
    kind = _KINDS.get(_attr(decorator) or "")
    # marimo slices from the decorator's column minus one: it must start its line.
    if decorator is None or kind is None or decorator.col_offset != 1:
        raise _Unsure
    after = decorator.end_lineno or 0
    if kind is CellKind.CELL and not isinstance(node, ast.ClassDef):
        if len(node.decorator_list) > 1 or node.lineno != after + 1:
            raise _Unsure
        return _function_cell(node, lines)
    if kind is CellKind.CELL or (kind is CellKind.CLASS) != isinstance(node, ast.ClassDef):
        raise _Unsure
    inside = [child for child in ast.iter_child_nodes(node) if child is not decorator]
    return PreviewCell(kind, _block_code(node, after, inside, lines), node.name, after)


def _setup_cell(node: ast.With, lines: list[str]) -> PreviewCell:
    expr, header = node.items[0].context_expr, lines[node.lineno - 1]
    header_end = header[_chars(header, expr.end_col_offset or 0) :]
    # The code starts on the line after `with`: a header over more lines would be part of it.
    if len(node.items) > 1 or node.items[0].optional_vars or _attr(expr) != "setup":
        raise _Unsure
    if expr.end_lineno != node.lineno or not _HEADER_END.fullmatch(header_end):
        raise _Unsure
    code = _block_code(node, node.lineno, node.body, lines).removesuffix("\npass")
    return PreviewCell(CellKind.SETUP, code, "setup", node.lineno)


def _unparsable_cell(node: ast.Expr) -> PreviewCell:
    call = node.value
    source = _str(call.args[0]) if isinstance(call, ast.Call) and len(call.args) == 1 else None
    name: str | None = UNNAMED
    for keyword in (k for k in getattr(call, "keywords", ()) if k.arg == "name"):
        name = _str(keyword.value)
    if source is None or "\r" in source or name is None:
        raise _Unsure
    code = _dedent(source.split("\n"), None) or ""
    return PreviewCell(CellKind.UNPARSABLE, code.strip(), name or UNNAMED, node.lineno)


def _function_cell(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> PreviewCell:
    """An `@app.cell` function: marimo's `Extractor.to_cell_def`."""
    body, last, start = node.body, node.body[-1], node.lineno - 1
    # marimo tokenizes the signature for the line after its colon, where the code starts.
    ends = (j for j in range(start, min(body[0].lineno, start + 50)) if ":" in lines[j])
    first = next((j + 1 for j in ends if _SIGNATURE.fullmatch("\n".join(lines[start : j + 1]))), 0)
    if not first:
        raise _Unsure
    if not isinstance(last, ast.Return):
        # Rare, as marimo writes a return: `to_cell_def` verbatim, with its scan for trailing
        # comments that glues the first one onto the last line.
        end = node.end_lineno or 0
        code = "\n".join([*lines[first : end - 1], lines[end - 1][: node.end_col_offset or 0]])
        indent = code[: len(code) - len(code.lstrip())]
        new_end = end - 1
        for new_end in range(end, len(lines)):
            if lines[new_end].strip() and not lines[new_end].startswith(indent):
                new_end -= 1
                break
        if new_end > end:
            code += "\n".join(lines[end : new_end + 1]).rstrip()
        code = _dedent(code.split("\n"), None) or ""
    elif len(body) == 1 and first == last.lineno - 1:
        return PreviewCell(CellKind.CELL, "", node.name, first + 1)  # numbered by its `return`
    elif len(body) == 1:
        code = _dedented(lines[first : last.lineno - 1], first, [], lines)
    else:
        end = max(body[-2].end_lineno or 0, last.lineno - 1)
        if last.end_lineno == end:  # `x = 1; return`: marimo keeps part of the line
            raise _Unsure
        code = _dedented(lines[first:end], first, body[:-1], lines)
    return PreviewCell(CellKind.CELL, code, node.name, first)


_Block: TypeAlias = ast.With | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _block_code(node: _Block, after: int, inside: Sequence[ast.AST], lines: list[str]) -> str:
    """marimo's `extract_from_code` for setup, functions and classes: the lines after line
    `after` to the node's end, then the comments indented like its body."""
    end = node.end_lineno or 0
    segment = [*lines[after : end - 1], lines[end - 1][: node.end_col_offset or 0]]  # bytes, too
    body_line = lines[node.body[0].lineno - 1]
    indent = body_line[: len(body_line) - len(body_line.lstrip())]
    if indent:
        k = end
        while k < len(lines) and (not lines[k].strip() or lines[k].startswith(indent)):
            k += 1
        trailing = "\n".join(lines[end:k]).rstrip()
        if trailing:
            segment.extend(trailing.split("\n"))
    return _dedented(segment, after, inside, lines)


def _dedented(segment: list[str], first: int, inside: Sequence[ast.AST], lines: list[str]) -> str:
    """marimo's `fixed_dedent` of `segment`, which starts at `lines[first]` and holds `inside`."""
    protected = _string_lines("\n".join(segment), first, inside, lines)
    code = None if protected is None else _dedent(segment, protected)
    return code if code is not None else _dedent(segment, None) or ""


def _string_lines(
    text: str, first: int, inside: Sequence[ast.AST], lines: list[str]
) -> set[int] | None:
    """Indexes of the code's lines inside a multi-line string token (but its first), which
    marimo finds by tokenizing the whole code: here from the syntax tree, mostly."""
    protected: set[int] = set()
    stack = list(inside) if _MULTILINE_HINT.search(text) else []
    while stack:
        node = stack.pop()
        if type(node).__name__ == "TemplateStr":  # Python 3.14's t-strings: marimo predates them
            return None
        if not isinstance(node, ast.Constant | ast.JoinedStr):  # an f-string's parts are inside
            stack.extend(ast.iter_child_nodes(node))
            continue
        start, end = node.lineno, node.end_lineno or 0
        if start == end:  # only strings span lines
            continue
        head = lines[start - 1][_chars(lines[start - 1], node.col_offset) :]
        tail = lines[end - 1][: _chars(lines[end - 1], node.end_col_offset or 0)]
        opening = _TRIPLE_OPEN.match(head)
        quote = opening.group(1) if opening else "-"
        # One triple-quoted token, unless an implicit concatenation (or, from Python 3.12, an
        # f-string, which is many tokens): those are tokenized on their own.
        marks: set[int] | None = set(range(1, end - start + 1))
        if not (
            opening
            and tail.endswith(quote)
            and quote not in head[opening.end() :] + "\n" + tail[:-3]
            and not any(quote in lines[k] for k in range(start, end - 1))
            and (sys.version_info < (3, 12) or not isinstance(node, ast.JoinedStr))
        ):
            marks = _protected_lines("(" + "\n".join([head, *lines[start : end - 1], tail]) + ")")
        if marks is None:
            return None
        protected.update(start - 1 - first + k for k in marks)
    return protected


def _chars(line: str, col: int) -> int:
    """The string index of the UTF-8 byte offset `col` that `ast` reports."""
    return col if line.isascii() else len(line.encode("utf-8")[:col].decode("utf-8", "ignore"))


def _protected_lines(text: str) -> set[int] | None:
    """marimo's `_get_protected_lines`: the lines after the first of each multi-line string
    token; None where tokenizing fails."""
    protected: set[int] = set()
    fstring_start: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and "\n" in token.string:
                protected.update(range(token.start[0], token.end[0]))
            elif _FSTRING_START is not None and token.type == _FSTRING_START:
                fstring_start = token.start[0]
            elif token.type == _FSTRING_END and fstring_start is not None:
                protected.update(range(fstring_start, token.end[0]))
                fstring_start = None
    except (tokenize.TokenError, SyntaxError):
        return None
    return protected


def _dedent(lines: list[str], protected: set[int] | None) -> str | None:
    """marimo's `fixed_dedent` of the code `lines`, given which lie inside multi-line strings;
    with None, found by tokenizing as marimo does. Given them, the answer is None where
    re-indenting a line of code could change what marimo's second tokenization sees."""
    exact, text = protected is None, "\n".join(lines)
    if protected is None:
        protected = _protected_lines(text) or set()
    if len(lines) > 1 and lines[-1] == "":
        lines = lines[:-1]
    first = next((ln for i, ln in enumerate(lines) if i not in protected and ln.strip()), None)
    if first is None:
        return textwrap.dedent(text)
    indent = first[: len(first) - len(first.lstrip())]
    refilled = []
    for i, ln in enumerate(lines):
        if i in protected or ln.startswith(indent):
            refilled.append(ln)
        elif exact or not ln.strip() or ln.lstrip().startswith("#"):
            refilled.append(indent + ln)
        else:
            return None
    if not exact and not protected:  # every line starts with `indent`, all spaces and tabs
        return "\n".join(ln[len(indent) :] for ln in refilled)
    if exact:  # marimo's `smart_dedent` tokenizes again
        again = _protected_lines(text := "\n".join(refilled))
        if again is None:
            return textwrap.dedent(text)
        protected = again
    widths = {i: len(ln) - len(ln.lstrip()) for i, ln in enumerate(refilled) if ln.strip()}
    shift = min((w for i, w in widths.items() if i not in protected), default=0)
    if shift == 0:
        return "\n".join(refilled)
    keep: set[int] = set()  # a run of string lines with one left of the code stays as it is
    for in_string, run in groupby(range(len(refilled)), protected.__contains__):
        run_lines = list(run)
        if in_string and min(widths.get(i, shift) for i in run_lines) < shift:
            keep.update(run_lines)
    return "\n".join(
        ln if i in keep else ln[len(ln[:shift]) - len(ln[:shift].lstrip(" \t")) :]
        for i, ln in enumerate(refilled)
    )
