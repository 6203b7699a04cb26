"""An outside agent attached to the open app (Pilot): its turn in the chat under its label, its
write waiting for the approval dialog, and `/undo` reverting its turn."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from marimo_tui.mcp_server.attached_backend import AttachedBackend
from marimo_tui.mcp_server.backend import socket_path
from marimo_tui.tui.screens.approval import ApprovalScreen
from tests.conftest import HANG
from tests.tui_support import analysed, isolate_user_config, make_app, make_project, wait_until

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


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
            read = await backend.call("read_cell", {"cell": "source"})
            assert not read.is_error, read.text
            call = asyncio.ensure_future(
                backend.call("edit_cell", {"cell": "source", "code": "value = 21"})
            )
            await wait_until(lambda: isinstance(app.screen, ApprovalScreen), what="the dialog")
            assert "outside agent: claude-code" in str(app.screen.query_one(".title").content)
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
        await send(app, pilot, "/undo")
        await wait_until(lambda: path.read_bytes() == before, what="the undo")
        assert "undid the last turn of outside agent: claude-code" in app.chat.agent_log.text()
        await pilot.pause()  # (a focus change still queued must not meet the app closing)
    assert not socket_path(tmp_path).exists()  # removed when the app closed
