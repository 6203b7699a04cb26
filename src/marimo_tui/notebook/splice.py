"""Writing only what changed: cells spliced into a notebook file as it is on disk.

marimo's codegen rewrites a whole file, and on a file marimo did not just write that re-lays out
cells nobody touched (markdown quoting, hard breaks, signatures, the version line). So a write
takes marimo's text for the cells it changes and puts it where those cells are in the file's
own text; every other byte stays: other cells, the lines between cells (comments included), the
header, `__generated_with`, the app line and the run guard.

A cell that marimo's codegen would lay out differently is left alone: marimo's parser reads
its code the same either way, and the user's layout is theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Span = tuple[int, int]  # 0-based [start, end) line indices

BLANK_GAP = 2  # blank lines marimo puts between cells


def split_lines(text: str) -> list[str]:
    """Lines with their line endings; only "\\n" ends a line (so "\\r\\n" stays whole)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


@dataclass(frozen=True, slots=True)
class FileMap:
    """A notebook file's text and where its cells are in it."""

    lines: tuple[str, ...]
    spans: tuple[Span, ...]  # one per cell, in file order
    app: Span | None  # the `app = marimo.App(...)` statement
    newline: str = "\n"

    @property
    def text(self) -> str:
        return "".join(self.lines)


@dataclass(frozen=True, slots=True)
class Spliced:
    text: str
    map: FileMap


def splice(
    old: FileMap,
    old_ids: Sequence[str],
    new_ids: Sequence[str],
    blocks: Mapping[str, str],
    *,
    app_line: str | None = None,
) -> Spliced:
    """The file with cells `new_ids` in that order: each id in `blocks` written as that block
    (marimo's text for the cell, "" to leave it out), every other cell as its old lines.

    Lines between two cells that stay neighbours stay as they are; a cell that moves or
    arrives takes the lines that stood before it (comments above a cell go with it), or a
    marimo blank gap. `app_line` replaces the app statement when the app's options changed.
    """
    if len(old_ids) != len(old.spans):
        raise ValueError("one span per old cell expected")
    lines = old.lines
    nl = old.newline
    index = {cid: i for i, cid in enumerate(old_ids)}
    if old.spans:
        head = list(lines[: old.spans[0][0]])
        tail = list(lines[old.spans[-1][1] :])
    else:
        # No cells yet: they go after the app statement, before whatever follows it.
        at = old.app[1] if old.app else len(lines)
        head = list(lines[:at])
        tail = _trim_leading_blanks(list(lines[at:]), BLANK_GAP)
        if head and not head[-1].endswith("\n"):
            head[-1] += nl
    if app_line is not None and old.app is not None:
        start, end = old.app
        head[start:end] = _block_lines(app_line, nl)

    def gap_before(k: int, cid: str, prev: str | None) -> list[str]:
        i = index.get(cid)
        if prev is not None and i is not None and index.get(prev) == i - 1:
            return list(lines[old.spans[i - 1][1] : old.spans[i][0]])
        if i is not None and i > 0:
            gap = list(lines[old.spans[i - 1][1] : old.spans[i][0]])
            if k == 0:  # the head already ends in blank lines: keep only what the gap says
                gap = _trim_leading_blanks(gap, 0)
            if k == 0 or any(line.strip() for line in gap):
                return gap
        if k == 0:
            return [nl] * BLANK_GAP if not old.spans else []
        return [nl] * BLANK_GAP

    out = head
    spans: list[Span] = []
    prev: str | None = None
    k = 0
    for cid in new_ids:
        if cid in blocks:
            chunk = _block_lines(blocks[cid], nl) if blocks[cid] else []
        else:
            start, end = old.spans[index[cid]]
            chunk = list(lines[start:end])
        if not chunk:
            continue
        out += gap_before(k, cid, prev)
        if out and not out[-1].endswith("\n"):
            out[-1] += nl
        spans.append((len(out), len(out) + len(chunk)))
        out += chunk
        prev, k = cid, k + 1
    if not spans and old.spans:  # the last cell went: the head's blank lines suffice
        tail = _trim_leading_blanks(tail, 0)
    if tail and out and not out[-1].endswith("\n"):
        out[-1] += nl
    app = old.app
    if app_line is not None and app is not None:
        app = (app[0], app[0] + len(_block_lines(app_line, nl)))
    out += tail
    new_map = FileMap(tuple(out), tuple(spans), app, nl)
    return Spliced("".join(out), new_map)


def _block_lines(block: str, nl: str) -> list[str]:
    return [line + nl for line in block.rstrip("\n").split("\n")]


def _trim_leading_blanks(lines: list[str], keep: int) -> list[str]:
    """`lines` with its leading blank lines cut to `keep`."""
    blank = 0
    while blank < len(lines) and not lines[blank].strip():
        blank += 1
    return lines[:keep] + lines[blank:] if blank > keep else lines
