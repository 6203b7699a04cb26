"""The status bar: project, notebook and one word per service (watcher, sidecar, model, Dagster)."""

from __future__ import annotations

from textual.widgets import Static


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.project = ""
        self.notebook = ""
        self.services: dict[str, tuple[str, bool]] = {}
        self.hint = ""

    def set(
        self, *, project: str | None = None, notebook: str | None = None, hint: str | None = None
    ) -> None:
        if hint is not None:
            self.hint = hint
        if project is not None:
            self.project = project
        if notebook is not None:
            self.notebook = notebook
        self.redraw()

    def set_service(self, name: str, state: str, ok: bool = True) -> None:
        self.services[name] = (state, ok)
        self.redraw()

    def redraw(self) -> None:
        parts = [self.hint, self.project, self.notebook or "no notebook"]
        parts += [
            f"{name}: {state}" + ("" if ok else " ✗") for name, (state, ok) in self.services.items()
        ]
        self.update(" │ ".join(p for p in parts if p))
