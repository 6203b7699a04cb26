"""`marimo-tui mcp` over stdio with the official MCP client, as an outside agent's config
launches it: the agent's tools with their schemas, marimo's rerun of an edit, refusals, undo."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from marimo_tui.agent.tools import specs
from marimo_tui.doctor_mcp import INITIALIZE, check_mcp, probe
from tests.conftest import HANG
from tests.mcp_support import NO_MARIMO, call, data, ok, processes_in, stdio_session, text
from tests.tui_support import make_project, render, wait_until

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]
PROBE_PARAMS = INITIALIZE["params"]


@pytest.fixture
def errlog(tmp_path: Path):  # type: ignore[no-untyped-def]
    with (tmp_path / "mcp-stderr.log").open("w+") as log:
        yield log


async def test_tools_are_the_agents_with_their_schemas_and_notebooks_are_resources(
    tmp_path: Path, errlog
) -> None:
    root = tmp_path / "project"
    make_project(root, CELLS)
    async with stdio_session(root, errlog, **NO_MARIMO) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        agent = specs()
        assert list(tools) == [s.name for s in agent] + ["undo"]
        for spec in agent:
            assert tools[spec.name].input_schema == dict(spec.parameters)
            assert tools[spec.name].description == spec.description
        hints = {n: t.annotations.read_only_hint for n, t in tools.items()}  # type: ignore[union-attr]
        assert hints["list_cells"] is True and hints["read_outputs"] is True
        # Writing a file or running code is not read-only, however a client approves it.
        for name in ("edit_cell", "create_notebook", "run_cells", "undo", "plan"):
            assert hints[name] is False, name
        resources = (await session.list_resources()).resources
        assert [str(r.uri) for r in resources] == ["marimo-tui://notebook/notebooks/main.py"]
        read = await session.read_resource(resources[0].uri)
        shown = read.contents[0].text  # type: ignore[union-attr]
        assert "## #1 source" in shown and "## #2 shown" in shown
        assert "doubled = value * 2" in shown and "statuses unknown" in shown


async def test_an_edit_returns_marimos_rerun_a_failure_its_traceback_and_undo_restores(
    tmp_path: Path, errlog
) -> None:
    root = tmp_path / "project"
    path = make_project(root, CELLS)
    original = path.read_bytes()
    async with stdio_session(root, errlog) as session:
        # The first call waits for marimo: statuses from the kernel, not "no marimo server".
        listed = await ok(session, "list_cells")
        assert "status" not in listed and all("status" in c for c in listed["cells"])
        added = await ok(session, "add_cell", code="tripled = value * 3\ntripled", after="source")
        assert added["settled"] is True
        cell = added["cell"]["id"]
        assert cell in added["reran"] and added["errors"] == []
        assert added["outputs"][cell] == {"kind": "text", "text": "3"}  # marimo's value

        failing = await call(
            session,
            "edit_cell",
            cell="shown",
            code="def half(x):\n    return x / 0\n\nhalf(value)",
        )
        assert not failing.is_error  # the write landed; the cell fails
        [error] = data(failing)["errors"]
        assert error["cell"] == "shown" and "ZeroDivisionError" in error["error"]
        assert "in half: return x / 0" in error["error"]  # the traceback's own frame
        assert "failing cells:\n- shown: ZeroDivisionError" in text(failing)

        resource = await session.read_resource("marimo-tui://notebook/notebooks/main.py")
        shown = resource.contents[0].text  # type: ignore[union-attr]
        assert "marimo: live" in shown and "output (text): 3" in shown
        assert "## #3 shown · error" in shown

        undone = await ok(session, "undo")
        assert len(undone["undone"]) == 2
        assert path.read_bytes() == original
        nothing = await call(session, "undo")
        assert nothing.is_error and "nothing to undo" in text(nothing)
        running = processes_in(root)
        assert len(running) >= 2, running  # the server and its marimo server
    # The client has gone: the server and its marimo sidecar with it.
    await wait_until(lambda: not processes_in(root), HANG, "the server and marimo to stop")


async def test_writes_outside_the_root_bad_arguments_and_stale_writes_are_refused(
    tmp_path: Path, errlog
) -> None:
    root = tmp_path / "project"
    path = make_project(root, CELLS)
    async with stdio_session(root, errlog, **NO_MARIMO) as session:
        for target in ("../outside.py", str(tmp_path / "elsewhere.py")):
            refused = await call(session, "create_notebook", path=target)
            assert refused.is_error and "outside" in text(refused), text(refused)
        refused = await call(session, "add_cell", notebook="../../etc/passwd.py", code="x = 1")
        assert refused.is_error
        assert sorted(p.name for p in tmp_path.iterdir()) == ["mcp-stderr.log", "project"]

        bad = await call(session, "add_cell", code=1, shell="rm -rf /")
        assert bad.is_error and "invalid arguments for add_cell" in text(bad)
        unknown = await call(session, "run_shell", command="ls")
        assert unknown.is_error and "unknown tool" in text(unknown)

        await ok(session, "list_cells")  # what the agent's next edit is based on
        theirs = render([*CELLS, ("theirs", "other = 3")])
        path.write_text(theirs)  # the user's editor saves meanwhile
        stale = await call(session, "edit_cell", cell="shown", code="doubled = value * 5")
        assert stale.is_error and "changed on disk since you read it" in text(stale)
        assert path.read_text() == theirs
        # Read again, the same edit goes through.
        await ok(session, "list_cells")
        await ok(session, "edit_cell", cell="shown", code="doubled = value * 5")
        assert "value * 5" in path.read_text() and "other = 3" in path.read_text()


async def test_a_second_clients_conflicting_edit_is_a_conflict(tmp_path: Path, errlog) -> None:
    root = tmp_path / "project"
    path = make_project(root, CELLS)
    async with (
        stdio_session(root, errlog, **NO_MARIMO) as first,
        stdio_session(root, errlog, **NO_MARIMO) as second,
    ):
        await ok(first, "read_cell", cell="shown")
        await ok(second, "edit_cell", cell="shown", search="* 2", replace="* 7")
        clash = await call(first, "edit_cell", cell="shown", search="* 2", replace="* 9")
        assert clash.is_error and "changed on disk" in text(clash)
        assert "value * 7" in path.read_text() and "value * 9" not in path.read_text()
        # Each client undoes its own turn only: the first wrote nothing.
        assert (await call(first, "undo")).is_error
        await ok(second, "undo")
        assert "value * 2" in path.read_text()


def test_doctor_says_whether_a_client_can_start_the_server(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_project(root, CELLS)
    answered, detail = probe([sys.executable, "-m", "marimo_tui", "mcp"], root, HANG)
    assert answered, detail
    assert detail.startswith("marimo-tui in ")
    # A `marimo-tui` on PATH that writes anything but the protocol on stdout is no server.
    fake = tmp_path / "bin" / "marimo-tui"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho hello\n")
    fake.chmod(0o755)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
        check = check_mcp(root, HANG)
    assert check.ok is False and "not an MCP answer" in check.detail


def test_stdout_carries_nothing_but_the_protocol(tmp_path: Path) -> None:
    """Raw JSON-RPC lines, as any client reads them: every line on stdout is a message, also
    while marimo starts, runs an edit and a cell prints (its output goes to the result)."""
    import json
    import queue
    import subprocess
    import threading

    from tests.conftest import cli_env

    root = tmp_path / "project"
    make_project(root, [("loud", "print('x' * 10)\nimport sys\nsys.stdout.write('raw')")])
    requests = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": PROBE_PARAMS},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "add_cell", "arguments": {"code": "print('hello')"}},
        },
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "marimo_tui", "mcp"],
        cwd=root,
        env=cli_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
        proc.stdin.flush()
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
        answered = None
        while answered is None:
            line = lines.get(timeout=2 * HANG)  # a cold marimo start on a busy machine
            assert line, "the server closed stdout before answering"
            message = json.loads(line)  # anything else on stdout fails here
            assert message["jsonrpc"] == "2.0"
            if message.get("id") == 2:
                answered = message
        result = answered["result"]["structuredContent"]
        assert result["settled"] is True and result["errors"] == []
    finally:
        proc.stdin.close()
        proc.wait(HANG)
    assert proc.returncode == 0
    assert not processes_in(root)
