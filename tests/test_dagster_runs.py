"""Paired notebooks against a real Dagster webserver on 127.0.0.1: discover, run (CLI), the
poller through a webserver restart. The code location is tests/dagster_project."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.errors import DagsterError
from marimo_tui.dagster.poller import RunPoller
from tests.conftest import Runner
from tests.dagster_support import CLIENT_TIMEOUT, DagsterServer, serve_paired


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DagsterServer]]:
    yield from serve_paired(tmp_path_factory.mktemp("paired"), "  poll_interval: 0.5\n")


def test_discover_finds_the_assets_and_their_notebooks(
    project: tuple[Path, DagsterServer], cli: Runner
) -> None:
    root, _ = project
    out = cli("discover", cwd=root)
    assert out.returncode == 0, out.stderr
    assert "asset marimo/sales  [notebooks]  ⇄ notebooks/sales.py" in out.stdout
    assert "asset marimo/slow" in out.stdout
    data = json.loads(cli("discover", "--json", cwd=root).stdout)
    pairs = {p["notebook"]: p["asset"] for p in data["pairs"]}
    assert pairs["notebooks/broken.py"] == "marimo/broken"
    assert [loc["error"] for loc in data["locations"]] == [None]


def test_run_a_notebook_to_success_and_read_its_metadata(
    project: tuple[Path, DagsterServer], cli: Runner
) -> None:
    root, server = project
    out = cli("run", "notebooks/sales.py", "--param", "rows=5", "--wait", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "launched marimo/sales" in out.stdout and out.stdout.rstrip().endswith("SUCCESS")
    run_id = out.stdout.split("run ", 1)[1].split()[0]

    async def materialization() -> dict[str, object]:
        async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
            answer = await client.poll(selected=run_id)
        (event,) = [e for e in answer.events if e.kind == "MaterializationEvent"]
        return {m.label: m.value for m in event.metadata}

    metadata = server.loop.run(materialization())
    assert Path(str(metadata["html"])).is_file()
    assert str(metadata["html_url"]).startswith("file://")
    assert "5 rows" in str(metadata["summary"])
    assert metadata["params"] == {"rows": 5}


def test_a_failing_cell_fails_the_run_with_its_error(
    project: tuple[Path, DagsterServer], cli: Runner
) -> None:
    root, _ = project
    out = cli("run", "--asset", "marimo/broken", "--wait", "--json", cwd=root)
    assert out.returncode == 1, out.stdout + out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines[0]["type"] == "launched" and lines[-1] == {
        "type": "finished",
        "run_id": lines[0]["run_id"],
        "status": "FAILURE",
    }
    errors = [e["error"] for e in lines if e["type"] == "event" and e.get("error")]
    assert any("load_rows" in e and "bad rows" in e for e in errors), errors


def test_unpaired_notebook_and_missing_url_are_clear(
    project: tuple[Path, DagsterServer], cli: Runner, tmp_path: Path
) -> None:
    root, _ = project
    lone = root / "notebooks" / "lone.py"
    lone.write_text((root / "notebooks" / "sales.py").read_text())
    out = cli("run", "notebooks/lone.py", cwd=root)
    assert out.returncode == 1
    assert "notebooks/lone.py is not paired with a Dagster asset" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert cli("run", cwd=root).returncode == 2
    bare = cli("discover", cwd=tmp_path)
    assert bare.returncode == 1 and "Dagster is not configured" in bare.stderr


def test_a_long_run_is_terminated(project: tuple[Path, DagsterServer]) -> None:
    _, server = project

    async def scenario() -> str:
        async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
            workspace = await client.workspace()
            slow = workspace.asset(("marimo", "slow"))
            assert slow is not None
            run = await client.launch_assets(slow.location, slow.repository, [slow.key])
            poller = RunPoller(client, interval=0.3)
            poller.select(run.run_id)
            deadline = time.monotonic() + 90
            # Terminate once the notebook itself runs (its worker logged the start).
            while time.monotonic() < deadline:
                await poller.poll_once()
                if any("running" in e.message.lower() for e in poller.state.events if e.step):
                    break
                await asyncio.sleep(0.3)
            await client.terminate(run.run_id)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                await poller.poll_once()
                if poller.state.runs[run.run_id].finished:
                    return poller.state.runs[run.run_id].status
                await asyncio.sleep(0.3)
        return "timeout"

    assert server.loop.run(scenario()) == "CANCELED"


def test_the_poller_rides_out_a_webserver_restart(project: tuple[Path, DagsterServer]) -> None:
    _, server = project
    # A busy machine slows the webserver, not the outcome: a generous timeout, and after the
    # restart a wait on the condition rather than one poll that must succeed at once.
    client = DagsterClient(server.url, timeout=CLIENT_TIMEOUT)
    poller = RunPoller(client, interval=0.2)

    def poll() -> tuple[bool | None, str]:
        async def once() -> None:
            with contextlib.suppress(DagsterError):
                await poller.poll_once()

        server.loop.run(once())
        return poller.state.connected, poller.state.error

    async def launch() -> None:
        workspace = await client.workspace()
        sales = workspace.asset(("marimo", "sales"))
        assert sales is not None
        poller.track(await client.launch_assets(sales.location, sales.repository, [sales.key]))

    server.loop.run(launch())
    assert poll() == (True, "")
    known = len(poller.state.runs)
    assert known >= 1
    server.stop()
    connected, error = poll()
    assert connected is False and "not reachable" in error
    server.start()
    deadline = time.monotonic() + 60
    while (state := poll()) != (True, "") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert state == (True, "")
    assert len(poller.state.runs) == known  # listed again from scratch, nothing lost
    server.loop.run(client.close())


def test_the_agent_lists_launches_and_reads_a_run(project: tuple[Path, DagsterServer]) -> None:
    from marimo_tui.agent.tools import ToolContext, ToolFailure, dispatch, specs
    from marimo_tui.config import load_config
    from marimo_tui.workbench import Workbench

    root, server = project
    wb = Workbench(load_config(start=root, environ={}))
    assert "launch_asset" in [s.name for s in specs(dagster=True)]
    assert "launch_asset" not in [s.name for s in specs()]

    async def scenario() -> None:
        ctx = ToolContext(wb, "t", lambda _e: None, approval="auto")
        listed = await dispatch(ctx, "list_assets", {})
        notebooks = {a["key"]: a["notebook"] for a in listed.data["assets"]}
        assert notebooks["marimo/sales"] == "notebooks/sales.py"
        readonly = ToolContext(wb, "t", lambda _e: None, approval="read-only")
        with pytest.raises(ToolFailure, match="read-only"):
            await dispatch(readonly, "launch_asset", {"notebook": "notebooks/sales.py"})
        launched = await dispatch(
            ctx, "launch_asset", {"notebook": "notebooks/sales.py", "params": {"rows": 7}}
        )
        run_id = launched.data["run_id"]
        status = await dispatch(ctx, "run_status", {"run_id": run_id, "wait": 120})
        assert status.data["status"] == "SUCCESS", status.data
        (made,) = status.data["materialized"]
        assert made["asset"] == "marimo/sales" and "7 rows" in made["metadata"]["summary"]
        broken = await dispatch(ctx, "launch_asset", {"asset": "marimo/broken"})
        failed = await dispatch(ctx, "run_status", {"run_id": broken.data["run_id"], "wait": 120})
        assert failed.data["status"] == "FAILURE"
        assert any("bad rows" in e for e in failed.data["errors"])

    server.loop.run(scenario())
