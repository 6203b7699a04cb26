"""An outside agent attached to the open app (Pilot): its turn in the chat under its label, its
write waiting for the approval dialog, and `/undo` reverting its turn."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from marimo_tui.agent.start import Overrides
from marimo_tui.config import load_config
from marimo_tui.mcp_server.attached_backend import AttachedBackend
from marimo_tui.mcp_server.backend import socket_path
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.screens.approval import ApprovalScreen
from marimo_tui.workbench import Workbench
from tests.conftest import HANG
from tests.tui_support import analysed, isolate_user_config, make_app, make_project, wait_until

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


def dialog_title(app: WorkbenchApp) -> str:
    """The approval dialog's question, once it is up and composed ("" until then)."""
    screen = app.screen
    titles = screen.query(".title") if isinstance(screen, ApprovalScreen) else []
    return str(titles[0].content) if titles else ""


async def send(app, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    field = app.chat.input
    field.focus()
    field.value = text
    await pilot.press("enter")


async def test_an_outside_turn_shows_asks_and_undoes_in_the_app(tmp_path: Path) -> None:
    path = make_project(tmp_path, CELLS)  # approval: ask (the default)
    app = make_app(tmp_path, path)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: analysed(app))
        await wait_until(lambda: app.outside.server is not None, what="the socket")
        before = path.read_bytes()
        backend = await AttachedBackend.connect(tmp_path, "claude-code")
        try:
            assert "outside: claude-code" in app.status.text  # attached: seen before it acts
            read = await backend.call("read_cell", {"cell": "source"})
            assert not read.is_error, read.text
            call = asyncio.ensure_future(
                backend.call("edit_cell", {"cell": "source", "code": "value = 21"})
            )
            await wait_until(lambda: "outside agent: claude-code" in dialog_title(app), what="it")
            assert not call.done() and path.read_bytes() == before
            await pilot.press("y")
            result = await asyncio.wait_for(call, HANG)
            assert not result.is_error, result.text
            assert "value = 21" in path.read_text()
            await wait_until(lambda: "value = 21" in app.cell_view.screen_text())
            log = app.chat.agent_log.text()
            assert "● outside agent: claude-code · MCP" in log
            assert "✓ edit_cell notebooks/main.py" in log
        finally:
            await backend.close()
        await wait_until(lambda: "1 write" in app.chat.agent_log.text(), what="the turn's end")
        assert "outside:" not in app.status.text
        await send(app, pilot, "/undo")
        await wait_until(lambda: path.read_bytes() == before, what="the undo")
        assert "undid the last turn of outside agent: claude-code" in app.chat.agent_log.text()
    assert not socket_path(tmp_path).exists()  # removed when the app closed


async def test_undo_takes_the_latest_agent_turn_outside_or_built_in(tmp_path: Path) -> None:
    path = make_project(tmp_path, CELLS)
    script = tmp_path / "script.yaml"
    script.write_text(
        "turns:\n"
        "  - tool_calls:\n"
        '      - {name: edit_cell, arguments: {cell: source, code: "value = 2"}}\n'
        '  - text: "Done."\n'
    )
    wb = Workbench(load_config(start=tmp_path, environ={}))
    overrides = Overrides(provider="scripted", script=script, approval="auto")
    app = WorkbenchApp(wb, wb.quick_open(path), run=False, agent=overrides)
    original = path.read_bytes()
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: analysed(app))
        await wait_until(lambda: app.outside.server is not None, what="the socket")
        backend = await AttachedBackend.connect(tmp_path, "codex")
        try:
            code = "doubled = value * 3\ndoubled"
            edited = await backend.call("edit_cell", {"cell": "shown", "code": code})
            assert not edited.is_error, edited.text  # approval auto: the workbench's policy
        finally:
            await backend.close()
        after_outside = path.read_bytes()
        await send(app, pilot, "change the value")  # then the built-in agent writes
        await wait_until(lambda: "Done." in app.chat.agent_log.text(), what="the built-in turn")
        await wait_until(lambda: not app.agent.busy)
        assert b"value = 2" in path.read_bytes() and b"value * 3" in path.read_bytes()
        await send(app, pilot, "/undo")  # the built-in agent's turn is the latest
        await wait_until(lambda: path.read_bytes() == after_outside, what="the first undo")
        assert "undid the agent's last turn" in app.chat.agent_log.text()
        await send(app, pilot, "/undo")  # then the outside agent's
        await wait_until(lambda: path.read_bytes() == original, what="the second undo")
        assert "undid the last turn of outside agent: codex" in app.chat.agent_log.text()


async def test_quitting_while_an_outside_call_waits_writes_nothing(tmp_path: Path) -> None:
    path = make_project(tmp_path, CELLS)
    app = make_app(tmp_path, path)
    before = path.read_bytes()
    async with app.run_test(size=(200, 50)):
        await wait_until(lambda: analysed(app))
        await wait_until(lambda: app.outside.server is not None, what="the socket")
        backend = await AttachedBackend.connect(tmp_path, "claude-code")
        call = asyncio.ensure_future(backend.call("edit_cell", {"cell": "source", "code": "v = 0"}))
        await wait_until(lambda: "outside agent: claude-code" in dialog_title(app), what="it")
    # The workbench quit with the question open: the call is answered, nothing written.
    result = await asyncio.wait_for(call, HANG)
    assert result.is_error and path.read_bytes() == before
    await backend.close()
    assert not socket_path(tmp_path).exists()
