"""What the workbench tells its views: frozen dataclasses, published in order on one loop.

(No `slots=True` here: it doubles the cost of creating each class, and this module is imported
before the first frame.)

The TUI is a view over this stream; a headless run (CLI, tests, benchmarks) subscribes to the
same events. Nothing here imports a layer above `notebook/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from marimo_tui.notebook.model import Notebook
    from marimo_tui.runtime.kernel_state import KernelState
    from marimo_tui.tasks import Task

Level = Literal["info", "warning", "error"]
Cause = Literal["open", "disk", "edit", "undo"]


@dataclass(frozen=True)
class NotebookLoaded:
    """A version of a notebook to show. `analysed` is False for the quick stdlib read, whose
    cells have code and names but no defs, refs or compile errors yet."""

    path: Path
    notebook: Notebook
    analysed: bool
    cause: Cause


@dataclass(frozen=True)
class NotebookBroken:
    """The file on disk no longer parses: the last good version stays on show."""

    path: Path
    error: str  # one line
    line: int | None
    cell_index: int | None  # which cell of the last good version the error falls in


@dataclass(frozen=True)
class NotebookRemoved:
    path: Path
    renamed_to: Path | None = None


@dataclass(frozen=True)
class NotebooksListed:
    """The project's notebooks changed (one created, deleted or renamed)."""

    paths: tuple[Path, ...]


@dataclass(frozen=True)
class TaskChanged:
    task: Task
    removed: bool = False


@dataclass(frozen=True)
class ServiceState:
    """One line of the status bar: the watcher, (later) the sidecar, the model, Dagster."""

    service: str
    state: str
    ok: bool = True


@dataclass(frozen=True)
class KernelChanged:
    """The open notebook's kernel changed: one cell's run (`cell_id`), or its cells (None).
    `kernel` is the session's live state, read by the view when it draws."""

    path: Path
    kernel: KernelState
    cell_id: str | None


@dataclass(frozen=True)
class Notice:
    """A message for the user, one line."""

    text: str
    level: Level = "info"


Event = (
    NotebookLoaded
    | NotebookBroken
    | NotebookRemoved
    | NotebooksListed
    | TaskChanged
    | ServiceState
    | KernelChanged
    | Notice
)
