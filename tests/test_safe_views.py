"""Every view that shows outside text, fed every class of escape sequence and Textual markup,
driven with Pilot: no segment of the painted frame holds a control character (nothing would
reach the terminal), the payload is on screen in its visible form, and markup is shown as text.

The tmux test (tests/test_security_terminal.py) runs the real app; this one also reaches what
needs a Dagster run or a rare state to show: the runs pane and run screen, dialogs, toasts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from marimo_tui.agent.events import (
    AgentWarning,
    ApprovalAsked,
    TextDelta,
    ToolCalled,
    ToolFinished,
    TurnEnded,
    TurnStarted,
)
from marimo_tui.dagster.model import AssetStatus, CheckResult, Metadata, Run, RunEvent, RunStats
from marimo_tui.dagster.poller import PollState
from marimo_tui.runtime.output_blocks import Widget as Element
from marimo_tui.runtime.output_errors import CellError
from marimo_tui.runtime.output_tables import Table
from marimo_tui.runtime.outputs import Output
from marimo_tui.safe_text import is_visible
from marimo_tui.tasks import Task, TaskStatus
from marimo_tui.tui.screens.approval import ApprovalScreen
from marimo_tui.tui.screens.cell_editor import CellEditorScreen, ConflictScreen
from marimo_tui.tui.screens.dialogs import ChoiceScreen, ConfirmScreen, PromptScreen
from marimo_tui.tui.screens.keys import KeysScreen
from marimo_tui.tui.screens.launch_dialog import LaunchChoices, LaunchDialog
from marimo_tui.tui.screens.output_viewer import OutputScreen
from marimo_tui.tui.screens.run_detail import RunScreen
from marimo_tui.tui.screens.sidecar import SidecarScreen
from marimo_tui.tui.screens.ui_elements import ElementsScreen, StdinScreen
from marimo_tui.tui.widgets.agent_log import AgentLog, ToolEntry
from marimo_tui.tui.widgets.runs_pane import RunsPane
from marimo_tui.tui.widgets.status_bar import StatusBar
from marimo_tui.tui.widgets.tasks_pane import TasksPane
from tests.tui_support import isolate_user_config, make_app, make_project, wait_until

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"
MARKUP = "[reverse]MARKUP[/reverse]"
# Short enough to stay on one row of an 200-column screen; OSC 0 first.
EVIL = (
    f"{ESC}]0;PWNED{BEL}{ESC}]52;c;eA=={BEL}{ESC}[2J{ESC}P1$r{ST}{ESC}_apc{ST}"
    f"\x9b2J\x9d2;c1\x9c[reverse]MARKUP[/reverse]"
)
SHOWN = "␛]0;PWNED␇"
SHORT = f"{ESC}]0;PWNED{BEL} {MARKUP}"  # for narrow places (toasts)
SIZE = (200, 50)


def frame(app: App[object]) -> tuple[str, list[str]]:
    """The painted frame's text, and every segment text holding a control character."""
    rows = app.screen._compositor.render_strips()
    bad = [
        seg.text
        for strip in rows
        for seg in strip
        if not seg.control and not is_visible(seg.text, keep="")
    ]
    return "\n".join(strip.text for strip in rows), bad


async def shows(app: App[object], *wanted: str) -> str:
    """Wait until the frame shows every `wanted` text; it must never hold a control character."""
    seen = ""

    def check() -> bool:
        nonlocal seen
        seen, bad = frame(app)
        assert not bad, bad
        return all(text in seen for text in wanted)

    await wait_until(check, what=f"{wanted} on screen")
    return seen


class Host(App[None]):
    def __init__(self, make: Callable[[], Widget] | None = None) -> None:
        super().__init__()
        self.make = make

    def compose(self) -> ComposeResult:
        if self.make is not None:
            yield self.make()


