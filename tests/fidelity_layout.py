"""Where each cell sits in a notebook file, and whether a write changed anything outside it.

Our own oracle, independent of the store. A file is split into lines on "\\n" (a line keeps
its "\\r\\n" or "\\n", so a CRLF lost or gained is a changed line). A cell's *block* runs from
its first decorator (or `with app.setup`, or `app._unparsable_cell(`) to the last line of that
statement as Python's `ast` reports it, plus the indented comment lines right after it (a
comment after `return` is inside the function). Column-0 comments and blank lines between
cells are outside every block, as are the header (the lines before the first block up to its
last line of code: docstring, PEP 723 script block, imports, `__generated_with`, `app = …`) and
the run guard (`if __name__ …` to the end). When the whole file does not parse here (a cell
valid only in a newer Python), marimo's tokenizer-based scanner finds where blocks start, and
each block's end comes from parsing that cell alone.

A write is *confined* when the old text with the touched block cut out equals the new text with
the touched block cut out, where:
- an in-place change (replace, edit, rename, options) cuts exactly the block, at the same place;
- a removal (delete) cuts the block plus blank lines right before or after it (one gap), and
  may take the comment lines attached to its decorator (no blank line between) with it;
- an insertion (add) cuts the new block plus blank lines around it from the new text;
- a move cuts the block with blank lines (and attached comments) around it from both texts,
  and the block's text must be the same at both places.
Every line outside those cuts must be byte for byte the same, in the same order.
"""

from __future__ import annotations

import ast
import codecs
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

Span = tuple[int, int]  # 0-based [start, end) line indexes


@dataclass(frozen=True, slots=True)
class Layout:
    lines: list[str]  # each with its line ending
    blocks: list[Span]
    guard: int | None  # index of the `if __name__` line
    bom: bool

    @property
    def header_end(self) -> int:
        if self.blocks:
            return self.blocks[0][0]
        return self.guard if self.guard is not None else len(self.lines)

    def block_text(self, i: int) -> list[str]:
        start, end = self.blocks[i]
        return self.lines[start:end]


def split_lines(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def decode(data: bytes) -> tuple[str, bool]:
    bom = data.startswith(codecs.BOM_UTF8)
    return data[len(codecs.BOM_UTF8) :].decode("utf-8") if bom else data.decode("utf-8"), bom


def layout(data: bytes) -> Layout:
    text, bom = decode(data)
    lines = split_lines(text)
    found = _blocks_by_ast(text)
    if found is None:
        found = _blocks_by_scanner(text, lines)
    blocks, guard = found
    return Layout(lines, blocks, guard, bom)


# -- finding blocks ----------------------------------------------------------------------------
def _is_app_attr(node: ast.expr, names: tuple[str, ...]) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "app"
        and node.attr in names
    )


def _is_cell(node: ast.stmt) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        kinds = ("cell", "function", "class_definition")
        return any(_is_app_attr(d, kinds) for d in node.decorator_list)
    if isinstance(node, ast.With | ast.AsyncWith):
        return any(_is_app_attr(item.context_expr, ("setup",)) for item in node.items)
    return isinstance(node, ast.Expr) and _is_app_attr(node.value, ("_unparsable_cell",))


