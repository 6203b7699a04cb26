"""The GraphQL documents in `documents/`, each with the fragments it uses and nothing more
(a GraphQL server rejects a document with unused fragments)."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

_FRAGMENT = re.compile(r"^fragment\s+(\w+)\s+on\s+\w+\s*\{", re.M)
_SPREAD = re.compile(r"\.\.\.\s*(?!on\b)([A-Za-z_]\w*)")
_VARIABLE = re.compile(r"\$([A-Za-z_]\w*)")
NAMES = (
    "workspace",
    "launch",
    "terminate",
    "poll",
    "logs",
    "reexecute",
    "backfill",
    "launched",
    "partitions",
    "config_schema",
    "reload",
    "daemon",
)


def _read(name: str) -> str:
    return (files(__package__) / "documents" / f"{name}.graphql").read_text(encoding="utf-8")


@cache
def _fragments() -> dict[str, str]:
    text = _read("fragments")
    starts = [(m.group(1), m.start()) for m in _FRAGMENT.finditer(text)]
    bounds = [start for _, start in starts[1:]] + [len(text)]
    return {
        name: text[start:end].strip() for (name, start), end in zip(starts, bounds, strict=True)
    }


@cache
def document(name: str) -> str:
    """The text of `documents/NAME.graphql` with the fragments it spreads, transitively."""
    return _with_fragments(_read(name), name)


@cache
def pruned(name: str, skip: frozenset[str]) -> tuple[str, frozenset[str]]:
    """`document(name)` without the root fields named (by alias) in `skip`, and the variables
    it still uses. The webserver parses and validates every request's document anew (no cache:
    ~14 ms for the whole poll document on a busy two-core box, a third of a poll), and it
    validates a field left out by `@include(if: false)` all the same: a poll sends only the
    fields it asks for."""
    from graphql import OperationDefinitionNode, SelectionSetNode, parse, print_ast
    from graphql.language import FieldNode

    operation = next(
        d for d in parse(_read(name)).definitions if isinstance(d, OperationDefinitionNode)
    )
    kept = tuple(
        s
        for s in operation.selection_set.selections
        if not (isinstance(s, FieldNode) and (s.alias or s.name).value in skip)
    )
    selection = SelectionSetNode(selections=kept)
    used = frozenset(_VARIABLE.findall(print_ast(selection)))
    trimmed = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        directives=operation.directives,
        variable_definitions=tuple(
            v for v in operation.variable_definitions if v.variable.name.value in used
        ),
        selection_set=selection,
    )
    return _with_fragments(print_ast(trimmed), name), used


def _with_fragments(body: str, name: str) -> str:
    known = _fragments()
    needed: list[str] = []
    pending = _SPREAD.findall(body)
    while pending:
        fragment = pending.pop()
        if fragment in needed:
            continue
        if fragment not in known:
            raise KeyError(f"{name}.graphql uses an unknown fragment {fragment}")
        needed.append(fragment)
        pending.extend(_SPREAD.findall(known[fragment]))
    return "\n\n".join([body.strip(), *(known[f] for f in sorted(needed))]) + "\n"