SCREENS: dict[str, Callable[[], Screen[object]]] = {
    "confirm": lambda: ConfirmScreen(f"Delete task {SHORT}?", "Delete"),
    "prompt": lambda: PromptScreen(EVIL),
    "editor": lambda: CellEditorScreen(EVIL, "x = 1"),
    "conflict": lambda: ConflictScreen(EVIL, f"# {EVIL}", f"# {EVIL}", EVIL),
    "sidecar": lambda: SidecarScreen(f"http://127.0.0.1:1/{EVIL}", [EVIL]),
    "keys": lambda: KeysScreen([(EVIL, EVIL, EVIL)]),
    "approval": lambda: ApprovalScreen(ApprovalAsked("c1", EVIL, EVIL, f"+{EVIL}\n")),
    "output-text": lambda: OutputScreen(EVIL, Output("text", f"{EVIL}\n{EVIL}"), EVIL, ""),
    "output-markdown": lambda: OutputScreen(EVIL, Output("markdown", f"# {EVIL}"), "", ""),
    "output-table": lambda: OutputScreen(
        EVIL, Output("table", table=Table((EVIL, "b"), ((EVIL, "1"),))), "", ""
    ),
    "output-error": lambda: OutputScreen(
        EVIL,
        Output("error", errors=(CellError(EVIL, EVIL, f"Traceback\n  {EVIL}\n{EVIL}", 1),)),
        "",
        f"raise X({EVIL!r})",
    ),
    "output-image": lambda: OutputScreen(EVIL, Output("image", EVIL), "", ""),
    # Code-location names and their load errors (R's picker).
    "choice": lambda: ChoiceScreen(EVIL, [("a", EVIL), ("b", f"✗ loc · does not load: {EVIL}")]),
    # A notebook's widgets (labels, options, values) and an `input()` prompt.
    "elements": lambda: ElementsScreen(
        EVIL,
        (
            Element("a-0", "dropdown", EVIL, [EVIL], {"options": [EVIL, "x"]}),
            Element("a-1", "text", EVIL, EVIL),
        ),
        _ignore,
    ),
    "stdin": lambda: StdinScreen(EVIL, EVIL),
    # Asset keys, partition keys and a config schema's defaults, all from the Dagster project.
    "launch": lambda: LaunchDialog(f"daily{EVIL}", _choices, _refused),
}


async def _choices(request: object) -> LaunchChoices:
    return LaunchChoices((f"2024-01-01{EVIL}", "2024-01-02"), f"ops:\n  x: {EVIL}\n", EVIL)


async def _refused(request: object) -> str | None:
    return EVIL


async def _ignore(object_id: str, value: object) -> None:
    pass


@pytest.mark.parametrize("name", sorted(SCREENS))
async def test_dialogs_and_viewers_show_the_sequences(name: str) -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(SCREENS[name]())
        await pilot.pause()
        text = await shows(app, SHOWN)
        if name not in ("output-table", "output-markdown"):  # cut / rendered as markdown
            assert MARKUP in text


async def test_notices_are_plain_text(tmp_path: Path) -> None:
    """The workbench's own notify: every notice is text, shown (Textual's default parses
    markup, and `Widget.notify` asks for it)."""
    isolate_user_config(tmp_path)
    app = make_app(tmp_path, make_project(tmp_path), run=False, watch=False)
    async with app.run_test(size=SIZE):
        app.notify(SHORT, title=SHORT, severity="error")
        app.cell_view.notify(f"widget {SHORT}")
        await wait_until(lambda: len(list(app._notifications)) == 2, what="two notices")
        notices = list(app._notifications)
        assert [n.message for n in notices] == [f"{SHOWN} {MARKUP}", f"widget {SHOWN} {MARKUP}"]
        assert notices[0].title == f"{SHOWN} {MARKUP}"
        assert not any(n.markup for n in notices)
        app.title, app.sub_title = EVIL, EVIL
        assert app.title.startswith(SHOWN) and is_visible(app.title + app.sub_title, keep="")


async def test_status_bar() -> None:
    bar = StatusBar()
    app = Host(lambda: bar)
    async with app.run_test(size=SIZE):
        bar.set(project=EVIL, notebook=EVIL)
        bar.set_service("marimo", EVIL, False)
        await shows(app, SHOWN, MARKUP)


