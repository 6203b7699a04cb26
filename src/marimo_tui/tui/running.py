"""Running cells from the cell view: run, run all, interrupt, restart, see a whole output."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marimo_tui.processes import describe_exit
from marimo_tui.runtime.session import SessionError

if TYPE_CHECKING:
    from marimo_tui.notebook.model import Cell, Notebook
    from marimo_tui.runtime.manager import Runtime
    from marimo_tui.tui.actions import RunAction
    from marimo_tui.tui.app import WorkbenchApp


class RunFlows:
    def __init__(self, app: WorkbenchApp) -> None:
        self.app = app

    def _runtime(self) -> Runtime | None:
        runtime = self.app.workbench.runtime
        if runtime is None:
            self.app.notify(
                "cells do not run here: the marimo server is off (marimo.enabled: false)",
                severity="warning",
            )
        return runtime

    async def handle(self, action: RunAction, notebook: Notebook, cell: Cell | None) -> None:
        if action == "view_output":
            self.view_output(notebook, cell)
            return
        runtime = self._runtime()
        if runtime is None:
            return
        try:
            if action == "run":
                if cell is None:
                    self.app.notify("no cell selected", severity="warning")
                    return
                kid = self.app.cell_view.kernel_id(cell)
                if kid is None:
                    raise SessionError(
                        "the kernel has not seen this version of the cell yet; try again "
                        "in a moment"
                    )
                await runtime.run_cells(notebook.path, [kid])
            elif action == "run_all":
                await runtime.run_all(notebook.path)
            elif action == "interrupt":
                await runtime.interrupt(notebook.path)
                self.app.notify("interrupt sent", timeout=2)
            elif action == "restart":
                await self._restart(runtime, notebook)
        except SessionError as exc:
            self.app.notify(str(exc), severity="error", timeout=6)

    async def _restart(self, runtime: Runtime, notebook: Notebook) -> None:
        from marimo_tui.tui.screens.dialogs import ConfirmScreen

        if runtime.sidecar.state != "ready":  # no kernel to lose: bring the server back now
            runtime.restart_server()
            self.app.notify("marimo server restarting now", timeout=3)
            return
        question = (
            f"Restart the kernel of {notebook.path.name}? Its variables are lost; "
            "every cell runs again."
        )
        if await self.app.push_screen_wait(ConfirmScreen(question, "Restart")):
            await runtime.restart_kernel(notebook.path)
            self.app.notify("kernel restarting", timeout=3)

    def view_output(self, notebook: Notebook, cell: Cell | None) -> None:
        from marimo_tui.tui.screens.output_viewer import OutputScreen

        run = self.app.cell_view.run_for(cell) if cell is not None else None
        if cell is None or run is None or not run.has_output:
            self.app.notify("this cell has no output yet", severity="warning")
            return
        title = f"{notebook.path.name} · {cell.label}"
        view = self.app.cell_view
        screen = OutputScreen(
            title,
            run.shown_output,
            run.console_text,
            cell.code,
            cell_names=view.cell_names,
            tabs=view.tab_choice(cell),
        )
        self.app.push_screen(screen)

    def show_server(self) -> None:
        from marimo_tui.tui.screens.sidecar import SidecarScreen

        runtime = self._runtime()
        if runtime is None:
            return
        sidecar = runtime.sidecar
        session = runtime.session
        url = session.browser_url if session is not None else sidecar.browser_url
        info = [
            f"state: {sidecar.state}"
            + (f" ({sidecar.detail})" if sidecar.state != "ready" else ""),
            f"pid {sidecar.pid or '-'} · restarts {sidecar.restarts}"
            + (
                f" · last exit {describe_exit(sidecar.process.returncode)}"
                if sidecar.process is not None and sidecar.process.returncode is not None
                else ""
            ),
            f"log: {self.app.workbench.relative(sidecar.log_path)}",
        ]

        def copy(wanted: bool | None) -> None:
            if wanted:
                self.app.copy_to_clipboard(url)
                self.app.notify("URL copied (OSC 52)", timeout=3)

        self.app.push_screen(SidecarScreen(url, info), copy)
