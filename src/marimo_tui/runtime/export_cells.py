"""What became of each cell in one export run, read from marimo's session view: the errors it
raised itself (with the file line that raised), its status, a few lines summing up its output,
and what it printed. Runs in the export worker (`export_worker`), next to marimo's private
messaging types (pinned minor version); `export` turns the results into its report.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

from marimo_tui.runtime.export import CellStatus, cell_label

SUMMARY_LINES = 8  # of a cell's output summary
SUMMARY_CHARS = 600
TABLE_ROWS = 5  # of a table shown in a summary
PRINTED_CHARS = 4000  # of what one cell printed, kept in its report


_TRACEBACK_LINE = r'__marimo__cell_{cell_id}_\.py", line (\d+)'


class CellRef(NamedTuple):
    """A cell of the run as the parser saw it: where it starts in the file, and its code."""

    position: int
    cell_id: str
    name: str
    line: int  # 0 when unknown
    code: str

    @property
    def label(self) -> str:
        return cell_label(self.position, self.cell_id, self.name)


def cell_errors(
    view: Any, cell_id: str, label: Callable[[str], str]
) -> tuple[list[tuple[str, int | None]], bool]:
    """(message, line within the cell) of each error the cell raised itself, and whether it
    also failed because an ancestor did."""
    from marimo._messaging.cell_output import CellChannel
    from marimo._messaging.errors import (
        CycleError,
        MarimoExceptionRaisedError,
        MarimoSyntaxError,
        MultipleDefinitionError,
        is_unexpected_error,
    )

    notification = view.cell_notifications.get(cell_id)
    output = notification.output if notification is not None else None
    if output is None or output.channel != CellChannel.MARIMO_ERROR:
        return [], False
    own: list[tuple[str, int | None]] = []
    inherited = False
    for error in output.data:
        if not is_unexpected_error(error):
            continue  # mo.stop and interruptions are on purpose
        if isinstance(error, MarimoExceptionRaisedError):
            if error.raising_cell is not None and error.raising_cell != cell_id:
                inherited = True
            else:
                own.append((_one_line(f"{error.exception_type}: {error.msg}"), None))
        elif isinstance(error, MultipleDefinitionError):
            others = ", ".join(label(c) for c in error.cells)
            own.append((f"multiple definitions: {error.name!r} is also defined by {others}", None))
        elif isinstance(error, CycleError):
            edges = "; ".join(
                f"{label(a)} → {label(b)} via {', '.join(names)}"
                for a, names, b in error.edges_with_vars
            )
            own.append((f"cycle: {edges}", None))
        elif isinstance(error, MarimoSyntaxError):
            last = [ln for ln in error.msg.strip().splitlines() if ln.strip()][-1:]
            own.append((_one_line(last[0] if last else "SyntaxError"), error.lineno))
        else:
            kind = type(error).__name__.removeprefix("Marimo")
            own.append((_one_line(f"{kind}: {error.describe()}"), None))
    return own, inherited


def cell_outcome(
    view: Any,
    cell_id: str,
    own: list[tuple[str, int | None]],
    disabled: bool,
    label: Callable[[str], str],
) -> tuple[CellStatus, str]:
    """(status, summary) of a cell after the run; `own` are the errors it raised itself."""
    from marimo._messaging.cell_output import CellChannel
    from marimo._messaging.errors import (
        MarimoAncestorPreventedError,
        MarimoAncestorStoppedError,
        MarimoInterruptionError,
    )

    if own:
        more = f" (+{len(own) - 1} more)" if len(own) > 1 else ""
        return "error", own[0][0] + more
    notification = view.cell_notifications.get(cell_id)
    if notification is None:
        return ("disabled" if disabled else "not run"), ""
    if notification.status == "disabled-transitively" or disabled:
        return "disabled", ""
    output = notification.output
    if output is not None and output.channel == CellChannel.MARIMO_ERROR:
        for error in output.data:
            raising = getattr(error, "raising_cell", None)
            other = label(raising) if isinstance(raising, str) and raising != cell_id else ""
            if isinstance(error, MarimoAncestorStoppedError):
                return "stopped", f"not run: mo.stop in {other or 'an ancestor'}"
            if isinstance(error, MarimoInterruptionError):
                return "interrupted", "interrupted"
            if isinstance(error, MarimoAncestorPreventedError) or other:
                return "blocked", f"not run: {other or 'an ancestor'} failed"
        return "ok", ""
    try:
        return "ok", output_summary(output, notification.console)
    except Exception:  # a summary is a courtesy: never let it fail the export
        return "ok", ""


def output_summary(output: Any, console: Any) -> str:
    """A few lines of plain text for a cell's output, or of what it printed when it shows
    nothing; the converters are the ones the workbench's cell view uses."""
    from marimo_tui.runtime.html_convert import table_text
    from marimo_tui.runtime.outputs import console_text, convert_output

    converted = convert_output(str(output.mimetype), output.data) if output is not None else None
    if converted is None or converted.kind == "empty":
        entries = console if isinstance(console, list) else [console] if console else []
        printed = "".join(
            console_text(str(e.mimetype), e.data)
            for e in entries
            if getattr(e.channel, "value", e.channel) == "stdout"
        )
        return _shorten(f"stdout: {printed.strip()}") if printed.strip() else ""
    if converted.kind == "table" and converted.table is not None:
        table = converted.table
        rows = table.total_rows if table.total_rows is not None else len(table.rows)
        head = f"table: {rows} rows × {len(table.columns)} columns"
        first = replace(table, rows=table.rows[:TABLE_ROWS], total_rows=rows)
        body = table_text(first, markdown=False)
        return _shorten(f"{head}\n{body}" if body else head, lines=TABLE_ROWS + 3)
    if converted.kind == "image":
        return f"[image {converted.mimetype}]" if converted.mimetype else "[image]"
    return _shorten(converted.text)


