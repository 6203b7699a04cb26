"""The status bar: project, notebook and one word per service (watcher, sidecar, model, Dagster),
and how full the model's context window is."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content, Span
from textual.widgets import Static

from marimo_tui.safe_text import one_line
from marimo_tui.tui import workbench_messages as wm
from marimo_tui.tui.workbench_messages import shows_errors

SEPARATOR = " │ "
WARN_PERCENT = 85  # above this the window is close to compaction (or to the server's refusal)
NEVER = 99  # the rank of segments that are never left out for want of width
# When the bar is too narrow, healthy services and the project's name give way, lowest first.
DROP_ORDER = {"dagster": 1, "watcher": 3, "marimo": 4, "model": 6}
PROJECT_RANK = 2
HINT_RANK = 7  # the narrow layout's hint (how to switch panes) outlasts the model's name


def tokens_text(n: int) -> str:
    """Tokens the way windows are quoted (8192 is 8k): 850, 2.9k, 32k."""
    if n < 1000:
        return str(n)
    k = n / 1024
    return (f"{k:.1f}".removesuffix(".0") if k < 9.95 else f"{k:.0f}") + "k"


def context_text(
    window: int, source: str, used: int | None, estimated: bool, compacted: int = 0
) -> str:
    """`ctx 8k (ollama /api/show)` before the first request; then `ctx ~2.9k/8k 36%`, with `~`
    while the count is ours rather than the server's."""
    if used is None:
        return f"ctx {tokens_text(window)}" + (f" ({source})" if source else "")
    text = f"ctx {'~' if estimated else ''}{tokens_text(used)}/{tokens_text(window)}"
    text += f" {round(100 * used / window) if window else 0}%"
    return text + (" · compacted" if compacted else "")


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
        self.context: tuple[str, str] | None = None  # (text, style)
        self._shown: tuple[str, Sequence[Span]] | None = None

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

    @shows_errors
    def on_workbench_service_state(self, message: wm.ServiceState) -> None:
        event = message.event
        self.set_service(event.service, event.state, event.ok)

    def set_service(self, name: str, state: str, ok: bool = True) -> None:
        self.services[name] = (state, ok)
        self.redraw()

    def set_context(
        self, window: int, source: str, used: int | None, estimated: bool, compacted: int = 0
    ) -> None:
        """The model's window and, once a request was sent, how much of it that request used."""
        percent = round(100 * used / window) if used is not None and window else 0
        style = "$error" if percent > 100 else "$warning" if percent > WARN_PERCENT else ""
        self.context = (context_text(window, source, used, estimated, compacted), style)
        self.redraw()

    def clear_context(self) -> None:
        self.context = None
        self.redraw()

    @property
    def text(self) -> str:
        return self._content().plain

    def _content(self, width: int | None = None) -> Content:
        """The segments that fit `width`: healthy services and the project's name give way
        first, so the notebook, the model, the window and anything wrong stay in sight."""
        parts: list[tuple[str, str, int]] = []  # text, style, rank: lower ranks go first
        # Names and states come from file names and servers' errors: shown, never sent.
        if self.hint:
            parts.append((self.hint, "", HINT_RANK))
        if self.project:
            parts.append((self.project, "", PROJECT_RANK))
        parts.append((self.notebook or "no notebook", "", NEVER))
        for name, (state, ok) in self.services.items():
            text = f"{name}: {state}" + ("" if ok else " ✗")
            parts.append((text, "", DROP_ORDER.get(name, 4) if ok else NEVER))
            if name == "model" and self.context is not None:
                parts.append((*self.context, NEVER))  # the model's window next to the model
        if self.context is not None and "model" not in self.services:
            parts.append((*self.context, NEVER))
        parts = [(one_line(text), style, rank) for text, style, rank in parts]
        if width is not None:
            while _length(parts) > width and (droppable := [p for p in parts if p[2] < NEVER]):
                parts.remove(min(droppable, key=lambda p: p[2]))
        pieces: list[str | tuple[str, str]] = []
        for i, (text, style, _) in enumerate(parts):
            pieces += [SEPARATOR] if i else []
            pieces.append((text, style) if style else text)
        return Content.assemble(*pieces)

    def redraw(self) -> None:
        # Called on every change on disk (the notebook's label): the same line is not drawn
        # again, and a new one never needs a layout (one row, as wide as the screen) — a
        # layout would repaint every pane.
        width = self.content_size.width
        content = self._content(width or None)
        shown = (content.plain, content.spans)  # (Content's == ignores styles)
        if shown != self._shown:
            self._shown = shown
            self.update(content, layout=False)

    def on_resize(self) -> None:
        self.redraw()


def _length(parts: list[tuple[str, str, int]]) -> int:
    return sum(len(text) for text, _, _ in parts) + len(SEPARATOR) * (len(parts) - 1)
