"""The notebook core: model, marimo adapter, dependency index, store and templates.

Nothing here imports textual; heavy marimo imports happen inside `marimo_adapter` only.
"""

from marimo_tui.notebook.errors import ConflictError, NotebookError, StoreError
from marimo_tui.notebook.model import Cell, CellKind, Notebook

__all__ = ["Cell", "CellKind", "ConflictError", "Notebook", "NotebookError", "StoreError"]