def _is_guard(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _span(node: ast.stmt, offset: int = 0) -> Span:
    first = node.lineno
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    end = node.end_lineno or node.lineno
    return first - 1 + offset, end + offset


def _with_indented_comments(lines: list[str], span: Span) -> Span:
    """A block goes on over the indented comment lines after its last statement (a comment
    after `return` is inside the function), but not over the blank lines after them."""
    start, end = span
    k = end
    while k < len(lines) and (_blank(lines[k]) or lines[k][:1] in " \t"):
        k += 1
        if lines[k - 1].strip():
            end = k
    return start, end


def _blocks_by_ast(text: str) -> tuple[list[Span], int | None] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    lines = split_lines(text)
    blocks = [_with_indented_comments(lines, _span(n)) for n in tree.body if _is_cell(n)]
    guards = [node.lineno - 1 for node in tree.body if _is_guard(node)]
    return blocks, guards[-1] if guards else None


def _blocks_by_scanner(text: str, lines: list[str]) -> tuple[list[Span], int | None]:
    from marimo._ast.scanner import scan_notebook

    scan = scan_notebook(text)
    blocks = []
    for cell in scan.cells:
        start = cell.start_line - 1
        try:
            body = ast.parse(cell.source).body
            end = _span(body[0], start)[1] if body else cell.end_line
        except (SyntaxError, ValueError):
            end = _last_code_line(lines, start, cell.end_line)
        blocks.append(_with_indented_comments(lines, (start, end)))
    guard = scan.run_guard_line - 1 if scan.run_guard_line is not None else None
    return blocks, guard


def _last_code_line(lines: list[str], start: int, end: int) -> int:
    """End of a block we cannot parse: its last line that is neither blank nor a column-0
    comment (so comments between cells stay outside, as when `ast` finds the end)."""
    for i in range(min(end, len(lines)) - 1, start, -1):
        line = lines[i]
        if line.strip() and not line.startswith("#"):
            return i + 1
    return start + 1


# -- confinement -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Touch:
    """Which block an operation touched: in the old file, in the new file, or both."""

    old: int | None  # block index in the old file (None: an insertion)
    new: int | None  # block index in the new file (None: a removal)
    in_place: bool = False  # replace/edit/rename/options: same place, nothing else may move


def _blank(line: str) -> bool:
    return not line.strip()


def _cuts(lay: Layout, i: int, with_gap: bool) -> Iterator[Span]:
    """The block; with `with_gap`, also the block widened upwards over the comment lines
    attached to its decorator and the blank lines above, and downwards over blank lines."""
    start, end = lay.blocks[i]
    starts, ends = [start], [end]
    if with_gap:
        k = start
        while k > 0 and lay.lines[k - 1].startswith("#"):
            k -= 1
            starts.append(k)
        while k > 0 and _blank(lay.lines[k - 1]):
            k -= 1
            starts.append(k)
        k = end
        while k < len(lay.lines) and _blank(lay.lines[k]):
            k += 1
            ends.append(k)
    for s in starts:
        for e in ends:
            yield s, e


def _without(lines: Sequence[str], cut: Span | None, mark: bool) -> list[str]:
    if cut is None:
        return list(lines)
    return [*lines[: cut[0]], *(["\0cell\0"] if mark else []), *lines[cut[1] :]]


def changed_lines(a: Sequence[str], b: Sequence[str]) -> int:
    """How many lines a line diff of `a` and `b` changes (the larger side of each hunk)."""
    if a == b:
        return 0
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def outside_changes(old: Layout, new: Layout, touch: Touch) -> int:
    """Lines changed outside the touched cell (0 when the write is confined)."""
    gap = not touch.in_place
    old_cuts = list(_cuts(old, touch.old, gap)) if touch.old is not None else [None]
    new_cuts = list(_cuts(new, touch.new, gap)) if touch.new is not None else [None]
    moved = 0
    if touch.old is not None and touch.new is not None and not touch.in_place:
        moved = changed_lines(old.block_text(touch.old), new.block_text(touch.new))
    for oc in old_cuts:
        for nc in new_cuts:
            if _without(old.lines, oc, touch.in_place) == _without(new.lines, nc, touch.in_place):
                return moved
    # Not confined: measure with the widest and the narrowest cuts, keep the smaller.
    pairs = {(old_cuts[0], new_cuts[0]), (old_cuts[-1], new_cuts[-1])}
    mark = touch.in_place
    return moved + min(
        changed_lines(_without(old.lines, oc, mark), _without(new.lines, nc, mark))
        for oc, nc in pairs
    )


def region_problems(old: Layout, new: Layout) -> list[str]:
    """The header, the run guard and the BOM: always byte for byte the same."""
    problems = []
    if old.bom != new.bom:
        problems.append("BOM " + ("lost" if old.bom else "added"))
    old_head, new_head = header_lines(old), header_lines(new)
    if old_head != new_head:
        problems.append(f"header changed: {_first_change(old_head, new_head)}")
    old_guard = old.lines[old.guard :] if old.guard is not None else []
    new_guard = new.lines[new.guard :] if new.guard is not None else []
    if old_guard != new_guard:
        problems.append(f"run guard changed: {_first_change(old_guard, new_guard)}")
    return problems


def header_lines(lay: Layout) -> list[str]:
    """The lines before the first cell, up to the header's last line of code (comments and
    blank lines after it lie between the header and the first cell, checked as such)."""
    head = lay.lines[: lay.header_end]
    while head and (_blank(head[-1]) or head[-1].startswith("#")):
        head.pop()
    return head


def _first_change(a: Sequence[str], b: Sequence[str]) -> str:
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            return f"{''.join(a[i1:i2])!r} -> {''.join(b[j1:j2])!r}"[:200]
    return "(none)"


def unified_diff(old: Layout, new: Layout, name: str) -> str:
    return "".join(difflib.unified_diff(old.lines, new.lines, f"a/{name}", f"b/{name}", n=1))
