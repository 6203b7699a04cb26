"""Lowering the syntax of newer Pythons to Python 3.11, so that 3.11's compiler can vouch for
the rest of a cell (used by `pyversion`; imports libcst, so it is imported only when needed).

libcst's parser knows the newest grammar but accepts much that CPython's compiler rejects
(`return` outside a function, `nonlocal` at module level, duplicate arguments …). So each newer
construct is rewritten into 3.11 code that keeps every part that could still be wrong, and the
running compiler judges the result; a rule of the construct that the rewrite would lose is
checked here, or the construct refused (a refusal only means "cannot tell": a miss, never a
false "needs Python X"). Checked against CPython 3.12 and 3.13 in tests/test_pyversion.py.

| construct | since | written as |
|---|---|---|
| f-string PEP 701 allows (same quotes, `\\`, `#` in `{}`) | 3.12 | `H((text), (expr), …)` |
| `type X[T: B] = V` | 3.12 | `X = H((V), (B))` |
| `def f[T: B]()`, `class C[T: B]` | 3.12 | `@H((B))` over a plain `def f()`, `class C` |
| a type parameter's default `[T = D]` | 3.13 | as a bound |
| a lambda or comprehension in an annotation scope in a class body | 3.13 | as it is |
| t-string `t"…"` | 3.14 | like an f-string |
| `except A, B:` | 3.14 | `except (A, B):` |

The walk is our own rather than a libcst transformer, and only over top-level statements whose
text can hold a newer construct: a transformer dispatches on every node, whitespace included,
and took several times as long as the parse (which is most of the cost now, ~0.1 ms a line).
"""

from __future__ import annotations

import ast
import dataclasses
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, TypeAlias, TypeVar, cast

import libcst as cst

Version: TypeAlias = tuple[int, int]

PEP_695 = (3, 12)  # type parameters and `type` aliases
PEP_701 = (3, 12)  # f-strings parsed by the grammar
PEP_696 = (3, 13)  # type parameter defaults
IN_CLASS_SCOPE = (3, 13)  # a lambda or comprehension in an annotation scope in a class body
PEP_750 = (3, 14)  # t-strings
PEP_758 = (3, 14)  # `except A, B:` without parentheses

# A call is not a valid assignment target, `del` target or pattern, as an f-string is not;
# a tuple would be. The name is only ever seen by the compiler.
_HOLDER = "_marimo_tui_newer_syntax"
# What an annotation scope (alias value, bounds, defaults, a generic's annotations and bases)
# refuses; a decorator or an assignment, where the rewrite puts them, accepts it.
_SCOPE_REFUSES = (cst.Yield, cst.Await, cst.NamedExpr)
# What 3.12 refuses in an annotation scope right inside a class body (3.13 takes it).
_NESTED_SCOPES = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_INTERPOLATED = (cst.FormattedString, cst.TemplatedString)
_FIELDS = (cst.FormattedStringExpression, cst.TemplatedStringExpression)
_TEXTS = (cst.FormattedStringText, cst.TemplatedStringText)
# Nodes that hold no code to lower (whitespace, names, literals, tokens): the walk stops at
# them; most nodes of a cell are these.
_LEAVES = (
    cst.BaseParenthesizableWhitespace,
    cst.Name,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.Comma,
    cst.Dot,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.EmptyLine,
    cst.Newline,
    cst.TrailingWhitespace,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.AssignEqual,
    cst.Colon,
    cst.Semicolon,
)
# A statement whose text has none of these holds nothing to lower or refuse (`import` for
# `from m import *`); the rest of the cell is not walked.
_MAY_HOLD = re.compile(
    r"\btype\b|\b(?:def|class)\s+\w+\s*\[|(?<!\w)[rR]?[fFtT][rR]?['\"]|\bexcept\b|\bimport\b"
)
_Interpolated: TypeAlias = cst.FormattedString | cst.TemplatedString
_Generic: TypeAlias = cst.FunctionDef | cst.ClassDef
_Handler: TypeAlias = cst.ExceptHandler | cst.ExceptStarHandler
_N = TypeVar("_N", bound=cst.CSTNode)


