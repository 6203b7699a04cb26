"""Attach mode end to end: the real workbench open in tmux on a project, an outside agent (the
attached backend `marimo-tui mcp` uses) edits a cell; approval `ask` holds the call until `y` is
pressed in the workbench, the cell view shows marimo's new output and the chat the outside
agent's turn."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from marimo_tui.mcp_server.attached_backend import AttachedBackend
from marimo_tui.mcp_server.backend import CallResult, socket_path
from tests.conftest import HANG, PATIENT, REPO
from tests.tui_support import make_project

sys.path.insert(0, str(REPO / "bench"))
from _tmux import Tmux, isolated_env

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


async def outside_edit(root: Path) -> tuple[CallResult, CallResult]:
    backend = await AttachedBackend.connect(root, "claude-code")
    try:
        read = await backend.call("read_cell", {"cell": "source"})
        edit = await backend.call("edit_cell", {"cell": "source", "code": "value = 21"})
        return read, edit
    finally:
        await backend.close()


def wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + HANG
    while not path.exists():
        assert time.monotonic() < deadline, f"no {path} after {HANG:g} s"
        time.sleep(0.05)


def test_an_outside_agent_edits_the_open_workbench_in_tmux(tmp_path: Path) -> None:
    project = tmp_path / "project"
    notebook = make_project(project, CELLS)  # approval: ask (the default)
    env = {**isolated_env(tmp_path / "home"), **PATIENT}
    argv = [sys.executable, "-m", "marimo_tui", "open", str(project)]
    with (
        Tmux(width=200, height=50) as tmux,
        tmux.pane(argv, env, tmp_path) as pane,
        ThreadPoolExecutor(1) as client,
    ):
        pane.wait_for("marimo: ready", timeout=2 * HANG)
        pane.wait_for("doubled = value * 2", timeout=HANG)
        wait_for_file(socket_path(project))
        before = notebook.read_bytes()
        done = client.submit(asyncio.run, outside_edit(project))
        pane.wait_for("Let the agent run edit_cell (outside agent: claude-code)?", timeout=HANG)
        pane.wait_for("outside: claude-code", timeout=HANG)  # attached, in the status bar
        # The call waits on the dialog: nothing is written until `y`.
        assert not done.done() and notebook.read_bytes() == before
        pane.send_keys("y")
        read, edit = done.result(timeout=2 * HANG)
        assert not read.is_error and not edit.is_error, (read.text, edit.text)
        assert edit.data["outputs"]["shown"]["text"] == "42", edit.data
        assert "value = 21" in notebook.read_text()
        # The cell view shows marimo's rerun; the chat, the outside agent's turn and entries.
        screen = pane.wait_for(
            lambda s: "value = 21" in s and "42" in s and "1 write" in s, timeout=2 * HANG
        ).screen
        assert "● outside agent: claude-code · MCP" in screen, screen
        assert "✓ edit_cell notebooks/main.py" in screen, screen
        assert "read_cell" in screen, screen
        pane.wait_for(lambda s: "outside:" not in s, timeout=HANG)  # it left
        pane.send_keys("C-q")
        deadline = time.monotonic() + HANG
        while pane.dead() is None:
            assert time.monotonic() < deadline, "the workbench did not quit"
            time.sleep(0.05)
    assert not socket_path(project).exists()  # removed at exit
