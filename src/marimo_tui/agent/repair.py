"""Recover tool calls from what small local models actually send.

They write calls as JSON inside the answer text (bare, fenced, in `<tool_call>` tags, after
chat-template tokens written out as text, with quotes HTML-escaped as `&#34;`), send arguments
as JSON text (sometimes encoded twice, fenced, with trailing commas or Python quotes).
Everything here is linear in the text's size: a model that dumps a megabyte must not stall the UI.
"""

from __future__ import annotations

import ast
import html
import io
import json
import re
import tokenize
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from marimo_tui.agent.providers.base import ToolCall

__all__ = ["calls_in_text", "parse_arguments"]

_DECODER = json.JSONDecoder()
_FENCE = re.compile(r"\A\s*```[\w-]*[ \t]*\n?(.*?)\n?[ \t]*```\s*\Z", re.S)
# Only braces that open something call-shaped are decoded: scanning every `{` of a large text
# (code, JSON examples) would decode the same nested values over and over.
_CANDIDATE = re.compile(
    r'(?:\[\s*)?\{\s*"(?:name|function|tool|arguments|parameters|args|type|id)"\s*:'
)
_OPENER = re.compile(r"(?:<tool_call>|^[ \t]*```(?:json|JSON|tool_call)?)\Z", re.M)
_BRACE_OR_QUOTE = re.compile(r"[{}\"']")
_STRING_END = {'"': re.compile(r'\\.|"', re.S), "'": re.compile(r"\\.|'", re.S)}
_CALL_KEYS = frozenset({"name", "arguments", "parameters", "id", "type"})
_TOOL_KEYS = frozenset({"tool", "args", "arguments", "parameters", "id"})
_JSON_WORDS = re.compile(r"\b(?:true|false|null)\b")
_PY_NAMES = {"true": "True", "false": "False", "null": "None"}
_WINDOW = 2048
# A window cut inside a string reports where the string starts, not where the window ends.
_CUT_ERRORS = ("Unterminated string",)
_MAX_DECODE_DEPTH = 3  # arguments encoded as a JSON string inside a JSON string, and so on
# Chat-template tokens a model writes as text when its template or server does not parse them:
# `<|im_start|>`, `<|python_tag|>`, DeepSeek's `<｜tool▁call▁begin｜>`, Gemma's `<start_of_turn>`,
# Mistral's `[TOOL_CALLS]`, Llama's `[INST]`.
_TEMPLATE_TOKEN = re.compile(
    r"<[|｜][^<>\s]{1,40}?[|｜]>|</?(?:start_of_turn|end_of_turn|eos|bos|s)>"
    r"|\[/?(?:TOOL_CALLS|TOOL_RESULTS|INST|AVAILABLE_TOOLS)\]"
)
_ESCAPED_QUOTE = re.compile(r"&(?:#34|#x22|quot);")


