"""What the kernel knows about one notebook: its cells (marimo's ids, order, code) and each
cell's last run — built from the sidecar's websocket messages, no I/O here.

marimo names cells with its own ids (`Hbol`, `MJUe`, …), which the file does not store; the
workbench's cells have ids of their own. `match` pairs them by position and code, so a view can
show a run next to the right cell even while the file and the kernel briefly disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from marimo_tui.runtime.output_blocks import Chart, Widget
from marimo_tui.runtime.outputs import EMPTY, Output, console_text, convert_output, with_traceback
from marimo_tui.runtime.widgets import (
    patch_model_state,
    patch_value,
    widgets_in_html,
    with_value,
)

# How a cell shows: marimo's own statuses plus what we derive from them.
RunStatus = Literal["not-run", "queued", "running", "idle", "stale", "disabled", "error"]
TRACEBACK_MIME = "application/vnd.marimo+traceback"
CONSOLE_LIMIT = 200_000  # characters of console output kept per cell (the newest)
REUSE_LIMIT = 1 << 20  # characters of an output kept to know a rerun's same output again


@dataclass(frozen=True)
class ConsoleChunk:
    channel: str  # stdout | stderr | media (`plt.show()`: a figure; text is its caption)
    text: str
    chart: Chart | None = None


@dataclass(frozen=True)
class StdinPrompt:
    """A cell waits in `input()` (or `getpass`) for a line: marimo's console chunk of channel
    `stdin` carries the prompt; the cell runs until the line is sent."""

    prompt: str
    password: bool = False


@dataclass(frozen=True)
class CellRun:
    """One cell's state in the kernel. Values: each change makes a new one."""

    cell_id: str
    kernel_status: str = ""  # marimo's: queued, running, idle, disabled-transitively
    stale: bool = False
    ran: bool = False
    started: float | None = None  # the kernel's clock, seconds
    run_time: float | None = None  # seconds of the last finished run
    output: Output = EMPTY
    console: tuple[ConsoleChunk, ...] = ()
    traceback: str = ""
    ran_code: str | None = None  # the code of the last run: differs from the file's when edited
    version: int = 0
    widgets: tuple[Widget, ...] = ()  # the UI elements in `output`, with their values now
    source: tuple[str, str] | None = None  # (mimetype, HTML) of an output with UI elements
    stdin: StdinPrompt | None = None  # set while the cell waits for a line of input

    @property
    def status(self) -> RunStatus:
        if self.kernel_status in ("queued", "running"):
            return self.kernel_status  # type: ignore[return-value]
        if self.kernel_status == "disabled-transitively":
            return "disabled"
        if self.stale:
            return "stale"
        if self.output.kind == "error":
            return "error"
        # marimo shows markdown cells' output without running them: that counts as run.
        return "idle" if self.ran or self.output.kind != "empty" else "not-run"

    @property
    def has_output(self) -> bool:
        return self.output.kind != "empty" or bool(self.console)

    @property
    def console_text(self) -> str:
        return "".join(chunk.text for chunk in self.console)

    @property
    def shown_output(self) -> Output:
        if self.traceback and self.output.kind == "error":
            return with_traceback(self.output, self.traceback)
        return self.output


