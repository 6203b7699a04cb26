"""One Dagster run: its event log (following new events), its captured stdout/stderr, and what
it materialized (the notebook's summary, the link to its HTML export).

The poller feeds it from its own task at any moment, also before the screen has composed its
logs and while it is being closed: what comes then is kept and written once the logs exist
(a query for a log that was not there killed the polling task, and the pane froze).
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static, TabbedContent, TabPane

from marimo_tui.dagster.failed_cell import FailedCell, failed_cell
from marimo_tui.dagster.model import Run, RunEvent, RunStats, key_text
from marimo_tui.safe_text import console_text, one_line, visible
from marimo_tui.tui.widgets.follow_log import FollowLog
from marimo_tui.tui.widgets.run_cells import duration_text, status_text, steps_text

LEVEL_STYLE = {"ERROR": "red", "CRITICAL": "bold red", "WARNING": "yellow", "DEBUG": "dim"}


def event_line(event: RunEvent) -> Text:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.timestamp)) if event.timestamp else ""
    line = Text(f"{stamp} ", style="dim")
    if event.step:
        line.append(f"{one_line(event.step)} ", style="cyan")
    kind = one_line(event.event_type or event.kind).replace("_", " ").lower()
    line.append(f"{kind}: ", style=LEVEL_STYLE.get(event.level, "bold"))
    message = event.error or event.message
    line.append(one_line(" ".join(message.split())[:500]), style="red" if event.error else "")
    return line


def materialization_markdown(event: RunEvent) -> str:
    values = {m.label: m for m in event.metadata}
    parts = [f"### {key_text(event.asset or ())}"]
    if "html" in values:
        parts.append(f"HTML export: `{values['html'].value}`")
    if "html_url" in values:
        parts.append(f"<{values['html_url'].value}>")
    if "duration_s" in values:
        parts.append(f"ran in {float(values['duration_s'].value):.1f} s")
    if "summary" in values:
        parts.append(str(values["summary"].value))
    for label, entry in values.items():
        if label not in ("html", "html_url", "duration_s", "summary", "cells"):
            parts.append(f"- **{label}**: `{entry.text()[:200]}`")
    return visible("\n\n".join(parts))


class RunScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("x", "request('terminate')", "Terminate"),
        Binding("r", "request('relaunch')", "Relaunch"),
        Binding("f", "request('from_failure')", "From failure"),
        Binding("c", "request('cell')", "Failing cell"),
        # The focus is often on the tabs: these keys scroll the log shown, wherever it is.
        Binding("end", "log('follow')", "End", show=False),
        Binding("home", "log('scroll_home')", "Top", show=False),
        Binding("pageup", "log('page_up')", "Page up", show=False),
        Binding("pagedown", "log('page_down')", "Page down", show=False),
    ]
    DEFAULT_CSS = """
    RunScreen { align: center middle; }
    RunScreen > Vertical { width: 95%; height: 90%; border: round $accent; background: $surface; }
    RunScreen #run-header { height: 2; padding: 0 1; }
    /* The tabs share the frame with the header: at their default `auto` height the logs
       were as tall as the whole frame and their last lines sat below it, out of reach. */
    RunScreen TabbedContent { height: 1fr; }
    RunScreen TabbedContent > ContentSwitcher { height: 1fr; }
    RunScreen TabPane { height: 1fr; }
    RunScreen FollowLog { background: $surface; }
    RunScreen #materialized { overflow-y: auto; }
    """

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self._materialized: list[str] = []
        self._pending: list[tuple[str, Text]] = []  # (log id, line) until the logs exist
        self._header: Text | None = None
        self._ready = False
        self.failed: FailedCell | None = None  # the notebook cell a failed run failed in

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(one_line(f"run {self.run_id}"), id="run-header", markup=False)
            with TabbedContent(initial="events"):
                with TabPane("events", id="events"):
                    yield FollowLog(id="event-log", wrap=True)
                with TabPane("stdout", id="stdout"):
                    yield FollowLog(id="stdout-log")
                with TabPane("stderr", id="stderr"):
                    yield FollowLog(id="stderr-log")
                with TabPane("materialized", id="materialized"):
                    yield Markdown("nothing materialized yet", id="materialized-md")

    def on_mount(self) -> None:
        self._ready = True
        self._flush()

    def on_unmount(self) -> None:
        self._ready = False

    def show_run(self, run: Run | None, stats: RunStats | None, error: str = "") -> None:
        header = Text(f"run {one_line(self.run_id[:8])} ", style="bold")
        if run is not None:
            header.append_text(status_text(run.status))
            target = one_line(run.target)
            header.append(f" · {target} · {duration_text(run.duration(time.time()))} ")
            header.append_text(steps_text(stats))
        if error:
            header.append(f"\n{one_line(error)}", style="red")
        else:
            keys = "Esc closes · x terminates · r relaunches · f from failure · End follows"
            if self.failed is not None:
                keys += f" · c: {self.failed.label}"
            header.append(f"\n{one_line(keys)}", style="dim")
        self._header = header
        self._flush()

    def add_events(self, events: list[RunEvent] | tuple[RunEvent, ...]) -> None:
        if self.failed is None:
            self.failed = failed_cell(events)
        for event in events:
            self._pending.append(("event-log", event_line(event)))
            if event.kind == "MaterializationEvent" and event.asset:
                self._materialized.append(materialization_markdown(event))
        self._flush()

    def add_logs(self, stdout: str, stderr: str) -> None:
        # A step's output keeps its colours; every other sequence in it is shown, not sent.
        for log, text in (("stdout-log", stdout), ("stderr-log", stderr)):
            if text:
                self._pending.append((log, Text.from_ansi(console_text(text.rstrip("\n")))))
        self._flush()

    def _flush(self) -> None:
        if not self._ready:
            return
        try:
            self._write_pending()
        except NoMatches:  # closing: its widgets are going, and so are these lines
            self._ready = False

    def _write_pending(self) -> None:
        if self._header is not None:
            self.query_one("#run-header", Static).update(self._header)
            self._header = None
        pending, self._pending = self._pending, []
        for log, line in pending:
            self.query_one(f"#{log}", FollowLog).add(line)
        if self._materialized and pending:
            self.query_one("#materialized-md", Markdown).update(
                "\n\n---\n\n".join(self._materialized)
            )

    def action_log(self, action: str) -> None:
        pane = self.query_one(TabbedContent).active_pane
        logs = pane.query(FollowLog) if pane is not None else None
        if logs:
            getattr(logs.first(), f"action_{action}")()

    def action_request(self, action: str) -> None:
        from marimo_tui.tui.widgets.runs_pane import RunsPane

        self.app.post_message(RunsPane.Requested(action, self.run_id))