def parse_arguments(raw: Mapping[str, Any] | str) -> dict[str, Any]:
    """The arguments object of a call, repaired; `ValueError` says what is wrong with it."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if not isinstance(raw, str):
        raise ValueError(f"arguments must be a JSON object, not {_kind(raw)}")
    try:
        return _parse_text(raw)
    except ValueError:
        plain = unescape(raw)
        if plain == raw:
            raise
        return _parse_text(plain)


def _parse_text(raw: str) -> dict[str, Any]:
    value: object = raw
    for depth in range(_MAX_DECODE_DEPTH):
        if not isinstance(value, str):
            break
        text = _unfence(value)
        if not text:
            return {}
        try:
            value = _load(text)
        except ValueError:
            if depth:  # valid JSON that holds a string that is not: the model sent text
                raise ValueError("arguments must be a JSON object, not a string") from None
            raise
    if isinstance(value, Mapping):
        return dict(value)
    raise ValueError(f"arguments must be a JSON object, not {_kind(value)}")


def unescape(text: str) -> str:
    """Text with chat-template tokens taken out, and HTML-escaped quotes (`{&#34;name&#34;:`)
    unescaped when they are there; other text is left exactly as it is."""
    text = _TEMPLATE_TOKEN.sub("", text)
    return html.unescape(text) if _ESCAPED_QUOTE.search(text) else text


def calls_in_text(text: str, known: Collection[str]) -> tuple[str, list[ToolCall]]:
    """Tool calls written into answer text, and the text without them.

    Only objects naming a tool in `known` count: an answer that shows a JSON example keeps it.
    Text escaped or wrapped in template tokens is read again without them when nothing is found.
    """
    rest, calls = _calls_in(text, known)
    if not calls and (plain := unescape(text)) != text:
        rest, calls = _calls_in(plain, known)
    if not calls:
        return text, []
    # The tokens around the calls were the model's way of calling: not text for the user.
    return _TEMPLATE_TOKEN.sub("", rest).strip(), calls


def _calls_in(text: str, known: Collection[str]) -> tuple[str, list[ToolCall]]:
    spans: list[tuple[int, int]] = []
    calls: list[ToolCall] = []
    # Characters that failed decodes may rescan in all. Past it, the scan resumes where a
    # failed decode stopped, which keeps adversarial texts (deep or unclosed nesting) linear.
    budget = 2 * len(text) + 64_000
    pos = 0
    while (match := _CANDIDATE.search(text, pos)) is not None:
        start = match.start()
        value, end, cost, skip = _decode_at(text, start, budget)
        budget -= cost
        if value is _FAILED:
            pos = max(end, start + 1) if skip or budget <= 0 else start + 1
            continue
        found = _as_calls(value, known)
        if found:
            spans.append((start, end))
            calls.extend(found)
        # A decoded value that is not a call is skipped whole: its inner objects are data.
        pos = end
    if not calls:
        return text, []
    numbered = [
        ToolCall(id=f"text_call_{n}", name=c.name, arguments=c.arguments)
        for n, c in enumerate(calls, 1)
    ]
    return _remove(text, _wrapped(text, _merge(text, spans))), numbered


def _kind(value: object) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "that")


def _unfence(text: str) -> str:
    match = _FENCE.match(text)
    return (match.group(1) if match else text).strip()


def _load(text: str) -> object:
    """JSON, else the same text read as a Python literal (single quotes, trailing commas)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        error = exc
    value = _literal(text)
    first = text.find("{")
    if value is _FAILED and first >= 0:
        # Prose around the object ("Here are the arguments: {…}") is dropped.
        end = _balanced_end(text, first, len(text))
        if end is not None and (first, end) != (0, len(text)):
            try:
                value = json.loads(text[first:end])
            except json.JSONDecodeError:
                value = _literal(text[first:end])
    if value is not _FAILED:
        return value
    where = f" at line {error.lineno} column {error.colno}" if "\n" in text else ""
    raise ValueError(f"arguments are not valid JSON ({error.msg}{where})")


_FAILED = object()


def _literal(text: str) -> object:
    try:
        value = ast.literal_eval(_pythonize(text) if _JSON_WORDS.search(text) else text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, tokenize.TokenError):
        return _FAILED
    return value if isinstance(value, dict | list | str | int | float | bool) else _FAILED


def _pythonize(text: str) -> str:
    """JSON's true/false/null as Python names; tokenizing keeps words inside strings intact."""
    lines = io.StringIO(text).readlines()  # split where tokenize splits: at "\n" only
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME and tok.string in _PY_NAMES:
            row, col = tok.start
            line = lines[row - 1]
            # Same lengths, so the positions of later tokens on the line still hold.
            lines[row - 1] = line[:col] + _PY_NAMES[tok.string] + line[col + len(tok.string) :]
    return "".join(lines)


class _Decoded(NamedTuple):
    value: object  # `_FAILED` when nothing decoded
    end: int  # after the value, or where a failed decode stopped scanning
    cost: int  # characters a failure scanned
    skip: bool = False  # resume after `end` even while budget lasts


