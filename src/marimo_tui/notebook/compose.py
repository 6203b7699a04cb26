"""The bytes a store write puts on disk: the old file with only the changed cells rewritten.

`compose(old, new)` takes the model as read (with the file's text) and the model after an edit.
The cells the edit changed (code, name, options) are serialized by marimo's codegen and spliced
into the old text (`splice.py`); every other byte stays. Only where marimo's file structure
itself must change, or the old text cannot be mapped to its cells, is the whole file rendered
by marimo, and the returned note says why (the journal keeps it).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook import marimo_render
from marimo_tui.notebook.cell_text import faithful, merged
from marimo_tui.notebook.model import UNNAMED, Cell, CellKind, Notebook
from marimo_tui.notebook.pyversion import is_requirement
from marimo_tui.notebook.splice import FileMap, Span, Spliced, splice


@dataclass(frozen=True, slots=True)
class Composed:
    data: bytes
    note: str = ""  # "full render: <why>" when the whole file was rewritten


def compose(old: Notebook, new: Notebook) -> Composed:
    """The file for `new`; updates `new` (source, file map, cells' kinds, names, lines)."""
    rendering = marimo_render.render_cells(new.header, new.app_options, new.cells)
    before = {c.id: c for c in old.cells}
    fmap, why = _old_map(old, new)
    if fmap is None:
        return _full(new, rendering, why)
    where = {c.id: fmap.spans[i] for i, c in enumerate(old.cells)}
    changed: dict[int, str] = {}
    for i, cell in enumerate(new.cells):
        prior = before.get(cell.id)
        if prior is None or _differs(prior, cell):
            changed[i] = _cell_text(cell, prior, rendering.blocks[i], fmap, where)
    app_line = rendering.app_line if new.app_options != old.app_options else None
    if app_line is not None and fmap.app is None:
        return _full(new, rendering, "the app's options changed and its line was not found")
    spliced = splice(
        fmap,
        [c.id for c in old.cells],
        [c.id for c in new.cells],
        {new.cells[i].id: block for i, block in changed.items()},
        app_line=app_line,
    )
    _follow_splice(new, old, fmap, spliced, changed)
    bom = codecs.BOM_UTF8 if new.fmt.bom else b""
    return Composed(bom + spliced.text.encode("utf-8"))


def _cell_text(
    cell: Cell, prior: Cell | None, block: str, fmap: FileMap, where: dict[str, Span]
) -> str:
    if not block:
        return block
    block = faithful(cell, block)
    scanned = marimo_render.scan_rendered(block)
    if prior is not None and len(scanned) == 1 and scanned[0][0] is CellKind.CELL:
        start, end = where[cell.id]
        was = marimo_render.scan_rendered("".join(fmap.lines[start:end]))
        if len(was) != 1 or was[0][0] is not CellKind.CELL:
            return block  # (a top-level function demoted, an unparsable cell that parses now)
        options = dict(prior.options) != dict(cell.options)
        kept = merged(fmap.lines[start:end], prior, cell, block, options=options)
        if kept is not None:
            return kept
    return block


def _differs(old: Cell, new: Cell) -> bool:
    return (old.code, old.name, dict(old.options)) != (new.code, new.name, dict(new.options))


def _old_map(old: Notebook, new: Notebook) -> tuple[FileMap | None, str]:
    if old.source is None:
        return None, "the file's text was not read"
    if new.header != old.header:
        return None, "the header changed"
    fmap = old.filemap or adapter.map_file(old.source)
    if fmap is None:
        return None, "the file's cells could not be located"
    if len(fmap.spans) != len(old.cells):
        return None, f"{len(fmap.spans)} cells located in the file, marimo reads {len(old.cells)}"
    old.filemap = fmap  # kept: the next edit of this version needs it again
    return fmap, ""


def _full(new: Notebook, rendering: marimo_render.Rendering, why: str) -> Composed:
    text = rendering.text
    new.source = text.replace("\n", "\r\n") if new.fmt.crlf else text
    new.filemap = None
    _sync_with_text(new, text)
    return Composed(new.fmt.encode(text), f"full render: {why}")


def _follow_splice(
    new: Notebook, old: Notebook, fmap: FileMap, spliced: Spliced, changed: dict[int, str]
) -> None:
    """Line numbers (and, for rewritten cells, kinds and names) from where cells now are."""
    old_start = {c.id: fmap.spans[i][0] for i, c in enumerate(old.cells)}
    cells: list[Cell] = []
    spans = iter(spliced.map.spans)
    for i, cell in enumerate(new.cells):
        if changed.get(i) == "":  # marimo leaves it out of the file (an empty setup)
            cells.append(cell)
            continue
        start, _ = next(spans)
        if i in changed:
            cells.append(_from_block(cell, changed[i], start))
        elif start == old_start[cell.id]:
            cells.append(cell)
        else:
            cells.append(replace(cell, lineno=cell.lineno + start - old_start[cell.id]))
    new.cells[:] = cells
    new.source = spliced.text
    new.filemap = spliced.map


def _from_block(cell: Cell, block: str, start: int) -> Cell:
    scanned = marimo_render.scan_rendered(block)
    if len(scanned) != 1:
        return cell
    kind, name, lineno = scanned[0]
    if kind is CellKind.UNPARSABLE:
        name = _unparsable_name(block)
    if is_requirement(cell.error):  # written as it is, and read back as it was
        kind = cell.kind
    elif cell.error:  # marimo reads such a cell back as unparsable, whatever its layout
        kind = CellKind.UNPARSABLE if cell.kind is not CellKind.SETUP else cell.kind
    return replace(cell, kind=kind, name=name or cell.name, lineno=start + lineno)


def _unparsable_name(block: str) -> str:
    """The name an `app._unparsable_cell(...)` block gives: its keyword line, else none."""
    lines = block.rstrip().split("\n")
    found = re.search(r"\bname=(['\"])(\w+)\1", lines[-2]) if len(lines) > 2 else None
    return found.group(2) if found else UNNAMED


def _sync_with_text(nb: Notebook, text: str) -> None:
    """Take kinds, names and line numbers from the text marimo's codegen just wrote."""
    layout = marimo_render.scan_rendered(text)
    if len(layout) != len(nb.cells):  # an unexpected layout: ask marimo's parser instead
        parsed = adapter.parse_text(text, nb.path).cells
        layout = [(p.kind, p.name, p.lineno) for p in parsed]
    nb.cells[:] = [
        replace(c, kind=kind, name=name or c.name, lineno=lineno)
        for c, (kind, name, lineno) in zip(nb.cells, layout, strict=True)
    ]
