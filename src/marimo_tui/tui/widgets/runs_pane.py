"""The runs pane: recent Dagster runs of the paired assets (all runs with `a`), live, and with `s`
the asset view: the paired assets (all with `a`) with their staleness, latest materialization,
partition counts and check results.

The poller refills both tables. Enter opens a run (in the asset view, the asset's latest one);
`l` launches the open notebook's asset, `L` opens the launch dialog (partition, config, tags),
`r` relaunches the selected run with its config, `x` terminates it (the app asks first), `R`
reloads the code locations. Above the table: the connection, and what is
wrong until it is fixed (a code location that does not load, a task that fails).

The workbench gives the pane a fifth of its width: a few dozen columns. Below `WIDE` columns the
status is one coloured glyph and the start time goes, so the name gets the rest of the row.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.events import Resize
from textual.message import Message
from textual.widgets import DataTable, Static

from marimo_tui.dagster.model import AssetStatus, Run, RunStats
from marimo_tui.dagster.poller import PollState
from marimo_tui.safe_text import one_line
from marimo_tui.tui.actions import RUNS_BINDINGS
from marimo_tui.tui.widgets.run_cells import (
    ago_text,
    checks_text,
    cut_key,
    detail_text,
    duration_text,
    partitions_text,
    stale_text,
    started_text,
    status_text,
    steps_text,
)

SHOWN = 50
WIDE = 70  # table columns from which every column is shown in full
ROOMY = 34  # below this, the narrow layout drops a column more
NAME_MIN = 8
PAD = 2  # a DataTable cell's padding, both sides
View = Literal["runs", "assets"]
Column = tuple[str, str, int]  # key, label, width


def run_columns(width: int) -> list[Column]:
    if width >= WIDE:
        fixed = [("status", "status", 9), ("started", "started", 8), ("duration", "time", 6)]
        fixed.append(("steps", "steps", 6))
    else:
        fixed = [("status", "", 1), ("duration", "time", 6)]
        if width >= ROOMY:
            fixed.append(("steps", "steps", 5))
    return _with_name(width, fixed, "asset / job")


def asset_columns(width: int) -> list[Column]:
    if width >= WIDE:
        fixed = [("stale", "state", 9), ("materialized", "last", 5)]
        fixed += [("partitions", "partitions", 14), ("checks", "checks", 8)]
    else:
        # Partition counts and check results share a column: few assets have both.
        fixed = [("stale", "", 1), ("detail", "parts ✓✗", 12 if width >= ROOMY else 9)]
    return _with_name(width, fixed, "asset")


def _with_name(width: int, fixed: list[Column], label: str) -> list[Column]:
    """The name goes second and gets what the other columns leave (one for the scrollbar)."""
    rest = width - sum(w + PAD for _, _, w in fixed) - PAD - 1
    return [fixed[0], ("name", label, max(NAME_MIN, rest)), *fixed[1:]]


class RunsPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = list(RUNS_BINDINGS)
    DEFAULT_CSS = """
    RunsPane { background: $surface; }
    RunsPane > #runs-state { height: 1; color: $text-muted; }
    RunsPane > #runs-notes { height: auto; max-height: 8; color: $error; display: none; }
    RunsPane > #runs-notes.-shown { display: block; }
    RunsPane > DataTable { height: 1fr; background: $surface; scrollbar-size-vertical: 1; }
    RunsPane > DataTable.-hidden { display: none; }
    """

    class Requested(Message):
        def __init__(self, action: str, run_id: str | None) -> None:
            super().__init__()
            self.action = action
            self.run_id = run_id

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.show_all = False
        self.view: View = "runs"
        self.paired: set[tuple[str, ...]] = set()
        self.state: PollState | None = None
        self.connection = "connecting…"
        self.notes: tuple[str, ...] = ()
        self._width = 0
        self._rows: list[str] = []
        self._shown: dict[str, tuple[Run, RunStats | None]] = {}
        self._assets: list[tuple[str, ...]] = []
        self._asset_rows: dict[tuple[str, ...], AssetStatus] = {}

    def compose(self) -> ComposeResult:
        yield Static(self.connection, id="runs-state", markup=False)
        yield Static("", id="runs-notes", markup=False)
        yield DataTable[Text | str](id="runs-table", cursor_type="row", zebra_stripes=False)
        yield DataTable[Text | str](
            id="assets-table", cursor_type="row", zebra_stripes=False, classes="-hidden"
        )

    @property
    def table(self) -> DataTable[Text | str]:
        """The table on show (runs or assets)."""
        return self.query_one(f"#{self.view}-table", DataTable)

    @property
    def runs_table(self) -> DataTable[Text | str]:
        return self.query_one("#runs-table", DataTable)

    @property
    def assets_table(self) -> DataTable[Text | str]:
        return self.query_one("#assets-table", DataTable)

    def on_mount(self) -> None:
        self._layout(self.size.width or WIDE)
        self.set_interval(1.0, self._tick)

    def on_resize(self, event: Resize) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        """Columns for this width; the rows are filled again when the columns change."""
        if width == self._width:
            return
        self._width = width
        for table, columns in (
            (self.runs_table, run_columns(width)),
            (self.assets_table, asset_columns(width)),
        ):
            table.clear(columns=True)
            for key, label, size in columns:
                table.add_column(label, width=size, key=key)
        self._rows, self._shown = [], {}
        self._assets, self._asset_rows = [], {}
        if self.state is not None:
            self.refresh_runs(self.state)

    def _keys(self, table: DataTable[Text | str]) -> set[str]:
        return {str(c.value) for c in table.columns}

    # -- what it shows ---------------------------------------------------------------------
    def visible_runs(self) -> list[Run]:
        if self.state is None:
            return []
        runs = self.state.newest()
        if not self.show_all:
            runs = [r for r in runs if any(a in self.paired for a in r.assets)]
        return runs[:SHOWN]

    def asset_keys(self) -> list[tuple[str, ...]] | None:
        """The assets the asset view asks about: the paired ones, or None for every asset."""
        return None if self.show_all else sorted(self.paired)

    def set_connection(self, text: str) -> None:
        self.connection = text
        self._header()

    def set_notes(self, notes: Sequence[str]) -> None:
        """What is wrong, one note a line (wrapped), shown until it is fixed."""
        notes = tuple(one_line(n) for n in notes)
        if notes != self.notes:
            self.notes = notes
            widget = self.query_one("#runs-notes", Static)
            widget.update("\n".join(notes))
            widget.set_class(bool(notes), "-shown")

    def _header(self) -> None:
        scope = "all" if self.show_all else "paired"
        count = len(self._rows) if self.view == "runs" else len(self._assets)
        # The keys (`s` for the other view, `a` for all) are in the key help: the pane is narrow.
        self.query_one("#runs-state", Static).update(
            one_line(f"{self.connection} · {scope} {self.view} ({count})")
        )

    def refresh_runs(self, state: PollState) -> None:
        """Redraw from the poller's state; rows that did not change are left alone."""
        self.state = state
        if self._width:
            self._fill_runs(state)
            self._fill_assets(state)
        self._header()

    def _fill_runs(self, state: PollState) -> None:
        table = self.runs_table
        runs = self.visible_runs()
        ids = [r.run_id for r in runs]
        selected = self._selected_row(table, self._rows)
        now = time.time()
        if ids != self._rows:
            table.clear()
            for run in runs:
                table.add_row(
                    *self._run_cells(run, state.stats.get(run.run_id), now), key=run.run_id
                )
            self._rows = ids
            self._shown = {r.run_id: (r, state.stats.get(r.run_id)) for r in runs}
            if selected in ids:
                table.move_cursor(row=ids.index(selected))
            return
        keys = [str(c.value) for c in table.columns]
        for run in runs:
            stats = state.stats.get(run.run_id)
            if self._shown.get(run.run_id) != (run, stats):
                self._shown[run.run_id] = (run, stats)
                for key, value in zip(keys, self._run_cells(run, stats, now), strict=True):
                    table.update_cell(run.run_id, key, value)

    def _run_cells(self, run: Run, stats: RunStats | None, now: float) -> list[Text | str]:
        values: dict[str, Text | str] = {
            "status": status_text(run.status, short=self._width < WIDE),
            "started": started_text(run.started or run.created),
            "duration": duration_text(run.duration(now)),
            "steps": steps_text(stats),
        }
        return self._row(self.runs_table, values, run.target)

    def _fill_assets(self, state: PollState) -> None:
        table = self.assets_table
        statuses = sorted(state.assets.values(), key=lambda a: a.key)
        keys = [a.key for a in statuses]
        now = time.time()
        if keys != self._assets:
            selected = self._selected_row(table, self._assets)
            table.clear()
            for status in statuses:
                table.add_row(*self._asset_cells(status, now), key=status.name)
            self._assets = keys
            self._asset_rows = {a.key: a for a in statuses}
            if selected in keys:
                table.move_cursor(row=keys.index(selected))
            return
        columns = [str(c.value) for c in table.columns]
        for status in statuses:
            if self._asset_rows.get(status.key) != status:
                self._asset_rows[status.key] = status
                for key, value in zip(columns, self._asset_cells(status, now), strict=True):
                    table.update_cell(status.name, key, value)

    def _asset_cells(self, status: AssetStatus, now: float) -> list[Text | str]:
        values: dict[str, Text | str] = {
            "stale": stale_text(status, short=self._width < WIDE),
            "materialized": ago_text(status.materialized, now),
            "partitions": partitions_text(status.partitions),
            "checks": checks_text(status),
            "detail": detail_text(status),
        }
        return self._row(self.assets_table, values, status.name)

    @staticmethod
    def _row(
        table: DataTable[Text | str], values: dict[str, Text | str], name: str
    ) -> list[Text | str]:
        # A str cell of a DataTable is parsed as markup: a name from Dagster is Text.
        cells: list[Text | str] = []
        for column in table.columns.values():
            key = str(column.key.value)
            cells.append(cut_key(name, column.width) if key == "name" else values[key])
        return cells

    def _tick(self) -> None:
        """The durations of runs in flight go on ticking between polls."""
        if not self._rows or "duration" not in self._keys(self.runs_table):
            return
        now = time.time()
        table = self.runs_table
        for run_id in self._rows:
            run, _ = self._shown[run_id]
            if run.in_flight and run.started:
                table.update_cell(run_id, "duration", duration_text(run.duration(now)))

    def select_run(self, run_id: str) -> None:
        """Put the cursor on this run (a run just launched), when it is listed."""
        if run_id in self._rows:
            self.runs_table.move_cursor(row=self._rows.index(run_id))

    @staticmethod
    def _selected_row(table: DataTable[Text | str], rows: Sequence[object]) -> object | None:
        row = table.cursor_row
        if not rows or row is None or row >= len(rows):
            return None
        return rows[row]

    def selected_run_id(self) -> str | None:
        """The run under the cursor; in the asset view, the asset's latest materialization."""
        if self.view == "runs":
            selected = self._selected_row(self.runs_table, self._rows)
            return selected if isinstance(selected, str) else None
        key = self._selected_row(self.assets_table, self._assets)
        status = self._asset_rows.get(key) if isinstance(key, tuple) else None
        return status.run_id if status is not None else None

    # -- keys ----------------------------------------------------------------------------
    def action_request(self, action: str) -> None:
        self.post_message(self.Requested(action, self.selected_run_id()))

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.post_message(self.Requested("view", None))
        if self.state is not None:
            self.refresh_runs(self.state)

    def action_switch_view(self) -> None:
        had_focus = self.table.has_focus
        self.table.add_class("-hidden")
        self.view = "assets" if self.view == "runs" else "runs"
        self.table.remove_class("-hidden")
        if had_focus:
            self.table.focus()
        self.post_message(self.Requested("view", None))
        self._header()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Requested("open", self.selected_run_id()))
