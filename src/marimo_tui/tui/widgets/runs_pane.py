"""The runs pane: recent Dagster runs of the paired assets (all runs with `a`), live.

A table the poller refills: status in colour, asset or job, start time, a duration that ticks
while the run is in flight, steps succeeded / failed. Enter opens a run; `l` launches the open
notebook's asset, `L` opens the launch dialog (partition, config, tags), `r` relaunches the selected
run with its config, `x` terminates it (the app asks first).
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from marimo_tui.dagster.model import Run, RunStats
from marimo_tui.dagster.poller import PollState
from marimo_tui.safe_text import one_line

STATUS_STYLE = {
    "SUCCESS": "bold green",
    "FAILURE": "bold red",
    "CANCELED": "yellow",
    "CANCELING": "yellow",
    "STARTED": "bold cyan",
    "STARTING": "cyan",
    "QUEUED": "magenta",
    "NOT_STARTED": "dim",
}
COLUMNS = ("status", "asset / job", "started", "duration", "steps")
SHOWN = 50


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def status_text(status: str) -> Text:
    return Text(one_line(status.lower()), style=STATUS_STYLE.get(status, ""))


def steps_text(stats: RunStats | None) -> Text:
    if stats is None:
        return Text("")
    text = Text(f"✓{stats.steps_succeeded}", style="green")
    if stats.steps_failed:
        text.append(f" ✗{stats.steps_failed}", style="red")
    return text


class RunsPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "request('open')", "Open run", id="open_run"),
        Binding("l", "request('launch')", "Launch asset", id="launch_asset"),
        Binding("L", "request('launch_dialog')", "Launch…", id="launch_dialog"),
        Binding("r", "request('relaunch')", "Relaunch", id="relaunch_run"),
        Binding("x", "request('terminate')", "Terminate", id="terminate_run"),
        Binding("a", "toggle_all", "All runs", id="toggle_all_runs"),
    ]
    DEFAULT_CSS = """
    RunsPane { background: $surface; }
    RunsPane > #runs-state { height: 1; color: $text-muted; }
    RunsPane > DataTable { height: 1fr; background: $surface; }
    """

    class Requested(Message):
        def __init__(self, action: str, run_id: str | None) -> None:
            super().__init__()
            self.action = action
            self.run_id = run_id

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.show_all = False
        self.paired: set[tuple[str, ...]] = set()
        self.state: PollState | None = None
        self.connection = "connecting…"
        self._rows: list[str] = []
        self._shown: dict[str, tuple[Run, RunStats | None]] = {}

    def compose(self) -> ComposeResult:
        yield Static(self.connection, id="runs-state", markup=False)
        table: DataTable[Text | str] = DataTable(cursor_type="row", zebra_stripes=False)
        for column in COLUMNS:
            table.add_column(column, key=column)
        yield table

    @property
    def table(self) -> DataTable[Text | str]:
        return self.query_one(DataTable)

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    # -- what it shows ---------------------------------------------------------------------
    def visible_runs(self) -> list[Run]:
        if self.state is None:
            return []
        runs = self.state.newest()
        if not self.show_all:
            runs = [r for r in runs if any(a in self.paired for a in r.assets)]
        return runs[:SHOWN]

    def set_connection(self, text: str) -> None:
        self.connection = text
        self._header()

    def _header(self) -> None:
        scope = "all runs" if self.show_all else "runs of paired notebooks"
        count = len(self._rows)
        self.query_one("#runs-state", Static).update(
            one_line(f"{self.connection} · {scope} ({count}) · a: toggle")
        )

    def refresh_runs(self, state: PollState) -> None:
        """Redraw from the poller's state; rows that did not change are left alone."""
        self.state = state
        table = self.table
        runs = self.visible_runs()
        ids = [r.run_id for r in runs]
        selected = self.selected_run_id()
        now = time.time()
        if ids != self._rows:
            table.clear()
            for run in runs:
                table.add_row(*self._cells(run, state.stats.get(run.run_id), now), key=run.run_id)
            self._rows = ids
            self._shown = {r.run_id: (r, state.stats.get(r.run_id)) for r in runs}
            if selected in ids:
                table.move_cursor(row=ids.index(selected))
        else:
            for run in runs:
                stats = state.stats.get(run.run_id)
                if self._shown.get(run.run_id) != (run, stats):
                    self._shown[run.run_id] = (run, stats)
                    for column, value in zip(COLUMNS, self._cells(run, stats, now), strict=True):
                        table.update_cell(run.run_id, column, value)
        self._header()

    def _cells(self, run: Run, stats: RunStats | None, now: float) -> list[Text | str]:
        started = time.strftime("%H:%M:%S", time.localtime(run.started or run.created))
        return [
            status_text(run.status),
            # A str cell of a DataTable is parsed as markup: an asset key is text.
            Text(one_line(run.target)),
            started,
            duration_text(run.duration(now)),
            steps_text(stats),
        ]

    def _tick(self) -> None:
        """The durations of runs in flight go on ticking between polls."""
        if not self._rows:
            return
        now = time.time()
        table = self.table
        for run_id in self._rows:
            run, _ = self._shown[run_id]
            if run.in_flight and run.started:
                table.update_cell(run_id, "duration", duration_text(run.duration(now)))

    def select_run(self, run_id: str) -> None:
        """Put the cursor on this run (a run just launched), when it is listed."""
        if run_id in self._rows:
            self.table.move_cursor(row=self._rows.index(run_id))

    def selected_run_id(self) -> str | None:
        table = self.table
        if not self._rows or table.cursor_row is None or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]

    # -- keys ----------------------------------------------------------------------------
    def action_request(self, action: str) -> None:
        self.post_message(self.Requested(action, self.selected_run_id()))

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        if self.state is not None:
            self.refresh_runs(self.state)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Requested("open", str(event.row_key.value)))
