"""LaTeX in `mo.md` output as Unicode text, with pylatexenc's `LatexNodes2Text`.

marimo renders `\\(…\\)`/`$…$` and `\\[…\\]`/`$$…$$` to `<marimo-tex>` elements whose text
keeps the source between its own delimiters: `||(…||)` inline, `||[…||]` display.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pylatexenc.latex2text import LatexNodes2Text

    # It logs bad input as warnings; on a full-screen app's stderr they would wreck the screen.
    logging.getLogger("pylatexenc").setLevel(logging.CRITICAL + 1)
_DELIMITERS = re.compile(r"\A\s*\|\|([(\[])(.*?)\|\|[)\]]\s*\Z", re.S)
_LINE_BREAK = re.compile(r"\\\\(?:\[[^\]]*\])?")  # `\\` with an optional `[2pt]`
_SUPERSCRIPT = dict(zip("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ", strict=True))
_SUBSCRIPT = dict(zip("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", strict=True))
_SCRIPT = re.compile(r"([\^_])(\{[^{}]*\}|\\?[A-Za-z0-9+\-=()])")


def tex_source(text: str) -> tuple[str, bool]:
    """The LaTeX inside marimo's delimiters, and whether it is display math."""
    match = _DELIMITERS.match(text)
    if match is None:
        return text.strip(), False
    return match.group(2).strip(), match.group(1) == "["


def latex_text(source: str) -> str:
    """Unicode for a formula; `\\\\` breaks lines. Never raises: the source when it fails."""
    lines = [line.strip() for line in _LINE_BREAK.split(source)]
    try:
        text = "\n".join(_line(line) for line in lines if line)
    except Exception:
        return source.strip()
    # A macro without its arguments comes back as its template (`\frac{` → `%s/%s`).
    return source.strip() if "%s" in text and "%s" not in source else text


def _line(source: str) -> str:
    # Scripts whose characters all have Unicode forms become them (x^2 → x²); others keep
    # `^`/`_` with the group in parentheses, so `e^{i\pi}` does not read as `e^iπ`.
    source = _SCRIPT.sub(_script, source)
    return " ".join(_converter().latex_to_text(source).split())


def _script(match: re.Match[str]) -> str:
    mark, group = match.groups()
    inner = group[1:-1] if group.startswith("{") else group
    table = _SUPERSCRIPT if mark == "^" else _SUBSCRIPT
    if inner and all(c in table for c in inner):
        return "".join(table[c] for c in inner)
    if len(inner) <= 1 or (inner.startswith("\\") and group[0] != "{"):
        return match.group(0)
    return f"{mark}{{({inner})}}"


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    from pylatexenc.latex2text import LatexNodes2Text

    # It logs bad input as warnings; on a full-screen app's stderr they would wreck the screen.
    logging.getLogger("pylatexenc").setLevel(logging.CRITICAL + 1)
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=True)
