"""Stable cell ids across reloads.

marimo does not store cell ids in the file, yet a selection in the cell view or a cell the agent
is working on must survive an external edit. Named cells keep their id by name; the rest are
matched by their place in the sequence and by code similarity; only cells with no counterpart
get a fresh id.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from itertools import count
from typing import Protocol

_SIMILAR = 0.5  # below this, an edited cell is treated as a different cell


class _Old(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def code(self) -> str: ...


class _New(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def code(self) -> str: ...


class IdAllocator:
    """Short ids (`c1`, `c2`, …) that never repeat within one notebook's lifetime."""

    def __init__(self, start: int = 1) -> None:
        self._counter = count(start)

    @classmethod
    def after(cls, ids: Sequence[str]) -> IdAllocator:
        highest = max((int(i[1:]) for i in ids if i[:1] == "c" and i[1:].isdigit()), default=0)
        return cls(highest + 1)

    def __call__(self) -> str:
        return f"c{next(self._counter)}"


def match_ids(old: Sequence[_Old], new: Sequence[_New], allocate: IdAllocator) -> list[str]:
    """An id for each new cell: the matching old cell's id, or a fresh one."""
    ids: list[str | None] = [None] * len(new)
    used: set[int] = set()

    by_name: dict[str, list[int]] = {}
    for i, prior in enumerate(old):
        if prior.name != "_":
            by_name.setdefault(prior.name, []).append(i)
    for j, cell in enumerate(new):
        candidates = by_name.get(cell.name) if cell.name != "_" else None
        if candidates and len(candidates) == 1 and candidates[0] not in used:
            used.add(candidates[0])
            ids[j] = old[candidates[0]].id

    old_left = [i for i in range(len(old)) if i not in used]
    new_left = [j for j in range(len(new)) if ids[j] is None]
    matcher = difflib.SequenceMatcher(
        None, [old[i].code for i in old_left], [new[j].code for j in new_left], autojunk=False
    )
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for a, b in zip(range(a0, a1), range(b0, b1), strict=True):
                used.add(old_left[a])
                ids[new_left[b]] = old[old_left[a]].id
        elif tag == "replace":
            _pair_similar(old, new, old_left[a0:a1], new_left[b0:b1], ids, used)

    # A moved cell shows up as a delete plus an insert: match it by identical code.
    by_code: dict[str, list[int]] = {}
    for i in range(len(old)):
        if i not in used:
            by_code.setdefault(old[i].code, []).append(i)
    for j in range(len(new)):
        if ids[j] is None and (pool := by_code.get(new[j].code)):
            i = pool.pop(0)
            used.add(i)
            ids[j] = old[i].id

    return [i if i is not None else allocate() for i in ids]


def _pair_similar(
    old: Sequence[_Old],
    new: Sequence[_New],
    old_block: list[int],
    new_block: list[int],
    ids: list[str | None],
    used: set[int],
) -> None:
    """Within a changed stretch, pair each new cell with the most similar unused old cell."""
    free = list(old_block)
    for j in new_block:
        best, best_score = None, _SIMILAR
        for i in free:
            m = difflib.SequenceMatcher(None, old[i].code, new[j].code, autojunk=False)
            if m.real_quick_ratio() < best_score or m.quick_ratio() < best_score:
                continue
            score = m.ratio()
            if score >= best_score:
                best, best_score = i, score
        if best is None and len(old_block) == len(new_block):
            # Same number of cells in the same place: an edit in place, however large.
            k = new_block.index(j)
            if old_block[k] in free:
                best = old_block[k]
        if best is not None:
            free.remove(best)
            used.add(best)
            ids[j] = old[best].id