def printed_text(view: Any, cell_id: str) -> str:
    """What the cell wrote to stdout and stderr; its traceback is in its error already."""
    from marimo_tui.runtime.outputs import TRACEBACK_MIME, console_text

    notification = view.cell_notifications.get(cell_id)
    console = notification.console if notification is not None else None
    entries = console if isinstance(console, list) else [console] if console else []
    try:
        text = "".join(
            console_text(str(e.mimetype), e.data)
            for e in entries
            if getattr(e.channel, "value", e.channel) in ("stdout", "stderr")
            and str(e.mimetype) != TRACEBACK_MIME
        )
    except Exception:  # a courtesy, like the summary
        return ""
    if len(text) > PRINTED_CHARS:
        text = "…" + text[-(PRINTED_CHARS - 1) :]  # the end of a long log says most
    return text


def _shorten(text: str, lines: int = SUMMARY_LINES, chars: int = SUMMARY_CHARS) -> str:
    kept = [ln.rstrip() for ln in text.strip("\n").split("\n")]
    cut = len(kept) > lines
    short = "\n".join(kept[:lines])
    if len(short) > chars:
        short, cut = short[: chars - 1].rstrip(), True
    return short + "…" if cut else short


def _one_line(text: str) -> str:
    return " ".join(text.split())


def raised_line(view: Any, cell_id: str) -> int | None:
    """The line within the cell that raised, from the last frame of the cell's traceback."""
    notification = view.cell_notifications.get(cell_id)
    console = notification.console if notification is not None else None
    entries = console if isinstance(console, list) else [console] if console else []
    pattern = re.compile(_TRACEBACK_LINE.format(cell_id=re.escape(cell_id)))
    for entry in reversed(entries):
        if "traceback" in str(entry.mimetype):
            plain = html.unescape(re.sub(r"<[^>]+>", "", str(entry.data)))
            found = pattern.findall(plain)
            if found:
                return int(found[-1])
    return None


def file_line(lines: list[str], ref: CellRef, line_in_cell: int) -> int | None:
    """File line of a line of the cell's code: the code sits, indented, after the signature
    (which may span lines), so find where its first line is."""
    code_lines = ref.code.split("\n")
    first = next((i for i, ln in enumerate(code_lines) if ln.strip()), None)
    if first is None or not ref.line:
        return None
    wanted = code_lines[first].strip()
    for index in range(ref.line - 1, min(len(lines), ref.line + 50)):
        if lines[index].strip() == wanted:
            return index - first + line_in_cell
    return None
