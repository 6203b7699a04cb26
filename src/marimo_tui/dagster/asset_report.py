"""What a `marimo_asset` run attaches to Dagster: the metadata of its HTML export, a markdown
summary of its cells, what they printed, and the line that names a failed cell."""

# No `from __future__ import annotations`, like `asset`: both are read by Dagster's side only.
import re
from pathlib import Path
from typing import Any

import dagster as dg

from marimo_tui.runtime.export import CellFailure, CellResult, ExportReport
from marimo_tui.safe_text import visible

STATUS_MARK = {
    "ok": "✅",
    "error": "❌",
    "blocked": "⛔",
    "stopped": "⏹️",
    "interrupted": "⚠️",
    "disabled": "⏸️",
    "not run": "⚪",
}
PRINTED_CHARS = 20_000  # of all cells' prints in one metadata entry


def metadata(
    path: Path, params: dict[str, Any], report: ExportReport, duration: float
) -> dict[str, Any]:
    html = report.output.resolve()
    return {
        "html": dg.MetadataValue.path(str(html)),
        "html_url": dg.MetadataValue.url(html.as_uri()),
        "summary": dg.MetadataValue.md(summary_markdown(path, report, duration)),
        "cells": dg.MetadataValue.json([cell_json(c) for c in report.cell_results]),
        "duration_s": dg.MetadataValue.float(round(duration, 3)),
        "notebook": dg.MetadataValue.path(str(path)),
        "params": dg.MetadataValue.json(params),
    } | ({"printed": dg.MetadataValue.text(text)} if (text := printed_text(report)) else {})


def printed_text(report: ExportReport) -> str:
    """What the notebook printed, each cell's part under its label; the end when too long.
    Control characters are shown, not kept: this text is also written to the run's stdout,
    which may be a terminal."""
    parts = [
        f"--- {visible(cell.label)}\n{visible(cell.printed.rstrip())}\n"
        for cell in report.cell_results
        if cell.printed.strip()
    ]
    text = "".join(parts)
    return "…" + text[-(PRINTED_CHARS - 1) :] if len(text) > PRINTED_CHARS else text


def failure_text(path: Path, report: ExportReport) -> str:
    """The one line a failed run fails with (the notebook's error message in it is shown, not
    sent, like its prints: Dagster writes it to its log on a terminal)."""
    if not report.failures:
        return f"{path.name}: marimo reported an error in the run that names no cell"
    first = failure_line(report.failures[0], path)
    more = len(report.failures) - 1
    return first + (f" (+{more} more failed cell{'s' if more > 1 else ''})" if more else "")


def failure_line(failure: CellFailure, path: Path) -> str:
    return visible(failure.describe(path.name), "")


def outcome(report: ExportReport) -> str:
    counts: dict[str, int] = {}
    for cell in report.cell_results:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    total = report.cells
    if counts == {"ok": total}:
        return f"all {total} cells ok"
    parts = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"{total} cell{'s' if total != 1 else ''}: {parts}" if parts else f"{total} cells"


def cell_json(cell: CellResult) -> dict[str, Any]:
    return {
        "position": cell.position,
        "id": cell.cell_id,
        "name": cell.name,
        "line": cell.line,
        "status": cell.status,
        "summary": cell.summary,
        "printed": visible(cell.printed),
    }


def summary_markdown(path: Path, report: ExportReport, duration: float) -> str:
    lines = [f"**{md_escape(path.name)}**: {outcome(report)} in {duration:.1f} s", ""]
    for cell in report.cell_results:
        where = f" (line {cell.line})" if cell.line else ""
        mark = STATUS_MARK.get(cell.status, "•")
        head = f"- {mark} **{md_escape(cell.label)}**{where}: {cell.status}"
        summary = cell.summary.strip("\n")
        if "\n" not in summary:
            lines.append(f"{head}{' — ' + md_escape(summary) if summary else ''}")
            continue
        longest = max((len(run) for run in re.findall(r"`+", summary)), default=0)
        fence = "`" * max(3, longest + 1)
        lines += [head, f"  {fence}text"]
        lines += [f"  {line}" if line else "" for line in summary.split("\n")]
        lines.append(f"  {fence}")
    if not report.cell_results:
        lines.append(f"{report.cells} cells (no per-cell report)")
    return "\n".join(lines)


def md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", text)