@dataclass
class KernelState:
    ids: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    runs: dict[str, CellRun] = field(default_factory=dict)
    # anywidget models (model id -> state), from the kernel's model channel
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    document: int = 0  # counts changes of the cells' ids, order and code (not of their runs)
    # cell id -> (the output converted last, its raw (mimetype, data), the run's fields)
    _last_output: dict[str, tuple[Output, tuple[str, object], dict[str, Any]]] = field(
        default_factory=dict, repr=False
    )

    # -- the document --------------------------------------------------------------------------
    def reset(
        self, ids: Iterable[str], codes: Iterable[str], names: Iterable[str], *, resumed: bool
    ) -> None:
        """A kernel's first message: its cells; runs survive only when it resumed a session."""
        self.document += 1
        self.ids = list(ids)
        self.codes = dict(zip(self.ids, codes, strict=False))
        self.names = dict(zip(self.ids, names, strict=False))
        self.runs = {i: r for i, r in self.runs.items() if resumed and i in self.codes}
        self._last_output = {i: o for i, o in self._last_output.items() if i in self.runs}
        if not resumed:
            self.models.clear()

    def apply_transaction(self, changes: Iterable[Mapping[str, Any]]) -> None:
        self.document += 1
        for change in changes:
            kind = change.get("type")
            cell = str(change.get("cellId", ""))
            if kind == "set-code":
                self.codes[cell] = str(change.get("code", ""))
            elif kind == "set-name":
                self.names[cell] = str(change.get("name", ""))
            elif kind == "create-cell":
                self.codes[cell] = str(change.get("code", ""))
                self.names[cell] = str(change.get("name", "_"))
                self._place(cell, change.get("before"), change.get("after"))
            elif kind == "delete-cell":
                self.ids = [i for i in self.ids if i != cell]
                self.codes.pop(cell, None)
                self.names.pop(cell, None)
                self.runs.pop(cell, None)
                self._last_output.pop(cell, None)
            elif kind == "move-cell":
                self.ids = [i for i in self.ids if i != cell]
                self._place(cell, change.get("before"), change.get("after"))
            elif kind == "reorder-cells":
                wanted = [i for i in change.get("cellIds", []) if i in self.codes]
                self.ids = wanted + [i for i in self.ids if i not in set(wanted)]

    def _place(self, cell: str, before: object, after: object) -> None:
        if cell in self.ids:
            self.ids.remove(cell)
        if isinstance(before, str) and before in self.ids:
            self.ids.insert(self.ids.index(before), cell)
        elif isinstance(after, str) and after in self.ids:
            self.ids.insert(self.ids.index(after) + 1, cell)
        else:
            self.ids.append(cell)

    def match(self, codes: list[str]) -> list[str | None]:
        """For each of our cells (by code, in file order) the kernel's cell id, or None."""
        found: list[str | None] = [None] * len(codes)
        used: set[str] = set()
        # Same place, same code: the common case, linear.
        for i, code in enumerate(codes):
            if i < len(self.ids) and self.codes.get(self.ids[i]) == code:
                found[i] = self.ids[i]
                used.add(self.ids[i])
        # Cells that moved: the first unused kernel cell with the same code.
        by_code: dict[str, list[str]] = {}
        for cid in self.ids:
            if cid not in used:
                by_code.setdefault(self.codes.get(cid, ""), []).append(cid)
        for i, code in enumerate(codes):
            if found[i] is None and by_code.get(code):
                found[i] = by_code[code].pop(0)
        return found

    # -- runs ----------------------------------------------------------------------------------
    def set_widget_value(self, object_id: str, value: object) -> CellRun | None:
        """A value the kernel took for a UI element: the cell that shows it shows it now."""
        for cell_id, run in self.runs.items():
            if not any(w.object_id == object_id for w in run.widgets):
                continue
            widgets = tuple(
                with_value(w, value) if w.object_id == object_id else w for w in run.widgets
            )
            changes: dict[str, Any] = {"widgets": widgets, "version": run.version + 1}
            patched = patch_value(run.source[1], object_id, value) if run.source else None
            if run.source is not None and patched is not None:
                changes["source"] = (run.source[0], patched)
                changes["output"] = convert_output(run.source[0], patched)
            new = replace(run, **changes)
            self.runs[cell_id] = new
            return new
        return None

    def apply_model(self, data: Mapping[str, Any]) -> list[CellRun]:
        """A `model-lifecycle` message (anywidget's model channel): the model's state kept,
        and the runs showing that widget, which show its values now."""
        model_id = str(data.get("model_id", ""))
        message = data.get("message")
        method = message.get("method") if isinstance(message, Mapping) else None
        state = message.get("state") if isinstance(message, Mapping) else None
        if method == "close":
            self.models.pop(model_id, None)
            return []
        if method not in ("open", "update") or not isinstance(state, Mapping):
            return []
        model = self.models.setdefault(model_id, {})
        model.update(state)
        changed: list[CellRun] = []
        for cell_id, run in list(self.runs.items()):
            if run.source is None or not any(
                w.kind == "anywidget" and w.attrs.get("model-id") == model_id for w in run.widgets
            ):
                continue
            patched = patch_model_state(run.source[1], model_id, model)
            if patched is None:
                continue
            new = replace(
                run,
                source=(run.source[0], patched),
                output=convert_output(run.source[0], patched),
                widgets=widgets_in_html(patched),
                version=run.version + 1,
            )
            self.runs[cell_id] = new
            changed.append(new)
        return changed

    def answered(self, cell_id: str, text: str) -> CellRun:
        """The line sent to a waiting cell: shown after its prompt, as a terminal echoes it."""
        run = self.run_of(cell_id)
        echo = "" if run.stdin is not None and run.stdin.password else text
        new = replace(
            run,
            stdin=None,
            console=_cap((*run.console, ConsoleChunk("stdin", echo + "\n"))),
            version=run.version + 1,
        )
        self.runs[cell_id] = new
        return new

    def run_of(self, cell_id: str) -> CellRun:
        return self.runs.get(cell_id) or CellRun(cell_id)

    def edited(self, cell_id: str) -> bool:
        """The cell's code changed since it last ran (marimo left the rerun to the user)."""
        run = self.runs.get(cell_id)
        return (
            run is not None
            and run.ran_code is not None
            and run.ran_code != self.codes.get(cell_id, run.ran_code)
        )

    def apply_cell_op(self, data: Mapping[str, Any]) -> CellRun:
        """Fold one `cell-op` message into the cell's state; returns the new state."""
        cell_id = str(data.get("cell_id", ""))
        run = self.run_of(cell_id)
        changes: dict[str, Any] = {"version": run.version + 1}
        status = data.get("status")
        stamp = data.get("timestamp")
        if status:
            changes["kernel_status"] = status
            if status == "running":
                changes["started"] = stamp if isinstance(stamp, int | float) else None
                changes["ran_code"] = self.codes.get(cell_id)
                changes["traceback"] = ""
            if status != "running":
                changes["stdin"] = None  # an interrupted or finished cell reads no more
            if status == "idle" and run.kernel_status == "running":
                changes["ran"] = True
                if run.started is not None and isinstance(stamp, int | float):
                    changes["run_time"] = max(0.0, stamp - run.started)
        if data.get("stale_inputs") is not None:
            changes["stale"] = bool(data["stale_inputs"])
        elif status == "running":
            changes["stale"] = False
        output = data.get("output")
        if isinstance(output, Mapping):
            changes.update(
                self._converted(run, str(output.get("mimetype", "")), output.get("data"))
            )
        console = data.get("console")
        items: list[Any] = []
        if isinstance(console, list):  # a whole new console (empty: cleared for a new run)
            items = console
            chunks, traceback = self._console(console)
            changes["console"] = chunks
            changes["traceback"] = traceback
            changes["stdin"] = None
        elif isinstance(console, Mapping):
            items = [console]
            chunks, traceback = self._console([console])
            changes["console"] = _cap(run.console + chunks)
            if traceback:
                changes["traceback"] = traceback
        prompt = _stdin_request(items)
        if prompt is not None and changes.get("kernel_status", run.kernel_status) == "running":
            changes["stdin"] = prompt
        new = replace(run, **changes)
        self.runs[cell_id] = new
        return new

    def _converted(self, run: CellRun, mimetype: str, payload: object) -> dict[str, Any]:
        """A cell's output as the view reads it. A rerun that shows the same as before gets
        the very same objects: the view keys its rendered rows by them, so a rerun of 100
        markdown cells costs no rendering (~2.5 ms each) and no repaint."""
        if isinstance(payload, str) and "marimo-anywidget" in payload:
            for model_id, state in self.models.items():
                payload = patch_model_state(payload, model_id, state) or payload
        last = self._last_output.get(run.cell_id)
        if last is not None and last[0] is run.output and last[1] == (mimetype, payload):
            return last[2]
        widgets = widgets_in_html(payload) if isinstance(payload, str) else ()
        converted = convert_output(mimetype, payload)
        changes: dict[str, Any] = {
            "output": converted,
            "widgets": widgets,
            "source": (mimetype, payload) if widgets and isinstance(payload, str) else None,
        }
        if isinstance(payload, str | None) and len(payload or "") <= REUSE_LIMIT:
            self._last_output[run.cell_id] = (converted, (mimetype, payload), changes)
        else:
            self._last_output.pop(run.cell_id, None)
        return changes

    @staticmethod
    def _console(items: Iterable[Any]) -> tuple[tuple[ConsoleChunk, ...], str]:
        chunks: list[ConsoleChunk] = []
        traceback = ""
        for item in items:
            if not isinstance(item, Mapping):
                continue
            mimetype = str(item.get("mimetype", "text/plain"))
            if item.get("channel") == "media":  # `plt.show()`: a figure, not text
                media = convert_output(mimetype, item.get("data"))
                if media.chart is not None:
                    chunks.append(ConsoleChunk("media", f"{media.text}\n", media.chart))
                    continue
            text = console_text(mimetype, item.get("data"))
            if mimetype == TRACEBACK_MIME:
                traceback = text  # shown with the error, not twice
                continue
            chunks.append(ConsoleChunk(str(item.get("channel", "stdout")), text))
        return _cap(tuple(chunks)), traceback


def _stdin_request(items: Iterable[Any]) -> StdinPrompt | None:
    last = None
    for item in items:
        if isinstance(item, Mapping):
            last = item
    if last is None or last.get("channel") != "stdin":
        return None
    mimetype = str(last.get("mimetype", "text/plain"))
    return StdinPrompt(console_text(mimetype, last.get("data")), mimetype == "text/password")


def _cap(chunks: tuple[ConsoleChunk, ...]) -> tuple[ConsoleChunk, ...]:
    total = sum(len(c.text) for c in chunks)
    if total <= CONSOLE_LIMIT:
        return chunks
    kept: list[ConsoleChunk] = []
    budget = CONSOLE_LIMIT
    for chunk in reversed(chunks):
        if budget <= 0:
            break
        kept.append(
            chunk if len(chunk.text) <= budget else replace(chunk, text=chunk.text[-budget:])
        )
        budget -= len(chunk.text)
    return tuple(reversed(kept))