def _decode_at(text: str, start: int, budget: int) -> _Decoded:
    """The JSON value at `start`; a broken object gets one lenient try while budget lasts."""
    try:
        value, end = _raw_decode(text, start)
        return _Decoded(value, end, 0)
    except json.JSONDecodeError as exc:
        failed_at = start + exc.pos
    except RecursionError:
        # Nested past the recursion limit: no tool call looks like that, nor anything inside.
        end = _balanced_end(text, start, len(text)) or len(text)
        return _Decoded(_FAILED, end, end - start, skip=True)
    if text[start] != "{" or budget <= failed_at - start:
        return _Decoded(_FAILED, failed_at, failed_at - start)
    limit = min(len(text), start + budget)
    closed = _balanced_end(text, start, limit)
    value = _FAILED if closed is None else _literal(text[start:closed])
    if value is _FAILED or closed is None:
        stop = max(limit if closed is None else closed, failed_at)
        return _Decoded(_FAILED, stop, stop - start)
    return _Decoded(value, closed, closed - start)


def _raw_decode(text: str, start: int) -> tuple[object, int]:
    """`raw_decode` on growing windows: its error counts lines from the start of the string it
    gets, so decoding in place would make each failure cost the length of the text before it."""
    size = _WINDOW
    while True:
        window = text[start : start + size]
        try:
            value, end = _DECODER.raw_decode(window)
            return value, start + end
        except json.JSONDecodeError as exc:
            cut = start + size < len(text)
            if not cut or not (exc.pos >= len(window) - 6 or exc.msg.startswith(_CUT_ERRORS)):
                raise
        size *= 4


def _balanced_end(text: str, start: int, limit: int) -> int | None:
    """Index after the `}` closing the `{` at `start`, skipping braces inside strings."""
    depth = 0
    pos = start
    while (match := _BRACE_OR_QUOTE.search(text, pos, limit)) is not None:
        char = match.group()
        pos = match.end()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return pos
        else:
            closing = _STRING_END[char]
            while (inner := closing.search(text, pos, limit)) is not None:
                pos = inner.end()
                if inner.group() == char:
                    break
            else:
                return None
    return None


def _as_calls(value: object, known: Collection[str]) -> list[ToolCall]:
    items = value if isinstance(value, list) else [value]
    calls = [_as_call(item, known) for item in items]
    if not calls or any(call is None for call in calls):
        return []
    return [call for call in calls if call is not None]


def _as_call(item: object, known: Collection[str]) -> ToolCall | None:
    if not isinstance(item, dict):
        return None
    name: object = None
    arguments: object = {}
    function = item.get("function")
    if isinstance(function, dict):
        name = function.get("name")
        arguments = function.get("arguments", function.get("parameters", {}))
    elif isinstance(item.get("name"), str) and set(item) <= _CALL_KEYS:
        name = item["name"]
        arguments = item.get("arguments", item.get("parameters", {}))
    elif isinstance(item.get("tool"), str) and set(item) <= _TOOL_KEYS:
        name = item["tool"]
        arguments = item.get("args", item.get("arguments", item.get("parameters", {})))
    if not isinstance(name, str) or name not in known:
        return None
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict | str):
        arguments = json.dumps(arguments)  # kept as text: the loop reports it as not an object
    return ToolCall(id="", name=name, arguments=arguments)


def _merge(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Calls separated only by whitespace or commas form one block (one fence around several)."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and not text[merged[-1][1] : start].strip(" \t\r\n,"):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _wrapped(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each block grown to take in the fence or `<tool_call>` tags around it."""
    out = []
    for start, end in spans:
        before = text[:start].rstrip()
        after = len(text) - len(text[end:].lstrip())
        opener = _OPENER.search(before, max(0, len(before) - 40))
        if opener is not None:
            closer = "</tool_call>" if opener.group().startswith("<") else "```"
            if text.startswith(closer, after):
                start, end = opener.start(), after + len(closer)
        out.append((start, end))
    return out


def _remove(text: str, spans: list[tuple[int, int]]) -> str:
    parts = []
    pos = 0
    for start, end in spans:
        parts.append(text[pos:start])
        pos = end
    parts.append(text[pos:])
    rest = "".join(parts)
    return re.sub(r"\n{3,}", "\n\n", rest).strip()
