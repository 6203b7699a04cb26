"""The cell view's UI elements and `input()` prompts, wired to the notebook's live session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marimo_tui.runtime.session import SessionError

if TYPE_CHECKING:
    from marimo_tui.notebook.model import Cell, Notebook
    from marimo_tui.runtime.kernel_state import KernelState
    from marimo_tui.runtime.session import NotebookSession
    from marimo_tui.tui.app import WorkbenchApp


class WidgetFlows:
    def __init__(self, app: WorkbenchApp) -> None:
        self.app = app
        self._latest: dict[str, object] = {}  # per element: the newest value not yet sent
        self._prompted: set[str] = set()  # kernel cells whose current prompt was announced

    def _session(self, notebook: Notebook) -> NotebookSession:
        runtime = self.app.workbench.runtime
        session = runtime.session if runtime is not None else None
        if session is None or session.path != notebook.path:
            raise SessionError("this notebook has no live marimo session (is marimo off?)")
        return session

    async def open(self, notebook: Notebook, cell: Cell | None) -> None:
        """Space on a cell: its `input()` prompt when it waits for one, else its elements."""
        from marimo_tui.tui.screens.ui_elements import ElementsScreen

        try:
            session = self._session(notebook)
            kid = self.app.cell_view.kernel_id(cell) if cell is not None else None
            waiting = session.waiting_for_input()
            if kid in waiting or (waiting and (kid is None or not session.widgets_of(kid))):
                await self.answer(notebook, kid if kid in waiting else waiting[0])
                return
            elements = session.widgets_of(kid) if kid is not None else ()
        except SessionError as exc:
            self.app.notify(str(exc), severity="error", timeout=6)
            return
        if cell is None or not elements:
            self.app.notify("this cell shows no UI elements", severity="warning")
            return

        async def send(object_id: str, value: object) -> None:
            await self.send(notebook, object_id, value)

        title = f"{notebook.path.name} · {cell.label}"
        self.app.push_screen(ElementsScreen(title, elements, send))

    async def send(self, notebook: Notebook, object_id: str, value: object) -> None:
        """Coalesced: while one value is on its way, only the newest next one is sent (a held
        arrow key would otherwise queue a rerun per step)."""
        busy = object_id in self._latest
        self._latest[object_id] = value
        if busy:
            return
        try:
            while object_id in self._latest:
                wanted = self._latest[object_id]
                await self._session(notebook).set_ui_value(object_id, wanted)
                if self._latest.get(object_id) is wanted:
                    del self._latest[object_id]
        except SessionError as exc:
            self._latest.pop(object_id, None)
            self.app.notify(str(exc), severity="error", timeout=6)

    async def answer(self, notebook: Notebook, kernel_id: str) -> None:
        from marimo_tui.tui.screens.ui_elements import StdinScreen

        session = self._session(notebook)
        prompt = session.kernel.run_of(kernel_id).stdin
        if prompt is None:
            return
        name = self._cell_label(kernel_id)
        title = f"{notebook.path.name} · {name} waits for input()"
        line = await self.app.push_screen_wait(
            StdinScreen(title, prompt.prompt, password=prompt.password)
        )
        if line is None:
            return
        try:
            await self._session(notebook).answer_stdin(kernel_id, line)
        except SessionError as exc:
            self.app.notify(str(exc), severity="error", timeout=6)

    def _cell_label(self, kernel_id: str) -> str:
        view = self.app.cell_view
        for cell in view.cells():
            if view.kernel_id(cell) == kernel_id:
                return cell.label
        return "a cell"

    def announce_prompt(self, kernel: KernelState, cell_id: str | None) -> None:
        """A cell began waiting in `input()`: say so once, with the key that answers it."""
        if cell_id is None:
            return
        if kernel.run_of(cell_id).stdin is None:
            self._prompted.discard(cell_id)
        elif cell_id not in self._prompted:
            self._prompted.add(cell_id)
            self.app.notify(
                f"{self._cell_label(cell_id)} waits for input(): select it and press space",
                timeout=8,
                markup=False,
            )
