"""Where a failed notebook run failed: the notebook and cell named by its failure event's
metadata (what `marimo_asset` attaches: `notebook`, a path, and `cells`, each cell's status)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from marimo_tui.dagster.model import RunEvent


@dataclass(frozen=True, slots=True)
class FailedCell:
    notebook: Path
    ref: str  # the cell's name, or `#N` (1-based position) for an unnamed one
    line: int | None = None

    @property
    def label(self) -> str:
        return f"{self.notebook.name}: cell {self.ref}"


def failed_cell(events: Iterable[RunEvent]) -> FailedCell | None:
    """The first failing cell of the first step failure that names a notebook."""
    for event in events:
        if event.event_type != "STEP_FAILURE" and event.kind != "ExecutionStepFailureEvent":
            continue
        values = {m.label: m.value for m in event.metadata}
        notebook, cells = values.get("notebook"), values.get("cells")
        if not isinstance(notebook, str) or not isinstance(cells, list):
            continue
        for cell in cells:
            if isinstance(cell, dict) and cell.get("status") == "error":
                name = str(cell.get("name") or "_")
                ref = name if name != "_" else f"#{cell.get('position')}"
                line = cell.get("line")
                return FailedCell(Path(notebook), ref, line if isinstance(line, int) else None)
    return None