async def test_tasks_pane() -> None:
    pane = TasksPane()
    app = Host(lambda: pane)
    async with app.run_test(size=SIZE):
        pane.upsert(Task("t1", f"{EVIL}", TaskStatus.FAILED, detail="x"))
        pane.upsert(Task("t2", "second", TaskStatus.FAILED, parent="t1", detail=EVIL))
        await shows(app, SHOWN, MARKUP)


async def test_runs_pane_and_run_screen() -> None:
    pane = RunsPane()
    app = Host(lambda: pane)
    now = time.time()
    run = Run("r1", EVIL, EVIL, now - 5, now - 4, assets=((EVIL,),))
    state = PollState(connected=False, error=EVIL, runs={"r1": run})
    async with app.run_test(size=SIZE) as pilot:
        pane.show_all = True
        pane.set_connection(f"✗ disconnected: {EVIL}")
        pane.refresh_runs(state)
        await shows(app, SHOWN, MARKUP)
        # A load error's note and the asset view: names and errors from Dagster.
        pane.set_notes([f"✗ location {EVIL}: {EVIL}"])
        state.assets = {(EVIL,): AssetStatus((EVIL,), EVIL, checks=(CheckResult(EVIL, EVIL),))}
        pane.action_switch_view()
        pane.refresh_runs(state)
        await shows(app, SHOWN, MARKUP)
        pane.action_switch_view()

        screen = RunScreen(EVIL)
        await app.push_screen(screen)
        await pilot.pause()
        screen.show_run(run, RunStats(1, 1, 0), EVIL)
        events = [
            RunEvent("LogMessageEvent", now, "ERROR", EVIL, step=EVIL, error=EVIL),
            RunEvent(
                "MaterializationEvent",
                now,
                "INFO",
                "",
                asset=(EVIL,),
                metadata=(Metadata("summary", "text", EVIL), Metadata(EVIL, "text", EVIL)),
            ),
        ]
        screen.add_events(events)
        screen.add_logs(f"{ESC}[31mred{ESC}[0m {EVIL}\n", EVIL)
        await shows(app, SHOWN, MARKUP)
        for tab in ("stdout", "stderr", "materialized"):
            screen.query_one("TabbedContent").active = tab  # type: ignore[attr-defined]
            await pilot.pause()
            await shows(app, "␛]0;PWNED")


async def test_agent_log_every_entry() -> None:
    log = AgentLog()
    app = Host(lambda: log)
    async with app.run_test(size=SIZE) as pilot:
        log.user(EVIL)
        log.show(TurnStarted("t", EVIL, EVIL, EVIL, replay=True))
        # Streamed one character a delta: every sequence split across deltas.
        for ch in f"answer {EVIL}\n\n":
            log.show(TextDelta(ch))
        log.show(ToolCalled("c1", EVIL, {"path": EVIL, "code": f"{EVIL}\x85"}))
        log.show(ToolCalled("c2", "broken", f'{{"code": "{EVIL}'))
        log.show(ToolFinished("c1", EVIL, True, EVIL, f"not json {EVIL}", f"+{EVIL}\n"))
        log.show(AgentWarning(EVIL))
        log.note(EVIL, "error")
        log.show(TurnEnded("t", "error", error=EVIL))
        await log.flush()
        for entry in log.query(ToolEntry):
            entry.collapsed = False
        await pilot.pause()
        text = await shows(app, f"answer {SHOWN}", MARKUP)
        assert "\x1b" not in log.text() and "\x9b" not in log.text()
        assert text.count(SHOWN) >= 6


async def test_static_text_for_the_record() -> None:
    """What the views avoid: a plain `Static(str)` parses markup, and Textual passes ESC
    through to the frame. (If Textual ever filters them itself, this starts failing.)"""
    app = Host(lambda: Static(SHORT))
    async with app.run_test(size=SIZE):
        text, bad = frame(app)
        assert bad and MARKUP not in text
