"""Attach mode: an open workbench serves its cell tools on a private socket, and the attached
backend (what `marimo-tui mcp` uses when a workbench is open) drives them, with the real marimo
sidecar rerunning the edits. No view: the listener and the approver stand in for the app's."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from marimo_tui.agent import events as ev
from marimo_tui.agent.tools import Answer, Approval
from marimo_tui.config import load_config
from marimo_tui.mcp_server.attach_server import AttachServer
from marimo_tui.mcp_server.attach_wire import AttachError
from marimo_tui.mcp_server.attached_backend import AttachedBackend
from marimo_tui.mcp_server.backend import socket_path
from marimo_tui.mcp_server.choose import AttachedSource, choose_backend
from marimo_tui.mcp_server.outside_agent import OutsideAgent
from marimo_tui.workbench import Workbench
from tests.conftest import HANG
from tests.tui_support import make_project, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")

CELLS = [("base", "x = 20"), ("double", "y = x * 2\ny")]


@dataclass
class Attached:
    """One workbench with its marimo server and its socket, shared by this module's tests."""

    root: Path
    notebook: Path
    workbench: Workbench
    server: AttachServer
    policy: list[Approval] = field(default_factory=lambda: ["auto"])
    events: list[tuple[str, ev.AgentEvent]] = field(default_factory=list)
    asked: asyncio.Queue[tuple[ev.ApprovalAsked, asyncio.Future[Answer]]] = field(
        default_factory=asyncio.Queue
    )

    async def approve(self, asked: ev.ApprovalAsked) -> Answer:
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        await self.asked.put((asked, answer))
        return await answer

    def of(self, kind: type[ev.AgentEvent]) -> list[tuple[str, ev.AgentEvent]]:
        return [(label, e) for label, e in self.events if isinstance(e, kind)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def attached(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Attached]:
    root = tmp_path_factory.mktemp("attached")
    notebook = make_project(root, CELLS)
    wb = Workbench(load_config(start=root, environ={}))
    wb.current = notebook
    await wb.start(watch=False, run=True)
    holder: list[Attached] = []
    server = AttachServer(
        wb,
        approval=lambda: holder[0].policy[0],
        approver=lambda asked: holder[0].approve(asked),
        listener=lambda label, event: holder[0].events.append((label, event)),
        rerun_timeout=2 * HANG,
    )
    state = Attached(root, notebook, wb, server)
    holder.append(state)
    await server.start()
    try:
        yield state
    finally:
        await server.stop()
        await wb.stop()


async def connect(attached: Attached, client: str, policy: Approval = "auto") -> AttachedBackend:
    attached.policy[0] = policy  # taken when the client connects
    source = await choose_backend(attached.workbench.config)  # as `marimo-tui mcp` picks
    assert isinstance(source, AttachedSource)
    backend = await source.open(client)
    assert isinstance(backend, AttachedBackend)
    return backend


async def test_an_outside_edit_runs_in_the_workbench_and_reports_marimos_rerun(
    attached: Attached,
) -> None:
    backend = await connect(attached, "claude-code")
    try:
        names = [t.name for t in await backend.list_tools()]
        assert {"list_cells", "add_cell", "edit_cell", "plan", "run_cells"} <= set(names)
        assert "shell" not in names and "dagster_launch" not in names  # Dagster: not configured
        assert [n.path for n in await backend.notebooks()] == ["notebooks/main.py"]
        result = await backend.call(
            "add_cell", {"code": "answer = y + 2\nanswer", "name": "answer"}
        )
        assert not result.is_error, result.text
        assert result.data["outputs"]["answer"]["text"] == "42", result.data
        assert result.data["errors"] == []
        assert '"42"' in result.text  # the same as text an agent reads
        failing = await backend.call("edit_cell", {"cell": "answer", "code": "answer = y / 0"})
        assert not failing.is_error  # the write landed; marimo's error comes back with it
        (error,) = failing.data["errors"]
        assert error["cell"] == "answer" and "ZeroDivisionError" in error["error"]
        planned = await backend.call("plan", {"tasks": ["Add the answer", "Check it"]})
        assert not planned.is_error
        text = await backend.read_notebook("notebooks/main.py")
        assert "## #3 answer · error" in text and "ZeroDivisionError" in text
        assert "## #2 double · idle" in text and "output (text): 40" in text
    finally:
        await backend.close()
    # The chat heard it all, labelled with the client; the turn closed when it left.
    await wait_until(lambda: attached.of(ev.TurnEnded), what="the end of the turn")
    labels = {label for label, _ in attached.events}
    assert labels == {"outside agent: claude-code"}
    # A `plan` after writes begins a new turn: the writes are one turn (one undo), the plan
    # the next.
    first, _second = attached.of(ev.TurnStarted)
    assert isinstance(first[1], ev.TurnStarted) and first[1].agent == labels.pop()
    finished = [e for _, e in attached.of(ev.ToolFinished) if isinstance(e, ev.ToolFinished)]
    assert [f.name for f in finished] == ["add_cell", "edit_cell", "plan"]
    ended = [e for _, e in attached.of(ev.TurnEnded) if isinstance(e, ev.TurnEnded)]
    assert [(e.reason, e.steps, e.writes) for e in ended] == [
        ("finished", 2, 2),
        ("finished", 1, 0),
    ]
    # Its plan hangs under a task of its own in the task tree, done with the turn.
    tasks = {t.title: t for t in attached.workbench.tasks}
    assert tasks["outside agent: claude-code"].status == "done"
    assert tasks["Check it"].parent == tasks["outside agent: claude-code"].id


async def test_ask_holds_the_call_until_the_user_answers(attached: Attached) -> None:
    backend = await connect(attached, "codex", policy="ask")
    try:
        await backend.call("list_cells", {})
        before = attached.notebook.read_bytes()
        call = asyncio.ensure_future(backend.call("edit_cell", {"cell": "base", "code": "x = 1"}))
        asked, answer = await asyncio.wait_for(attached.asked.get(), HANG)
        assert asked.name == "edit_cell (outside agent: codex)" and "+x = 1" in asked.diff
        await asyncio.sleep(0.3)  # held: nothing written while the question is open
        assert not call.done() and attached.notebook.read_bytes() == before
        answer.set_result("no")
        refused = await asyncio.wait_for(call, HANG)
        assert refused.is_error and "declined" in refused.text
        assert attached.notebook.read_bytes() == before
        call = asyncio.ensure_future(backend.call("edit_cell", {"cell": "base", "code": "x = 1"}))
        _, answer = await asyncio.wait_for(attached.asked.get(), HANG)
        answer.set_result("yes")
        written = await asyncio.wait_for(call, HANG)
        assert not written.is_error, written.text
        assert "x = 1" in attached.notebook.read_text()
        assert written.data["outputs"]["double"]["text"] == "2"
    finally:
        await backend.close()


async def test_a_client_leaving_while_asked_closes_the_question(attached: Attached) -> None:
    backend = await connect(attached, "goose", policy="ask")
    before = attached.notebook.read_bytes()
    call = asyncio.ensure_future(backend.call("edit_cell", {"cell": "base", "code": "x = 5"}))
    _, answer = await asyncio.wait_for(attached.asked.get(), HANG)
    await backend.close()  # the agent's process went away mid-question
    await wait_until(answer.cancelled, what="the approval to be withdrawn")
    assert (await call).is_error
    assert attached.notebook.read_bytes() == before


async def test_undo_reverts_the_outside_turn_byte_for_byte(attached: Attached) -> None:
    backend = await connect(attached, "opencode")
    try:
        before = attached.notebook.read_bytes()
        for code in ("x = 7", "x = 8"):
            result = await backend.call("edit_cell", {"cell": "base", "code": code})
            assert not result.is_error, result.text
        agent = attached.server.undo_candidate()
        assert agent is not None and agent.client == "opencode"
        undone = await agent.undo_last_turn()
        assert len(undone) == 2
        assert attached.notebook.read_bytes() == before
        assert attached.server.undo_candidate() is not agent  # nothing of its left to undo
        # Its next write is based on what it read before the undo: a conflict, not a clobber.
        stale = await backend.call("edit_cell", {"cell": "base", "code": "x = 9"})
        assert stale.is_error and "changed on disk" in stale.text
        assert attached.notebook.read_bytes() == before
    finally:
        await backend.close()


async def test_a_second_clients_conflicting_edit_is_a_conflict(attached: Attached) -> None:
    first = await connect(attached, "claude-code")
    second = await connect(attached, "codex")
    try:
        for backend in (first, second):
            assert not (await backend.call("read_cell", {"cell": "base"})).is_error
        won = await first.call("edit_cell", {"cell": "base", "code": "x = 11"})
        assert not won.is_error, won.text
        lost = await second.call("edit_cell", {"cell": "base", "code": "x = 12"})
        assert lost.is_error and "changed on disk since you read it" in lost.text
        assert "x = 11" in attached.notebook.read_text()
    finally:
        await first.close()
        await second.close()


async def test_writes_outside_the_project_and_unknown_tools_are_refused(
    attached: Attached,
) -> None:
    backend = await connect(attached, "crush")
    try:
        outside = await backend.call(
            "create_notebook", {"path": "../escaped.py", "template": "minimal"}
        )
        assert outside.is_error and not (attached.root.parent / "escaped.py").exists()
        unknown = await backend.call("shell", {"command": "ls"})
        assert unknown.is_error and "unknown tool" in unknown.text
        bad = await backend.call("edit_cell", {"cell": 3, "code": "x = 0"})
        assert bad.is_error and "invalid arguments" in bad.text
        with pytest.raises(Exception, match="outside"):
            await backend.read_notebook("../../etc/passwd")
    finally:
        await backend.close()


async def test_secrets_never_reach_the_outside_agent_or_the_chat(attached: Attached) -> None:
    secret = "tok-9f8e7d6c5b4a"
    attached.workbench.redactor.add(secret)  # as the marimo server's token is, when made
    backend = await connect(attached, "claude-code")
    try:
        # Computed: the secret is in the output only (a cell that dug it out of somewhere).
        code = f'leak = "{secret[:6]}" + "{secret[6:]}"\nleak'
        added = await backend.call("add_cell", {"code": code, "name": "leak"})
        assert not added.is_error, added.text
        assert secret not in added.text and secret not in json.dumps(added.data)
        assert "***" in added.data["outputs"]["leak"]["text"]
        shown = await backend.read_notebook("notebooks/main.py")
        assert secret not in shown and "output (text): '***'" in shown
    finally:
        await backend.close()
    assert not any(secret in repr(event) for _, event in attached.events)


async def test_the_socket_is_private_and_a_stale_one_is_replaced(tmp_path: Path) -> None:
    # A deep project: its socket's path is past sun_path's 108 bytes.
    root = tmp_path / ("deep-folder-" * 8)
    make_project(root, CELLS)
    path = socket_path(root)
    assert len(os.fsencode(path)) > 108
    path.parent.mkdir(mode=0o755)
    os.chmod(path.parent, 0o755)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    here = Path.cwd()
    os.chdir(path.parent)  # (a short relative path, to leave a socket behind as a crash does)
    try:
        stale.bind(path.name)
    finally:
        os.chdir(here)
    stale.close()  # closed without removing its file: a workbench that died
    with pytest.raises(AttachError, match="no workbench answers"):  # mcp runs headless then
        await AttachedBackend.connect(root, "claude-code")
    wb = Workbench(load_config(start=root, environ={}))
    server = AttachServer(wb, approval=lambda: "auto", approver=None, listener=lambda *_: None)
    await server.start()
    try:
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
        rival = AttachServer(wb, approval=lambda: "auto", approver=None, listener=lambda *_: None)
        with pytest.raises(AttachError, match="another workbench"):
            await rival.start()
        backend = await AttachedBackend.connect(root, "claude-code")
        assert backend.hello["approval"] == "auto"
        await backend.close()
    finally:
        await server.stop()
    assert not path.exists()
    with pytest.raises(AttachError, match="no workbench"):
        await AttachedBackend.connect(root, "claude-code")
    path.write_text("not a socket")  # never replaced, never removed
    with pytest.raises(AttachError, match="not a socket"):
        await server.start()
    assert path.read_text() == "not a socket"


async def test_a_pause_ends_an_outside_turn_and_undo_takes_only_the_last(tmp_path: Path) -> None:
    path = make_project(tmp_path, CELLS)
    wb = Workbench(load_config(start=tmp_path, environ={}))
    wb.current = path  # the notebook the user has open: the default one, as for any agent
    events: list[ev.AgentEvent] = []
    agent = OutsideAgent(
        wb, "aider", approval="auto", listener=lambda _label, e: events.append(e), turn_gap=0.2
    )

    def ended() -> int:
        return sum(isinstance(e, ev.TurnEnded) for e in events)

    first = await agent.call("edit_cell", {"cell": "base", "code": "x = 3"})
    assert not first.is_error, first.text
    await wait_until(lambda: ended() == 1, what="the pause to end the turn")
    after_first = path.read_bytes()
    for code in ("x = 4", "x = 5"):  # one turn: no pause between them
        assert not (await agent.call("edit_cell", {"cell": "base", "code": code})).is_error
    assert ended() == 1 and agent.undoable
    await agent.undo_last_turn()  # closes the open turn, reverts its two writes
    assert ended() == 2 and path.read_bytes() == after_first
    starts = [e for e in events if isinstance(e, ev.TurnStarted)]
    assert [s.agent for s in starts] == ["outside agent: aider"] * 2
    await agent.close()