def lower(code: str) -> tuple[Version, str] | None:
    """(the newest Python version among the constructs rewritten, the rewritten code), or None
    when there is none to rewrite or one of them breaks a rule of every Python.
    Raises libcst's ParserSyntaxError when no Python's grammar accepts the code."""
    module = cst.parse_module(code)
    # The text of each top-level statement (and of the comments around them), generated once:
    # it checks the tree against the code, and only statements whose text can hold a newer
    # construct are walked and generated again.
    head = "".join(module.code_for_node(line) for line in module.header)
    body = [module.code_for_node(statement) for statement in module.body]
    tail = "".join(module.code_for_node(line) for line in module.footer)
    text = head + "".join(body) + tail
    # Without a final newline in the code, libcst's own codegen drops the last one it makes.
    chop = not module.has_trailing_newline and text == code + module.default_newline
    if text != code and not chop:
        # libcst keeps most text but not all: it drops a line that is only a backslash
        # continuation (re-indenting what follows) and the spaces in `{x! r}`. What it lost
        # could be the very error, so only a faithful tree is vouched for.
        return None
    lowering = _Lowering(module)
    for i, (statement, statement_text) in enumerate(zip(module.body, body, strict=True)):
        if _MAY_HOLD.search(statement_text):
            lowered = lowering.lower(statement)
            if lowered is not statement:
                body[i] = module.code_for_node(lowered)
    if lowering.invalid or lowering.version is None:
        return None
    text = head + "".join(body) + tail
    return lowering.version, text.removesuffix(module.default_newline) if chop else text


_FIELD_NAMES: dict[type[cst.CSTNode], tuple[str, ...]] = {}


def _field_names(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        fields = dataclasses.fields(kind)
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields)
    return names


