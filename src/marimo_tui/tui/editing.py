"""Editing cells by hand: each flow runs in a worker, asks through modals, writes through the
workbench's store (atomic, conflict-checked) and reports in one line."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.notebook.errors import ConflictError, NotebookError, StoreError
from marimo_tui.notebook.model import Cell, Notebook
from marimo_tui.notebook.store import EditResult, NotebookStore
from marimo_tui.notebook.write_paths import OutsideRoot, check_inside
from marimo_tui.safe_text import is_visible
from marimo_tui.tui.screens.cell_editor import CellEditorScreen, ConflictScreen
from marimo_tui.tui.screens.dialogs import ConfirmScreen, PromptScreen

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from marimo_tui.tui.app import WorkbenchApp


class EditFlows:
    def __init__(self, app: WorkbenchApp) -> None:
        self.app = app
        self.workbench = app.workbench

    # -- helpers -----------------------------------------------------------------------------
    async def _write(
        self,
        operation: Callable[[NotebookStore], EditResult],
        on_conflict: Callable[[ConflictError], Awaitable[None]] | None = None,
    ) -> EditResult | None:
        """One store edit; errors become one-line notices (or go to `on_conflict`)."""
        try:
            result = await self.workbench.edit(operation)
        except ConflictError as conflict:
            if on_conflict is None:
                self.app.notify(str(conflict), severity="error", timeout=8)
            else:
                await on_conflict(conflict)
            return None
        except (StoreError, NotebookError) as exc:
            self.app.notify(str(exc), severity="error", timeout=8)
            return None
        for warning in result.warnings:
            self.app.notify(warning, severity="warning", timeout=8)
        return result

    async def _ask_code(self, title: str, code: str) -> str | None:
        editor = self.app.workbench.config.editor.strip()
        if editor in ("", "inline"):
            if not is_visible(code):
                # Textual's editor would send them to the terminal as they are, and showing
                # them as ␛… would save the stand-ins in their place.
                self.app.notify(
                    "this cell holds control characters (shown as ␛, ␇…): edit it in an "
                    "outside editor (editor: $EDITOR in marimo-tui.yaml)",
                    severity="warning",
                    timeout=8,
                )
                return None
            return await self.app.push_screen_wait(CellEditorScreen(title, code))
        return self._external_editor(editor, code)

    def _external_editor(self, editor: str, code: str) -> str | None:
        command = os.environ.get("EDITOR", "") if editor == "$EDITOR" else editor
        if not command:
            self.app.notify("editor is $EDITOR but EDITOR is not set", severity="error")
            return None
        state = self.workbench.config.state_dir
        try:  # the cell's code goes in a file there: never through a link out of the project
            check_inside(state, self.workbench.root)
        except OutsideRoot as exc:
            self.app.notify(f"cannot hand the cell to {command}: {exc}", severity="error")
            return None
        state.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", suffix=".py", prefix="cell-", dir=state, delete=False, encoding="utf-8"
        ) as handle:
            handle.write(code + "\n")
            tmp = Path(handle.name)
        try:
            with self.app.suspend():
                done = subprocess.run([*shlex.split(command), str(tmp)], check=False)
            if done.returncode != 0:
                self.app.notify(
                    f"{command} exited with {done.returncode}: not saved", severity="warning"
                )
                return None
            return tmp.read_text(encoding="utf-8").removesuffix("\n")
        except (OSError, ValueError) as exc:
            self.app.notify(f"cannot run editor {command!r}: {exc}", severity="error")
            return None
        finally:
            tmp.unlink(missing_ok=True)

    # -- flows -------------------------------------------------------------------------------
    async def edit(self, notebook: Notebook, cell: Cell) -> None:
        code = await self._ask_code(f"Edit {cell.label} in {notebook.path.name}", cell.code)
        if code is None or code == cell.code:
            return
        await self.save_code(notebook, cell, code, notebook.base_hash)

    async def save_code(self, notebook: Notebook, cell: Cell, code: str, base: str | None) -> None:
        path = notebook.path

        async def resolve(conflict: ConflictError) -> None:
            await self._resolve_conflict(notebook, cell, code, conflict)

        if await self._write(lambda s: s.replace_cell(path, cell.id, code, base=base), resolve):
            self.app.notify(f"saved {cell.label}")

    async def _resolve_conflict(
        self, notebook: Notebook, cell: Cell, mine: str, conflict: ConflictError
    ) -> None:
        try:
            theirs_nb = await self.workbench.run_in_store(lambda s: s.read(notebook.path))
        except (StoreError, NotebookError) as exc:
            self.app.notify(
                f"{exc}; your version is kept in {conflict.saved_as}", severity="error", timeout=12
            )
            return
        theirs = theirs_nb.find(cell.id)
        choice = await self.app.push_screen_wait(
            ConflictScreen(
                f"{cell.label} ({notebook.path.name})",
                mine,
                theirs.code if theirs else None,
                self.workbench.relative(conflict.saved_as) if conflict.saved_as else "the journal",
            )
        )
        if choice == "theirs":
            kept = conflict.saved_as.name if conflict.saved_as else "the journal"
            self.app.notify(f"kept the version on disk; yours is in {kept}")
        elif choice == "mine":
            if theirs is not None:
                await self.save_code(theirs_nb, theirs, mine, theirs_nb.base_hash)
            else:
                position = min(notebook.position(cell.id), len(theirs_nb.cells))
                await self._write(
                    lambda s: s.add_cell(
                        theirs_nb.path,
                        mine,
                        before=theirs_nb.cells[position].id
                        if position < len(theirs_nb.cells)
                        else None,
                        base=theirs_nb.base_hash,
                    )
                )
        elif choice == "edit":
            code = await self._ask_code(f"Edit {cell.label} (again)", mine)
            if code is not None:
                target = theirs or cell
                await self.save_code(theirs_nb, target, code, theirs_nb.base_hash)

    async def add_below(self, notebook: Notebook, cell: Cell | None) -> None:
        code = await self._ask_code(f"New cell in {notebook.path.name}", "")
        if code is None:
            return
        after = cell.id if cell is not None else None
        result = await self._write(
            lambda s: s.add_cell(notebook.path, code, after=after, base=notebook.base_hash)
        )
        if result is not None and result.cell_id is not None:
            self.app.cell_view.select_id(result.cell_id)

    async def delete(self, notebook: Notebook, cell: Cell) -> None:
        lines = cell.code.count("\n") + 1
        question = f"Delete cell {cell.label} ({lines} line{'s' if lines != 1 else ''})?"
        if not await self.app.push_screen_wait(ConfirmScreen(question, "Delete")):
            return
        if await self._write(
            lambda s: s.delete_cell(notebook.path, cell.id, base=notebook.base_hash)
        ):
            self.app.notify(f"deleted {cell.label} (u undoes)")

    async def move(self, notebook: Notebook, cell: Cell, step: int) -> None:
        position = notebook.position(cell.id) + step
        if not 0 <= position < len(notebook.cells):
            return
        await self._write(
            lambda s: s.move_cell(notebook.path, cell.id, position, base=notebook.base_hash)
        )

    async def rename(self, notebook: Notebook, cell: Cell) -> None:
        name = await self.app.push_screen_wait(
            PromptScreen(
                f"Rename {cell.label}",
                "" if not cell.named else cell.name,
                "a Python name; empty for an unnamed cell",
            )
        )
        if name is None:
            return
        name = name.strip() or "_"
        if name == cell.name:
            return
        await self._write(
            lambda s: s.rename_cell(notebook.path, cell.id, name, base=notebook.base_hash)
        )

    async def undo(self, path: Path) -> None:
        try:
            message = await self.workbench.undo(path)
        except (StoreError, NotebookError) as exc:
            self.app.notify(str(exc), severity="warning")
            return
        self.app.notify(message)
