"""Attach mode with the official MCP client: the workbench open in tmux, `marimo-tui mcp`
started by an agent's config (stdio) finds it and serves it. The client names itself
`claude-code`; its edit waits for `y` in the workbench (approval `ask`), the cell view shows
marimo's rerun and the chat the outside agent's turn, under the client's own name."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from marimo_tui.mcp_server.backend import socket_path
from tests.conftest import HANG, PATIENT, REPO
from tests.mcp_support import data, stdio_session, text
from tests.tui_support import make_project

sys.path.insert(0, str(REPO / "bench"))
from _tmux import Tmux, isolated_env

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


async def outside_edit(root: Path, log: Path) -> tuple[str, dict[str, Any], bool]:
    with log.open("w") as errlog:
        async with stdio_session(root, errlog, client="claude-code") as session:
            await session.call_tool("read_cell", {"cell": "source"})
            result = await session.call_tool("edit_cell", {"cell": "source", "code": "value = 21"})
            return text(result), data(result), bool(result.is_error)


def test_an_official_mcp_client_edits_the_open_workbench(tmp_path: Path) -> None:
    project = tmp_path / "project"
    notebook = make_project(project, CELLS)  # approval: ask (the default)
    env = {**isolated_env(tmp_path / "home"), **PATIENT}
    argv = [sys.executable, "-m", "marimo_tui", "open", str(project)]
    log = tmp_path / "mcp-stderr.log"
    with (
        Tmux(width=200, height=50) as tmux,
        tmux.pane(argv, env, tmp_path) as pane,
        ThreadPoolExecutor(1) as client,
    ):
        pane.wait_for("marimo: ready", timeout=2 * HANG)
        deadline = time.monotonic() + HANG
        while not socket_path(project).exists():
            assert time.monotonic() < deadline, "the workbench opened no socket"
            time.sleep(0.05)
        before = notebook.read_bytes()
        done = client.submit(asyncio.run, outside_edit(project, log))
        pane.wait_for("Let the agent run edit_cell (outside agent: claude-code)?", timeout=2 * HANG)
        assert not done.done() and notebook.read_bytes() == before  # held at the dialog
        pane.send_keys("y")
        answer, result, failed = done.result(timeout=2 * HANG)
        assert not failed, answer
        assert result["outputs"]["shown"]["text"] == "42", answer
        assert "attached to the open workbench" in log.read_text()  # no sidecar of its own
        screen = pane.wait_for(
            lambda s: "value = 21" in s and "42" in s and "1 write" in s, timeout=2 * HANG
        ).screen
        assert "● outside agent: claude-code · MCP" in screen, screen
        assert "✓ edit_cell notebooks/main.py" in screen, screen
        pane.send_keys("C-q")
        deadline = time.monotonic() + HANG
        while pane.dead() is None:
            assert time.monotonic() < deadline, "the workbench did not quit"
            time.sleep(0.05)
