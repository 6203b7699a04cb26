"""What kind of change a write made outside the cell it was asked to change (for bench/fidelity.py).

Each untouched cell whose lines changed is put in one category: by what marimo reads from it
(markdown text, code, kind, name, options) when that changed, else by which of its lines the
write re-laid out (decorator, signature, return, markdown call layout, the rest of the body).
The header (`__generated_with` line apart), the run guard, line endings and the lines between
cells are categories of their own.
"""

from __future__ import annotations

from tests.fidelity_cells import PCell, markdown_value, normal_options
from tests.fidelity_layout import Layout, Touch, header_lines

VERSION = "__generated_with changed"


def categories(
    old: Layout, new: Layout, touch: Touch, old_cells: list[PCell], new_cells: list[PCell]
) -> set[str]:
    found: set[str] = set()
    if old.bom != new.bom:
        found.add("BOM lost or added")
    if any(x.endswith("\r\n") for x in old.lines) != any(x.endswith("\r\n") for x in new.lines):
        found.add("line endings (CRLF/LF)")
    version = [x for x in header_lines(old) if x.startswith("__generated_with")]
    if version != [x for x in header_lines(new) if x.startswith("__generated_with")]:
        found.add(VERSION)
    other_old = [x for x in header_lines(old) if not x.startswith("__generated_with")]
    if other_old != [x for x in header_lines(new) if not x.startswith("__generated_with")]:
        found.add("header (imports, App(...), comments)")
    guard_old = old.lines[old.guard :] if old.guard is not None else []
    if guard_old != (new.lines[new.guard :] if new.guard is not None else []):
        found.add("run guard")
    olds = [i for i in range(len(old.blocks)) if i != touch.old]
    news = [j for j in range(len(new.blocks)) if j != touch.new]
    if len(olds) != len(news) or len(old_cells) != len(old.blocks):
        found.add("cell count")
        return found
    readable = len(new_cells) == len(new.blocks)
    for i, j in zip(olds, news, strict=True):
        if old.block_text(i) != new.block_text(j):
            now = new_cells[j] if readable else None
            found.add(_cell_kind(old.block_text(i), new.block_text(j), old_cells[i], now))
    if (touch.in_place and _gaps(old) != _gaps(new)) or not found:
        found.add("lines between cells (blank lines, comments)")
    return found


def _gaps(lay: Layout) -> list[list[str]]:
    ends = [e for _, e in lay.blocks]
    starts = [s for s, _ in lay.blocks[1:]] + [
        lay.guard if lay.guard is not None else len(lay.lines)
    ]
    return [lay.lines[e:s] for e, s in zip(ends, starts, strict=True)]


def _cell_kind(a: list[str], b: list[str], was: PCell, now: PCell | None) -> str:
    unparsable = "app._unparsable_cell"
    if b[0].startswith(unparsable) and not a[0].startswith(unparsable):
        return "untouched cell rewritten as app._unparsable_cell (newer-Python syntax)"
    if now is not None:
        if was.kind != now.kind:
            return f"untouched cell became {now.kind} (was {was.kind})"
        if was.code != now.code:
            shown_was, shown_now = markdown_value(was.code), markdown_value(now.code)
            if shown_was is not None and shown_now is not None:
                if shown_was != shown_now:
                    return "untouched mo.md text changed (hard breaks, quotes, escapes)"
                return "untouched mo.md call re-laid out (same text)"
            if _fstring_md(was.code):
                return "untouched mo.md(f-string) re-laid out"
            return "untouched cell's code changed"
        if was.name != now.name:
            return f"untouched cell renamed {was.name!r} -> {now.name!r}"
        if normal_options(was.options) != normal_options(now.options):
            return "untouched cell's options changed"
    return "untouched cell re-laid out: " + _which_lines(a, b)


def _fstring_md(code: str) -> bool:
    return "mo.md(" in code and ('f"' in code or "f'" in code)


def _which_lines(a: list[str], b: list[str]) -> str:
    """Which part of an untouched block changed when marimo reads the same cell from it."""
    head_a, head_b = _head(a), _head(b)
    if [x for x in head_a if x.startswith("@")] != [x for x in head_b if x.startswith("@")]:
        return "decorator"
    if head_a != head_b:
        return "signature (def line)"
    tail_a = [x for x in a if x.strip().startswith("return")]
    tail_b = [x for x in b if x.strip().startswith("return")]
    if tail_a[-1:] != tail_b[-1:]:
        return "return line"
    if [x for x in a if x.strip()] == [x for x in b if x.strip()]:
        return "blank lines inside the cell"
    return "body"


def _head(block: list[str]) -> list[str]:
    """Decorator and signature lines: up to the line that ends the def header."""
    for k, line in enumerate(block):
        if line.rstrip().endswith(":") and not line.startswith("@"):
            return block[: k + 1]
    return block[:1]
