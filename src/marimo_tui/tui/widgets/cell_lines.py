"""A cell's text rows in the cell view: its header (status, name, #N, timing), what it defines
and reads, its code (highlighted once the first frame is up) and its errors. Cached by what
they show, so the same cell gives the same list and is not repainted."""

from __future__ import annotations

import builtins
import time

from textual.cache import LRUCache
from textual.content import Content

from marimo_tui.notebook.model import Cell, CellKind
from marimo_tui.notebook.pyversion import is_requirement
from marimo_tui.safe_text import one_line, visible

BUILTINS = frozenset(dir(builtins))  # marimo counts them as refs; shown they are only noise
STATUS_BADGES = {
    # status -> (symbol, label, component class)
    "pending": ("…", "analysing", "dim"),
    "syntax-error": ("✗", "syntax error", "error"),
    # Valid code for a newer Python than ours: not broken, kept as written; it cannot run here.
    "needs-python": ("⚠", "needs a newer Python", "warning"),
    "parsed": ("·", "not run", "dim"),
    "not-run": ("·", "not run", "dim"),
    "queued": ("◷", "queued", "running"),
    "running": ("▶", "running", "running"),
    "idle": ("✓", "ran", "ok"),
    "stale": ("◌", "stale: rerun to update", "warning"),
    "error": ("✗", "error", "error"),
    "disabled": ("⊘", "disabled", "dim"),
}
SPINNER = "◐◓◑◒"


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


class CellLines:
    def __init__(self) -> None:
        self.highlighting = False  # switched on after the first frame (pygments is not free)
        self._lines: LRUCache[tuple[object, ...], list[Content]] = LRUCache(2048)
        self._code: LRUCache[tuple[str, bool], list[Content]] = LRUCache(1024)

    def clear(self) -> None:
        self._lines.clear()
        self._code.clear()

    def lines(
        self,
        cell: Cell,
        index: int,
        *,
        status: str,
        seconds: float | None,
        folded: bool,
        code_lines: int,
        broken: str | None,
        pending: bool,
    ) -> list[Content]:
        timing = format_duration(seconds) if seconds is not None else ""
        key: tuple[object, ...] = (timing, cell.id, cell.code, cell.name, cell.kind, cell.error)
        key += (cell.defs, cell.refs, status, folded, broken, self.highlighting, index, pending)
        cached = self._lines.get(key)
        if cached is not None:
            return cached
        symbol, label, style_class = STATUS_BADGES[status]
        if status == "running":
            symbol = SPINNER[int(time.monotonic() * 4) % len(SPINNER)]
        if timing:
            label = f"{label} · {timing}"
        lines: list[Content] = []
        kind = "" if cell.kind == CellKind.CELL else f" {cell.kind}"
        lines.append(
            Content.assemble(
                (f"{symbol} ", f".cell-view--{style_class}"),
                (one_line(cell.name) if cell.named else "_", ".cell-view--header"),
                (f"{kind}  #{index + 1} {cell.id}  ", ".cell-view--dim"),
                (label, f".cell-view--{style_class}"),
            )
        )
        if pending:
            info = "analysing…"
        else:
            defines = ", ".join(sorted(cell.defs)) or "nothing"
            reads = ", ".join(sorted(cell.refs - BUILTINS)) or "nothing"
            info = f"defines {defines} · reads {reads}"
        lines.append(Content.styled(one_line(info), ".cell-view--dim"))
        if folded:
            n = code_lines
            lines.append(Content.styled(f"▸ {n} line{'s' if n != 1 else ''} folded", "italic"))
        else:
            lines.extend(self.code_lines(cell.code, code_lines))
        if cell.error and is_requirement(cell.error):
            lines.append(
                Content.styled(f"⚠ {one_line(cell.error)}; kept as written", ".cell-view--warning")
            )
        elif cell.error:
            lines.append(Content.styled(f"✗ {one_line(cell.error)}", ".cell-view--error"))
        if broken:
            lines.append(Content.styled(f"✗ {one_line(broken)}", ".cell-view--error"))
        self._lines[key] = lines
        return lines

    def code_lines(self, code: str, count: int) -> list[Content]:
        """Exactly `count` lines (one per newline-separated line of `code`)."""
        key = (code, self.highlighting)
        cached = self._code.get(key)
        if cached is None:
            # A string literal may hold a raw ESC or BEL: shown, never sent (newlines stay,
            # so the count holds).
            code = visible(code)
            if self.highlighting and code:
                from textual.highlight import highlight

                # highlight() splits on every line separator Python knows; keep our count.
                parts = highlight(code, language="python").split("\n", allow_blank=True)
                if len(parts) != count:
                    parts = [Content(line) for line in code.split("\n")]
            else:
                parts = [Content(line) for line in code.split("\n")]
            cached = self._code[key] = parts
        return cached
