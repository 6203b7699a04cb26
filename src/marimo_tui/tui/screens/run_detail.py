"""One Dagster run: its event log (following new events), its captured stdout/stderr, and what
it materialized (the notebook's summary, the link to its HTML export)."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Markdown, RichLog, Static, TabbedContent, TabPane

from marimo_tui.dagster.model import Run, RunEvent, RunStats, key_text
from marimo_tui.safe_text import console_text, one_line, visible
from marimo_tui.tui.widgets.runs_pane import duration_text, status_text, steps_text

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
    ]
    DEFAULT_CSS = """
    RunScreen { align: center middle; }
    RunScreen > Vertical { width: 95%; height: 90%; border: round $accent; background: $surface; }
    RunScreen #run-header { height: 2; padding: 0 1; }
    RunScreen RichLog { background: $surface; }
    """

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self._materialized: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(one_line(f"run {self.run_id}"), id="run-header", markup=False)
            with TabbedContent(initial="events"):
                with TabPane("events", id="events"):
                    yield RichLog(id="event-log", wrap=True, max_lines=5000)
                with TabPane("stdout", id="stdout"):
                    yield RichLog(id="stdout-log", wrap=False, max_lines=5000)
                with TabPane("stderr", id="stderr"):
                    yield RichLog(id="stderr-log", wrap=False, max_lines=5000)
                with TabPane("materialized", id="materialized"):
                    yield Markdown("nothing materialized yet", id="materialized-md")

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
            keys = "Esc closes · x terminates · r relaunches · f from failure"
            header.append(f"\n{keys}", style="dim")
        self.query_one("#run-header", Static).update(header)

    def add_events(self, events: list[RunEvent] | tuple[RunEvent, ...]) -> None:
        log = self.query_one("#event-log", RichLog)
        for event in events:
            log.write(event_line(event))
            if event.kind == "MaterializationEvent" and event.asset:
                self._materialized.append(materialization_markdown(event))
        if self._materialized:
            self.query_one("#materialized-md", Markdown).update(
                "\n\n---\n\n".join(self._materialized)
            )

    def add_logs(self, stdout: str, stderr: str) -> None:
        # A step's output keeps its colours; every other sequence in it is shown, not sent.
        if stdout:
            log = self.query_one("#stdout-log", RichLog)
            log.write(Text.from_ansi(console_text(stdout.rstrip("\n"))))
        if stderr:
            log = self.query_one("#stderr-log", RichLog)
            log.write(Text.from_ansi(console_text(stderr.rstrip("\n"))))

    def action_request(self, action: str) -> None:
        from marimo_tui.tui.widgets.runs_pane import RunsPane

        self.app.post_message(RunsPane.Requested(action, self.run_id))
