"""marimo's JSON encodings taken out of values before anything shows them.

A kernel's JSON output (and `mo.tree`/`mo.json` with `data-value-types="python"`) tags what
JSON cannot hold as strings: `"text/plain+float:3.5"`, `"text/plain+bigint:1180…"`,
`"text/plain+set:[1, 2]"`, `"text/plain+tuple:[1, 2]"`… Shown raw, the tag is noise.
"""

from __future__ import annotations

import contextlib
import json
import re

_TYPED = re.compile(r"\Atext/plain(?:\+(\w+))?:(.*)\Z", re.S)
_DOLLAR_TAGS = ("$bigint", "$float", "$int")  # older marimo versions' spelling


def untag(value: object) -> object:
    """The value with every tag replaced by what Python would show (numbers as numbers)."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), *_ = value.items()
            if key in _DOLLAR_TAGS:
                return untag(f"text/plain+{key[1:]}:{inner}")
        return {str(k): untag(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [untag(v) for v in value]
    if isinstance(value, str) and (match := _TYPED.match(value)):
        kind, shown = match.groups()
        if kind in ("float", "int", "bigint"):
            with contextlib.suppress(ValueError):
                return float(shown) if kind == "float" else int(shown)
        if kind in ("set", "frozenset", "tuple", "list"):
            with contextlib.suppress(ValueError):
                return untag(json.loads(shown))
        return shown
    return value


def scalar_text(value: object) -> str:
    """One untagged leaf as a person reads it (strings without quotes)."""
    value = untag(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    return json.dumps(value, ensure_ascii=False, default=str)
