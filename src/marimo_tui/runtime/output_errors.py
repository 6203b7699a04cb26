"""marimo's `application/vnd.marimo+error` payloads → `CellError`s, and tracebacks → lines.

marimo's messages are written for its frontend, which appends a link to the cell it blames
("… expected to be defined in ", "An ancestor raised an exception (X): "); here the cell id is
appended instead so the sentence ends. Each error lists the ids it names (`cells`): the view,
which knows which of its cells each id is, shows its names instead (`name_cells`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from marimo_tui.runtime.html_convert import to_text

# Each cell runs from a file named after its id: `…/__marimo__cell_Hbol_.py`.
_FRAME = re.compile(r'File "([^"]*__marimo__cell_[^"/\\]*)", line (\d+), in (.*)')
_LEADING_LINE = re.compile(r"^line (\d+)\s+")


@dataclass(frozen=True)
class CellError:
    kind: str  # marimo's `type`, except that an ancestor's exception is "ancestor-raised"
    message: str  # one line, human readable
    traceback: str = ""  # plain-text traceback when known
    line: int | None = None  # 1-based failing line inside the cell's code, when known
    cells: tuple[str, ...] = ()  # marimo's ids of the cells the message names, as `'id'`


def name_cells(message: str, cells: tuple[str, ...], names: Mapping[str, str]) -> str:
    """The message with each `'id'` of `cells` replaced by the view's name for that cell."""
    for cell in cells:
        if cell in names:
            message = message.replace(f"'{cell}'", names[cell])
    return message


_CELL_FILE = re.compile(r'"[^"\n]*__marimo__cell_([^"/\\_]+)_\.py"')


def name_cell_files(traceback: str, names: Mapping[str, str]) -> str:
    """`File "/tmp/marimo_1/__marimo__cell_Hbol_.py"` → `File cell 'load' (#3)`."""

    def named(match: re.Match[str]) -> str:
        name = names.get(match.group(1))
        return f"cell {name}" if name else match.group(0)

    return _CELL_FILE.sub(named, traceback) if names else traceback


def cell_errors(data: object) -> tuple[CellError, ...]:
    items: Sequence[object] = data if isinstance(data, list | tuple) else [data]
    errors = tuple(_cell_error(item) for item in items if item is not None)
    return errors or (CellError("unknown", "The cell failed"),)


def _cell_error(item: object) -> CellError:
    error = _cell_error_text(item)
    if not isinstance(item, Mapping):
        return error
    named: list[str] = []
    for key in ("raising_cell", "blamed_cell"):
        if isinstance(item.get(key), str):
            named.append(item[key])
    named += [str(c) for c in item.get("cells") or ()]
    for edge in item.get("edges_with_vars") or ():
        if isinstance(edge, list | tuple) and len(edge) == 3:
            named += [str(edge[0]), str(edge[2])]
    cells = tuple(c for c in dict.fromkeys(named) if f"'{c}'" in error.message)
    return replace(error, cells=cells) if cells else error


def _cell_error_text(item: object) -> CellError:
    if not isinstance(item, Mapping):
        return CellError("unknown", _one_line(str(item)))
    kind = str(item.get("type") or "unknown")
    msg = str(item.get("msg") or "")
    raising = item.get("raising_cell")
    if kind == "exception":
        name = str(item.get("exception_type") or "Exception")
        tb = item.get("traceback")
        traceback = to_text(tb).strip("\n") if isinstance(tb, str) and tb else ""
        if name == "Ancestor raised":
            return CellError("ancestor-raised", _blame(msg, raising))
        text = _blame(msg, raising)
        summary = f"{name}: {text}" if text else name
        return CellError(kind, summary, traceback, failing_line(traceback))
    if kind == "multiple-defs":
        cells = [str(c) for c in item.get("cells") or ()]
        where = ", ".join(f"'{c}'" for c in cells) or "another cell"
        noun = "cells" if len(cells) > 1 else "cell"
        return CellError(kind, f"'{item.get('name', '?')}' was also defined by {noun} {where}")
    if kind in ("cycle", "setup-refs"):
        edges = [_edge(e) for e in item.get("edges_with_vars") or ()]
        head = "This cell is in a cycle" if kind == "cycle" else "The setup cell cannot have refs"
        return CellError(kind, f"{head}: {', '.join(edges)}" if edges else head)
    if kind in ("syntax", "import-star"):
        return _syntax(kind, msg, item.get("lineno"))
    if kind == "interruption":
        return CellError(kind, "This cell was interrupted and needs to be re-run")
    if kind == "strict-exception":
        return CellError(kind, _blame(msg, item.get("blamed_cell")))
    if kind in ("ancestor-stopped", "ancestor-prevented"):
        return CellError(kind, _blame(msg, raising))
    if kind == "sql-error":
        hint = item.get("hint")
        line = item.get("node_lineno")
        text = f"{msg} ({hint})" if hint else msg
        return CellError(
            kind, _one_line(text), msg, line if isinstance(line, int) and line else None
        )
    if kind == "unknown" and item.get("error_type"):
        return CellError(kind, f"{item['error_type']}: {_one_line(msg)}")
    return CellError(kind, _one_line(msg) or kind)


def _blame(msg: str, cell: object) -> str:
    text = _one_line(msg).rstrip()
    if not isinstance(cell, str) or not cell:
        return text.rstrip(":").rstrip()
    if text.endswith((":", " in")) or not text:
        return f"{text} cell '{cell}'".strip()
    return f"{text} (cell '{cell}')"


def _edge(edge: object) -> str:
    if isinstance(edge, list | tuple) and len(edge) == 3:
        source, names, target = edge
        shown = ", ".join(str(n) for n in names) if isinstance(names, list | tuple) else str(names)
        return f"'{source}' → '{target}' ({shown})"
    return str(edge)


def _syntax(kind: str, msg: str, lineno: object) -> CellError:
    # marimo's syntax message is a small traceback: "line 1\n    x = (1 +\n ^\nSyntaxError: …"
    lines = [line for line in msg.splitlines() if line.strip()]
    summary = lines[-1].strip() if lines else kind
    line = lineno if isinstance(lineno, int) and not isinstance(lineno, bool) else None
    leading = _LEADING_LINE.match(summary)
    if leading:
        summary = summary[leading.end() :]
        line = line or int(leading.group(1))
    elif line is None and lines and (leading := re.match(r"^line (\d+)$", lines[0].strip())):
        line = int(leading.group(1))
    traceback = msg.strip("\n") if len(lines) > 1 else ""
    return CellError(kind, summary, traceback, line)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[0] + (" …" if len(lines) > 1 else "")


def failing_line(traceback: str) -> int | None:
    """The failing line in the cell's own code: the innermost frame in the cell's file.

    The cell's file is the one its top-level code (`<module>`) runs from; frames of functions
    defined in other cells have other files and do not count.
    """
    frames = [(m.group(1), int(m.group(2)), m.group(3).strip()) for m in _FRAME.finditer(traceback)]
    if not frames:
        return None
    cell_file = next((f for f, _, where in frames if where == "<module>"), frames[0][0])
    return [line for f, line, _ in frames if f == cell_file][-1]
