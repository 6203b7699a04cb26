"""`marimo-tui mcp --http`: streamable HTTP on 127.0.0.1 behind a bearer token, with the
official MCP client; one server (and one marimo sidecar) for the module, one session per
client, each with its own reads and turns."""

from __future__ import annotations

import stat
from collections.abc import Iterator

import httpx
import pytest

from marimo_tui.doctor_mcp import INITIALIZE
from tests.mcp_support import HttpServer, call, http_server, http_session, ok, text
from tests.tui_support import make_project

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]
ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    root = tmp_path_factory.mktemp("mcp-http") / "project"
    make_project(root, CELLS)
    with http_server(root) as running:
        yield running


def test_a_missing_or_wrong_token_gets_401_and_the_token_is_the_owners_only(
    server: HttpServer,
) -> None:
    assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/mcp")
    mode = stat.S_IMODE(server.token_file.stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert len(server.token) >= 32
    wrong = server.token[:-4] + ("AAAA" if not server.token.endswith("AAAA") else "BBBB")
    for headers in ({}, {"Authorization": f"Bearer {wrong}"}, {"Authorization": "Basic x"}):
        refused = httpx.post(server.url, json=INITIALIZE, headers={**ACCEPT, **headers})
        assert refused.status_code == 401, refused.text
    taken = httpx.post(
        server.url,
        json=INITIALIZE,
        headers={**ACCEPT, "Authorization": f"Bearer {server.token}"},
    )
    assert taken.status_code == 200 and "marimo-tui" in taken.text
    # Where the token is, never the token: stderr is kept as the server's log.
    assert ".marimo-tui/mcp-token" in server.log.read_text()
    assert server.token not in server.log.read_text()


async def test_an_added_cell_returns_marimos_value_over_http(server: HttpServer) -> None:
    async with http_session(server) as session:
        names = [t.name for t in (await session.list_tools()).tools]
        assert "add_cell" in names and "undo" in names
        added = await ok(session, "add_cell", code="squared = value ** 2 + 41\nsquared")
        cell = added["cell"]["id"]
        assert added["outputs"][cell] == {"kind": "text", "text": "42"}
        await ok(session, "undo")


async def test_two_clients_have_their_own_reads_so_a_stale_edit_is_a_conflict(
    server: HttpServer,
) -> None:
    path = server.root / "notebooks" / "main.py"
    original = path.read_bytes()
    async with http_session(server) as first, http_session(server) as second:
        await ok(first, "list_cells")
        await ok(second, "edit_cell", cell="shown", search="* 2", replace="* 7")
        clash = await call(first, "edit_cell", cell="shown", search="* 2", replace="* 9")
        assert clash.is_error and "changed on disk since you read it" in text(clash)
        assert "value * 7" in path.read_text()
        # Turns are per client: the first has nothing to undo, the second its edit.
        assert (await call(first, "undo")).is_error
        await ok(second, "undo")
    assert path.read_bytes() == original
