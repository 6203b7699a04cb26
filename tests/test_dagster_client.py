"""The Dagster client against a real webserver on 127.0.0.1 (plain assets, no notebooks)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.errors import DagsterError
from marimo_tui.dagster.model import Workspace
from marimo_tui.processes import free_port
from tests.dagster_support import CLIENT_TIMEOUT, DagsterServer, plain_project, serve
from tests.dagster_support import wait_finished as _wait_finished


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterServer]:
    root = tmp_path_factory.mktemp("plain")
    yield from serve(root, plain_project(root))


async def test_workspace_lists_locations_and_assets(server: DagsterServer) -> None:
    async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
        workspace = await client.workspace()
    assert [loc.error for loc in workspace.locations] == [None]
    assert {a.name for a in workspace.assets} == {"ok", "fails", "slow"}
    assert all(a.group == "plain" for a in workspace.assets)


async def test_launch_success_and_failure_and_events(server: DagsterServer) -> None:
    async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
        workspace = await client.workspace()
        ok = workspace.asset(("ok",))
        assert ok is not None
        run = await client.launch_assets(ok.location, ok.repository, [ok.key])
        assert run.assets == (("ok",),)
        done = await _wait_finished(client, run.run_id)
        assert done.status == "SUCCESS"
        answer = await client.poll(
            changed={"runIds": [run.run_id]}, shown=[run.run_id], selected=run.run_id
        )
        assert answer.stats[run.run_id].steps_succeeded == 1
        kinds = [e.kind for e in answer.events]
        assert "RunSuccessEvent" in kinds and "MaterializationEvent" in kinds
        # Incremental: after the cursor there is nothing new.
        again = await client.poll(selected=run.run_id, after=answer.cursor)
        assert again.events == []
        # The captured stdout of the step.
        keys = [e.log_key for e in answer.events if e.log_key]
        assert keys
        logs = await client.captured_logs(run.run_id, keys[0])
        assert "ok ran" in logs.stdout

        fails = workspace.asset(("fails",))
        assert fails is not None
        run = await client.launch_assets(fails.location, fails.repository, [fails.key])
        done = await _wait_finished(client, run.run_id)
        assert done.status == "FAILURE"
        answer = await client.poll(selected=run.run_id)
        errors = [e.error for e in answer.events if e.error]
        assert any("ValueError: plain failure" in e for e in errors)


async def test_terminate_a_long_run(server: DagsterServer) -> None:
    async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
        workspace = await client.workspace()
        slow = workspace.asset(("slow",))
        assert slow is not None
        run = await client.launch_assets(slow.location, slow.repository, [slow.key])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = (await client.poll(changed={"runIds": [run.run_id]})).changed[0]
            if current.status == "STARTED":
                break
            await asyncio.sleep(0.3)
        await client.terminate(run.run_id)
        done = await _wait_finished(client, run.run_id, timeout=60)
        assert done.status == "CANCELED"


async def test_error_shapes_are_one_line(server: DagsterServer) -> None:
    async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
        workspace = await client.workspace()
        ok = workspace.asset(("ok",))
        assert ok is not None
        with pytest.raises(DagsterError, match=r"invalid asset selection|no asset") as bad_asset:
            await client.launch_assets(ok.location, ok.repository, [("nope",)])
        with pytest.raises(DagsterError, match="no job 'missing'") as no_job:
            from marimo_tui.dagster.model import Job

            await client.launch_job(Job("missing", ok.location, ok.repository))
        with pytest.raises(DagsterError, match="invalid run config") as bad_config:
            await client.launch_assets(
                ok.location,
                ok.repository,
                [("slow",)],
                run_config={"ops": {"slow": {"config": {"seconds": "x"}}}},
            )
        with pytest.raises(DagsterError, match="no run") as no_run:
            await client.terminate("00000000-0000-0000-0000-000000000000")
        answer = await client.poll(selected="00000000-0000-0000-0000-000000000000")
        assert answer.selected is None and "no run" in (answer.selected_error or "")
    for caught in (bad_asset, no_job, bad_config, no_run):
        assert "\n" not in str(caught.value)


async def test_server_down_and_not_dagster() -> None:
    port = free_port("127.0.0.1")
    async with DagsterClient(f"http://127.0.0.1:{port}", timeout=2) as client:
        with pytest.raises(DagsterError, match=r"not reachable.*connection refused") as down:
            await client.workspace()
    assert down.value.down


def test_a_location_that_fails_to_load_is_reported(tmp_path: Path) -> None:
    (tmp_path / "definitions.py").write_text(
        "import dagster as dg\nraise RuntimeError('broken defs')\n"
    )

    async def read(url: str) -> Workspace:
        async with DagsterClient(url, timeout=CLIENT_TIMEOUT) as client:
            return await client.workspace()

    for server in serve(tmp_path, tmp_path / "definitions.py"):
        (location,) = server.loop.run(read(server.url)).locations
        assert location.error is not None
        assert location.error.startswith("RuntimeError: broken defs")


def test_documents_are_valid_against_dagsters_schema() -> None:
    from dagster_graphql.schema import create_schema
    from graphql import parse, validate

    from marimo_tui.dagster.documents import NAMES, document

    schema = create_schema().graphql_schema
    for name in NAMES:
        assert validate(schema, parse(document(name))) == [], name


def test_every_cut_of_the_poll_document_is_valid_and_names_its_variables() -> None:
    """A poll sends the poll document without the root fields it does not ask: each of those
    documents is valid (no unused variable or fragment), and says which variables it takes."""
    from itertools import combinations

    from dagster_graphql.schema import create_schema
    from graphql import OperationDefinitionNode, parse, validate

    from marimo_tui.dagster.documents import pruned

    schema = create_schema().graphql_schema
    optional = ("inFlight", "shown", "selected", "locations", "assets")
    for count in range(len(optional) + 1):
        for skip in map(frozenset, combinations(optional, count)):
            text, variables = pruned("poll", skip)
            tree = parse(text)
            assert validate(schema, tree) == [], skip
            (operation,) = [d for d in tree.definitions if isinstance(d, OperationDefinitionNode)]
            fields = {(f.alias or f.name).value for f in operation.selection_set.selections}
            assert fields == {"changed", *optional} - skip
            assert variables == {v.variable.name.value for v in operation.variable_definitions}


class _Canned:
    """A loopback HTTP server answering every POST with one status and body; it keeps the
    headers it was sent."""

    def __init__(self, status: int, body: bytes) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        seen = self.headers = []  # type: list[dict[str, str]]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                seen.append(dict(self.headers))
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, b'{"message": "no"}', "HTTP 401 from .*: the token was refused"),
        (404, b"not found", "HTTP 404: no GraphQL endpoint at .*/graphql"),
        (500, b"oops", "HTTP 500 from"),
        (200, b'{"errors": [{"message": "Cannot query field x"}]}', "GraphQL error: Cannot query"),
        (200, b"<html>hello</html>", "did not answer as a Dagster GraphQL server"),
    ],
)
async def test_http_and_graphql_errors_are_one_line_without_the_token(
    status: int, body: bytes, expected: str
) -> None:
    canned = _Canned(status, body)
    try:
        async with DagsterClient(
            canned.url, token="s3cret-token", timeout=CLIENT_TIMEOUT
        ) as client:
            with pytest.raises(DagsterError, match=expected) as caught:
                await client.workspace()
    finally:
        canned.close()
    assert canned.headers[0]["Dagster-Cloud-Api-Token"] == "s3cret-token"
    assert "s3cret" not in str(caught.value) and "\n" not in str(caught.value)
