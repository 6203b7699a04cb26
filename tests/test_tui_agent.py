"""The agent in the app, driven with Pilot: a scripted provider (labelled as a replay), the
approval dialog, Esc, /undo, /agent and /history."""

from __future__ import annotations

from pathlib import Path

import pytest

from marimo_tui.agent.start import Overrides
from marimo_tui.config import load_config
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.screens.approval import ApprovalScreen
from marimo_tui.workbench import Workbench
from tests.tui_support import analysed, isolate_user_config, make_project, wait_until

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]
SCRIPT = """
turns:
  - text: "I will **change** the value."
    tool_calls:
      - {name: edit_cell, arguments: {cell: source, code: "value = 2"}}
  - tool_calls:
      - {name: edit_cell, arguments: {cell: source, code: "value = 3"}}
  - text: "Done."
"""


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


def make(tmp_path: Path, script: str = SCRIPT) -> tuple[WorkbenchApp, Path]:
    path = make_project(tmp_path, CELLS)
    (tmp_path / "script.yaml").write_text(script)
    wb = Workbench(load_config(start=tmp_path, environ={}))
    initial = wb.quick_open(path)
    overrides = Overrides(provider="scripted", script=tmp_path / "script.yaml")
    return WorkbenchApp(wb, initial, run=False, agent=overrides), path


def asked_again(app: WorkbenchApp, first: object) -> bool:
    """A new approval dialog is up (not the one answered)."""
    return isinstance(app.screen, ApprovalScreen) and app.screen is not first


async def send(app: WorkbenchApp, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    field = app.chat.input
    field.focus()
    field.value = text
    await pilot.press("enter")


async def test_ask_shows_the_diff_and_writes_only_with_consent(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: analysed(app))
        await send(app, pilot, "change the value")
        await wait_until(lambda: isinstance(app.screen, ApprovalScreen), what="the dialog")
        assert "replay" in app.chat.agent_log.text()
        first = app.screen
        await pilot.press("n")  # declined: nothing written, the model is told
        await wait_until(lambda: asked_again(app, first), what="the 2nd edit")
        assert "value = 1" in path.read_text()
        await pilot.press("y")
        await wait_until(lambda: "Done." in app.chat.agent_log.text(), what="the answer")
        assert "value = 3" in path.read_text()
        log = app.chat.agent_log.text()
        assert "declined" in log and "edit_cell" in log
        await wait_until(lambda: "value = 3" in app.cell_view.screen_text())
        await send(app, pilot, "/undo")
        await wait_until(lambda: "value = 1" in path.read_text(), what="the undo")
        assert "undid the agent's last turn" in app.chat.agent_log.text()


async def test_esc_cancels_a_turn_waiting_for_approval(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: analysed(app))
        before = path.read_bytes()
        await send(app, pilot, "change it")
        await wait_until(lambda: isinstance(app.screen, ApprovalScreen))
        first = app.screen
        await pilot.press("escape")  # the dialog's own Esc: "no"
        await wait_until(lambda: asked_again(app, first), what="the 2nd edit")
        app.agent.cancel()  # Esc on the workbench while the turn runs
        await wait_until(lambda: not app.agent.busy, what="the cancel")
        assert len(app.screen_stack) == 1 and path.read_bytes() == before
        assert "cancelled" in app.chat.agent_log.text()


async def test_agent_profiles_and_history(tmp_path: Path) -> None:
    app, _ = make(tmp_path, 'turns:\n  - text: "hello from the replay"\n')
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: analysed(app))
        await send(app, pilot, "/agent")
        await wait_until(lambda: "reporter" in app.chat.agent_log.text())
        await send(app, pilot, "/agent analyst")
        await wait_until(lambda: "agent analyst" in app.chat.agent_log.text())
        await send(app, pilot, "/agent nobody")
        await wait_until(lambda: "no agent profile 'nobody'" in app.chat.agent_log.text())
        await send(app, pilot, "say hello")
        await wait_until(lambda: "hello from the replay" in app.chat.agent_log.text())
        await wait_until(lambda: not app.agent.busy)
        await send(app, pilot, "/history")
        await wait_until(lambda: "say hello" in app.chat.agent_log.text())
        await send(app, pilot, "/history 1")
        await wait_until(lambda: "resumed" in app.chat.agent_log.text())
        assert app.agent.session is not None and app.agent.session.messages[0].content == (
            "say hello"
        )
