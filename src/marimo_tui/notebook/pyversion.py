"""Which Python a cell needs: code that does not compile here but does on a newer Python.

marimo on Python 3.11 calls a cell with `type X = …` or a nested same-quote f-string a syntax
error (and its codegen would turn it into `app._unparsable_cell`). Such a cell is not broken:
it is written for a newer Python, so we say so ("needs Python ≥ 3.12 (running 3.11)") and keep
it as written.

How it is told apart from a real syntax error (false positives are worse than misses):
`newer_syntax.lower` parses the code with libcst, whose grammar is the newest Python's, and
rewrites each newer construct into a 3.11 equivalent that keeps whatever the construct's parts
could get wrong; the cell needs a newer Python only if that rewrite compiles *here*, with the
running interpreter's own compiler checking everything that was left as written.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from functools import lru_cache

RUNNING: tuple[int, int] = (sys.version_info.major, sys.version_info.minor)
# marimo compiles a cell with top-level await allowed (`marimo._ast.compiler.compile_cell`).
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_MESSAGE = re.compile(r"needs Python ≥ \d+\.\d+ \(running \d+\.\d+\)")
# Text without any of these has none of the constructs `newer_syntax` knows: a plain syntax
# error, told without importing libcst (type aliases, generics, f- and t-strings, `except`).
_CANDIDATE = re.compile(
    r"\btype\b|\b(?:def|class)\s+\w+\s*\[|(?<!\w)[rR]?[fFtT][rR]?['\"]|\bexcept\b"
)


def compiles(code: str) -> bool:
    """Does `code` compile on the running interpreter, as marimo compiles a cell?"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes warn; `-W error` must not fail us
            compile(code, "<cell>", "exec", flags=_FLAGS, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


@lru_cache(maxsize=512)
def required_python(code: str) -> tuple[int, int] | None:
    """The lowest (major, minor) whose grammar accepts `code`, when that is newer than the
    running Python; None when the code compiles here, or is a syntax error everywhere (or we
    cannot be sure it is not)."""
    code = code.replace("\u00a0", " ")  # as marimo's compile_cell does
    if compiles(code) or not _CANDIDATE.search(code):
        return None
    from marimo_tui.notebook.newer_syntax import lower

    try:
        lowered = lower(code)
    except Exception:  # a parser's surprise is no evidence of a newer Python
        return None
    if lowered is None:
        return None
    version, text = lowered
    if version <= RUNNING or not compiles(text):
        return None
    return version


def format_requirement(version: tuple[int, int]) -> str:
    return f"needs Python ≥ {version[0]}.{version[1]} (running {RUNNING[0]}.{RUNNING[1]})"


def requirement_message(code: str) -> str | None:
    """E.g. "needs Python ≥ 3.12 (running 3.11)", or None when the code needs no newer Python."""
    version = required_python(code)
    return format_requirement(version) if version is not None else None


def is_requirement(error: str | None) -> bool:
    """Is this cell error a requirement message (the cell is fine, the interpreter too old)?
    What the views use: they see `Cell.error`, which the analysis sets to the message."""
    return error is not None and _MESSAGE.fullmatch(error) is not None


def cell_requirement(error: str | None, code: str) -> str | None:
    """The requirement message for a cell whose analysis failed, or None when it is broken
    (or fine). Recognises the message the analysis gives; a plain SyntaxError is looked at
    again, which imports libcst: for the CLI (`doctor`), not for a frame of the UI."""
    if error is None:
        return None
    if is_requirement(error):
        return error
    return requirement_message(code) if error.startswith("SyntaxError") else None