def _children(node: cst.CSTNode) -> Iterator[tuple[str, Any]]:
    """(field, node or sequence of nodes) of `node`, leaves left out."""
    for name in _field_names(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            if not isinstance(value, _LEAVES):
                yield name, value
        elif isinstance(value, list | tuple) and value and isinstance(value[0], cst.CSTNode):
            yield name, value


def _descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for _, value in _children(current):
            if isinstance(value, cst.CSTNode):
                stack.append(value)
            else:
                stack.extend(value)


def _contains(nodes: Sequence[cst.CSTNode], kinds: tuple[type[cst.CSTNode], ...]) -> bool:
    return any(isinstance(d, kinds) for node in nodes for d in _descendants(node))


def _pieces(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The strings of an implicit concatenation (`"a" f"b" …`), left to right."""
    while isinstance(node, cst.ConcatenatedString):
        yield node.left
        node = node.right
    yield node


def _parses_here(source: str) -> bool:
    """Does the running Python's parser take this expression as written?"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(f"(\n{source}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _annotation_scope(node: _Generic) -> list[cst.CSTNode]:
    """What a generic function or class evaluates in its type parameters' scope besides them:
    a function's annotations (not its defaults), a class's bases and keywords."""
    scoped: list[cst.CSTNode] = [cast(cst.TypeParameters, node.type_parameters)]
    if isinstance(node, cst.ClassDef):
        return [*scoped, *node.bases, *node.keywords]
    params = node.params
    star_arg = params.star_arg if isinstance(params.star_arg, cst.Param) else None
    every = (*params.posonly_params, *params.params, *params.kwonly_params)
    for param in (*every, star_arg, params.star_kwarg):
        if param is not None and param.annotation is not None:
            scoped.append(param.annotation)
    if node.returns is not None:
        scoped.append(node.returns)
    return scoped


class _Lowering:
    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.version: Version | None = None
        self.invalid = False
        self._in_class: list[bool] = [False]  # per def/class body we are in: is it a class's?

    def _needs(self, version: Version) -> None:
        self.version = version if self.version is None else max(self.version, version)

    def _code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def _holder(self, parts: Sequence[str]) -> cst.Call:
        # Each part on its own lines inside parentheses: a comment that ends a part, or a
        # part over several lines, cannot swallow or split what follows.
        text = _HOLDER + "(\n" + "".join(f"(\n{part}\n),\n" for part in parts) + ")"
        return cast(cst.Call, cst.parse_expression(text))

    # -- the walk ----------------------------------------------------------------------------
    def lower(self, node: _N) -> _N:
        """`node` with its newer constructs rewritten (the same object when there are none)."""
        if isinstance(node, cst.ConcatenatedString):
            return cast(_N, self._concatenation(node))
        if isinstance(node, cst.MatchCase) and _contains([node.pattern], _INTERPOLATED):
            self.invalid = True  # no f-string is a pattern; a call would be a class pattern
        if isinstance(node, cst.ImportStar):
            self.invalid = True  # Python takes `from m import *`; marimo refuses it in a cell
        body = isinstance(node, cst.FunctionDef | cst.ClassDef)
        if body:
            self._in_class.append(isinstance(node, cst.ClassDef))
        changes: dict[str, Any] = {}
        for name, value in _children(node):
            if isinstance(value, cst.CSTNode):
                new = self.lower(value)
                if new is not value:
                    changes[name] = new
            elif not isinstance(value[0], _LEAVES):
                items = [self.lower(item) for item in value]
                if any(a is not b for a, b in zip(items, value, strict=True)):
                    changes[name] = items
        if body:
            self._in_class.pop()
        updated: cst.CSTNode = node.with_changes(**changes) if changes else node
        if isinstance(updated, _INTERPOLATED):
            return cast(_N, self._interpolated(cast(_Interpolated, node), updated))
        if isinstance(updated, cst.TypeAlias):
            return cast(_N, self._type_alias(updated))
        if isinstance(updated, cst.FunctionDef | cst.ClassDef):
            return cast(_N, self._generic(updated))
        if isinstance(updated, cst.ExceptHandler | cst.ExceptStarHandler):
            return cast(_N, self._parenthesized(updated))
        return cast(_N, updated)

    # -- f-strings and t-strings -------------------------------------------------------------
    def _interpolated(self, original: _Interpolated, updated: _Interpolated) -> cst.BaseExpression:
        if _parses_here(self._code(original)):
            return updated  # the running compiler checks it as it is
        self._needs(PEP_750 if isinstance(updated, cst.TemplatedString) else PEP_701)
        prefix = updated.start[: -len(updated.end)].lower().replace("f", "").replace("t", "")
        parts = self._parts(updated.parts, prefix, updated.end, depth=0)
        return self._holder(parts).with_changes(lpar=updated.lpar, rpar=updated.rpar)

    def _parts(
        self, parts: Sequence[cst.CSTNode], prefix: str, quote: str, depth: int
    ) -> list[str]:
        """The code of an f-string's pieces: its text as plain string literals (so that a bad
        `\\N{…}` escape still fails), its fields' expressions, and their format specs'."""
        out: list[str] = []
        for part in parts:
            if isinstance(part, _TEXTS):
                if part.value:
                    # `"""a"` + `"""` would close early: a trailing space changes no validity.
                    tail = " " if len(quote) == 3 and part.value.endswith(quote[0]) else ""
                    out.append(f"{prefix}{quote}{part.value}{tail}{quote}")
            elif isinstance(part, _FIELDS):
                if depth > 1 or (depth and part.equal is not None):
                    # `{x:{y:{z}}}`: 3.12 has its own limits on nested format specs, and
                    # 3.12.1 fails on `{x:{y=}}`: unsure.
                    self.invalid = True
                out.append(self._code(part.expression))
                if part.format_spec:
                    out.extend(self._parts(part.format_spec, prefix, quote, depth + 1))
            else:
                self.invalid = True
        return out

    def _concatenation(self, node: cst.ConcatenatedString) -> cst.BaseExpression:
        # Lowered piece by piece: libcst's ConcatenatedString cannot hold a call.
        pieces = list(_pieces(node))
        kinds = {
            "t"
            if isinstance(p, cst.TemplatedString)
            else "b"
            if "b" in getattr(p, "prefix", "").lower()
            else "s"
            for p in pieces
        }
        if len(kinds) > 1:  # bytes with str; a t-string with anything but t-strings
            self.invalid = True
        lowered = [self.lower(p) for p in pieces]
        if all(new is old for new, old in zip(lowered, pieces, strict=True)):
            return node
        holder = self._holder([self._code(new) for new in lowered])
        return holder.with_changes(lpar=node.lpar, rpar=node.rpar)

    # -- type parameters and aliases ---------------------------------------------------------
    def _type_parameters(self, parameters: cst.TypeParameters) -> list[str]:
        """The code of the bounds and defaults, after checking the rules the rewrite drops."""
        self._needs(PEP_695)
        names: set[str] = set()
        seen_default = False
        parts: list[str] = []
        for param in parameters.params:
            name = param.param.name.value
            if name in names:  # "duplicate type parameter"
                self.invalid = True
            names.add(name)
            bound = param.param.bound if isinstance(param.param, cst.TypeVar) else None
            if param.default is not None:
                self._needs(PEP_696)
                seen_default = True
                if param.star and not isinstance(param.param, cst.TypeVarTuple):
                    self.invalid = True
            elif seen_default:  # "non-default type parameter follows default type parameter"
                self.invalid = True
            parts += [self._code(e) for e in (bound, param.default) if e is not None]
        return parts

    def _annotation_scope_rules(self, scoped: Sequence[cst.CSTNode]) -> None:
        if _contains(scoped, _SCOPE_REFUSES):
            self.invalid = True
        if self._in_class[-1] and _contains(scoped, _NESTED_SCOPES):
            self._needs(IN_CLASS_SCOPE)

    def _type_alias(self, node: cst.TypeAlias) -> cst.Assign:
        self._needs(PEP_695)
        parameters = node.type_parameters
        scoped: list[cst.CSTNode] = [node.value]
        parts = [self._code(node.value)]
        if parameters is not None:
            scoped.append(parameters)
            parts += self._type_parameters(parameters)
        self._annotation_scope_rules(scoped)
        return cst.Assign(
            targets=[cst.AssignTarget(target=node.name)],
            value=self._holder(parts),
            semicolon=node.semicolon,
        )

    def _generic(self, node: _Generic) -> _Generic:
        if node.type_parameters is None:
            return node
        parts = self._type_parameters(node.type_parameters)
        self._annotation_scope_rules(_annotation_scope(node))
        names = {p.param.name.value for p in node.type_parameters.params}
        nonlocals = (d for d in _descendants(node.body) if isinstance(d, cst.Nonlocal))
        if any(n.name.value in names for d in nonlocals for n in d.names):
            self.invalid = True  # "nonlocal binding not allowed for type parameter"
        decorators = list(node.decorators)
        if parts:  # evaluated where the compiler still checks them
            decorators.append(cst.Decorator(decorator=self._holder(parts)))
        return node.with_changes(
            type_parameters=None,
            whitespace_after_type_parameters=cst.SimpleWhitespace(""),
            decorators=decorators,
        )

    # -- except A, B: ------------------------------------------------------------------------
    def _parenthesized(self, handler: _Handler) -> _Handler:
        kind = handler.type
        if not isinstance(kind, cst.Tuple) or kind.lpar:
            return handler
        self._needs(PEP_758)
        if handler.name is not None:  # `except A, B as e:` needs them still
            self.invalid = True
        return handler.with_changes(
            type=kind.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        )
