"""The GraphQL documents in `documents/`, each with the fragments it uses and nothing more
(a GraphQL server rejects a document with unused fragments)."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

_FRAGMENT = re.compile(r"^fragment\s+(\w+)\s+on\s+\w+\s*\{", re.M)
_SPREAD = re.compile(r"\.\.\.\s*(?!on\b)([A-Za-z_]\w*)")
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
    body = _read(name)
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
