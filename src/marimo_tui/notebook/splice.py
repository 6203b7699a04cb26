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

import difflib
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

    The lines between cells (blank lines, comments) are not any cell's: they stay where they
    are. A cell that goes takes only its own lines; one that moves or arrives comes with a
    marimo blank gap. `app_line` replaces the app statement when the app's options changed.
    """
    if len(old_ids) != len(old.spans):
        raise ValueError("one span per old cell expected")
    lines, nl, spans_old = old.lines, old.newline, old.spans
    gap = [list(lines[spans_old[i - 1][1] : spans_old[i][0]]) for i in range(1, len(spans_old))]
    gaps: list[list[str]] = [[], *gap]  # gaps[i]: the lines before cell i (i > 0)
    index = {cid: i for i, cid in enumerate(old_ids)}
    stable = _in_order(old_ids, [c for c in new_ids if c in index and blocks.get(c) != ""])
    head, tail = _ends(old, nl)
    if app_line is not None and old.app is not None and old.app[1] <= len(head):
        start, end = old.app
        head[start:end] = _block_lines(app_line, nl)

    out = head
    spans: list[Span] = []
    done = -1  # the last old cell written in its place
    for cid in new_ids:
        if cid in blocks:
            chunk = _block_lines(blocks[cid], nl) if blocks[cid] else []
        else:
            start, end = spans_old[index[cid]]
            chunk = list(lines[start:end])
        if not chunk:
            continue
        between: list[str] = []
        if cid in stable:
            between = _kept_gaps(gaps, done + 1, index[cid]) + gaps[index[cid]]
            done = index[cid]
        if not spans:  # the head already ends in blank lines (unless there were no cells)
            between = _trim_leading_blanks(between, 0) if spans_old else [nl] * BLANK_GAP
        elif not between:
            between = [nl] * BLANK_GAP
        out += between
        if out and not out[-1].endswith("\n"):
            out[-1] += nl
        spans.append((len(out), len(out) + len(chunk)))
        out += chunk
    out += _kept_gaps(gaps, done + 1, len(gaps))  # comments after the cells that went
    if not spans and spans_old:  # no cells left: the head's blank lines suffice
        tail = _trim_leading_blanks(tail, 0)
    if tail and out and not out[-1].endswith("\n"):
        out[-1] += nl
    app = old.app
    if app_line is not None and app is not None:
        app = (app[0], app[0] + len(_block_lines(app_line, nl)))
    out += tail
    return Spliced("".join(out), FileMap(tuple(out), tuple(spans), app, nl))


def _ends(old: FileMap, nl: str) -> tuple[list[str], list[str]]:
    """The lines before the first cell and after the last; with no cells, the app statement
    is where they go."""
    lines = old.lines
    if old.spans:
        return list(lines[: old.spans[0][0]]), list(lines[old.spans[-1][1] :])
    at = old.app[1] if old.app else len(lines)
    head = list(lines[:at])
    if head and not head[-1].endswith("\n"):
        head[-1] += nl
    return head, _trim_leading_blanks(list(lines[at:]), BLANK_GAP)


def _kept_gaps(gaps: list[list[str]], lo: int, hi: int) -> list[str]:
    """The comment lines of gaps[lo:hi]: between cells that went or moved, they stay."""
    kept: list[str] = []
    for gap in gaps[lo:hi]:
        if any(line.strip() for line in gap):
            kept += _trim_trailing_blanks(gap)
    return kept


def _in_order(old_ids: Sequence[str], kept: Sequence[str]) -> set[str]:
    """The most cells that keep their order (the rest moved)."""
    present = set(kept)
    if [c for c in old_ids if c in present] == list(kept):  # nothing moved (most edits)
        return present
    matcher = difflib.SequenceMatcher(a=list(old_ids), b=list(kept), autojunk=False)
    return {
        c for block in matcher.get_matching_blocks() for c in kept[block.b : block.b + block.size]
    }


def _block_lines(block: str, nl: str) -> list[str]:
    return [line + nl for line in block.rstrip("\n").split("\n")]


def _trim_trailing_blanks(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _trim_leading_blanks(lines: list[str], keep: int) -> list[str]:
    """`lines` with its leading blank lines cut to `keep`."""
    blank = 0
    while blank < len(lines) and not lines[blank].strip():
        blank += 1
    return lines[:keep] + lines[blank:] if blank > keep else lines
