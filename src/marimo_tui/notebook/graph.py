"""Dependency index over cells' definitions and references.

marimo's own `DirectedGraph.register_cell` is superlinear (about 1.5 s for 1000 chained cells),
so we keep a name -> cells index that is built in linear time and updated one cell at a time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class _CellLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def defs(self) -> frozenset[str]: ...
    @property
    def refs(self) -> frozenset[str]: ...


@dataclass(slots=True)
class DependencyIndex:
    defs: dict[str, frozenset[str]] = field(default_factory=dict)
    refs: dict[str, frozenset[str]] = field(default_factory=dict)
    definers: dict[str, set[str]] = field(default_factory=dict)
    readers: dict[str, set[str]] = field(default_factory=dict)
    _cycles: list[frozenset[str]] | None = None

    @classmethod
    def build(cls, cells: Iterable[_CellLike]) -> DependencyIndex:
        index = cls()
        for cell in cells:
            index.add(cell)
        return index

    def copy(self) -> DependencyIndex:
        return DependencyIndex(
            defs=dict(self.defs),
            refs=dict(self.refs),
            definers={k: set(v) for k, v in self.definers.items()},
            readers={k: set(v) for k, v in self.readers.items()},
            _cycles=self._cycles,
        )

    def add(self, cell: _CellLike) -> None:
        self.defs[cell.id] = cell.defs
        self.refs[cell.id] = cell.refs
        for name in cell.defs:
            self.definers.setdefault(name, set()).add(cell.id)
        for name in cell.refs:
            self.readers.setdefault(name, set()).add(cell.id)
        self._cycles = None

    def remove(self, cell: _CellLike) -> None:
        for name in self.defs.pop(cell.id, frozenset()):
            _discard(self.definers, name, cell.id)
        for name in self.refs.pop(cell.id, frozenset()):
            _discard(self.readers, name, cell.id)
        self._cycles = None

    def update(self, old: _CellLike, new: _CellLike) -> None:
        if old.defs == new.defs and old.refs == new.refs and old.id == new.id:
            return
        self.remove(old)
        self.add(new)

    def parents(self, cell_id: str) -> set[str]:
        out: set[str] = set()
        for name in self.refs.get(cell_id, ()):
            out |= self.definers.get(name, set())
        out.discard(cell_id)
        return out

    def children(self, cell_id: str) -> set[str]:
        out: set[str] = set()
        for name in self.defs.get(cell_id, ()):
            out |= self.readers.get(name, set())
        out.discard(cell_id)
        return out

    def descendants(self, cell_id: str) -> set[str]:
        return self._reach(cell_id, self.children)

    def ancestors(self, cell_id: str) -> set[str]:
        return self._reach(cell_id, self.parents)

    def stale(self, changed: Iterable[str]) -> set[str]:
        """Cells that must rerun when `changed` cells change: themselves and all descendants."""
        out: set[str] = set()
        for cell_id in changed:
            if cell_id not in out:
                out.add(cell_id)
                out |= self.descendants(cell_id)
        return out

    def multiple_definitions(self) -> dict[str, set[str]]:
        return {name: set(ids) for name, ids in self.definers.items() if len(ids) > 1}

    def unresolved(self, cell_id: str) -> set[str]:
        """Names a cell reads that no cell defines (builtins, or a typo)."""
        return {n for n in self.refs.get(cell_id, ()) if n not in self.definers}

    def cycles(self) -> list[frozenset[str]]:
        """Strongly connected groups of two or more cells (marimo refuses to run them)."""
        if self._cycles is None:
            self._cycles = _strongly_connected(list(self.defs), self.children)
        return self._cycles

    @staticmethod
    def _reach(start: str, step: _Step) -> set[str]:
        seen: set[str] = set()
        queue = deque([start])
        while queue:
            for nxt in step(queue.popleft()):
                if nxt not in seen and nxt != start:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen


class _Step(Protocol):
    def __call__(self, cell_id: str, /) -> set[str]: ...


def _discard(table: dict[str, set[str]], name: str, cell_id: str) -> None:
    ids = table.get(name)
    if ids is not None:
        ids.discard(cell_id)
        if not ids:
            del table[name]


def _strongly_connected(nodes: list[str], successors: _Step) -> list[frozenset[str]]:
    """Tarjan's algorithm, iterative so that a 10 000-cell chain cannot hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[frozenset[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = []
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, sorted(successors(root))))
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(successors(nxt))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(frozenset(group))
    return groups
