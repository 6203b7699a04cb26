"""The MCP server: the cell tools and the notebooks of one project, served to outside agents
(Claude Code, Codex, opencode, goose) over stdio or streamable HTTP, with the official SDK.

The SDK's low-level `Server`: it takes our tools' JSON schemas as they are (FastMCP would derive
schemas from Python signatures), and arguments reach `dispatch`, which validates them against
the same schemas as for the built-in agent. Each client gets its own backend from a
`BackendSource`; the server knows nothing else of where the tools run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from typing import Any

import mcp_types as types
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.shared.exceptions import MCPError

from marimo_tui import __version__
from marimo_tui.agent.profiles import MARIMO_RULES
from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.mcp_server.backend import BackendSource, ToolBackend
from marimo_tui.mcp_server.results import notebook_uri, path_of_uri

log = logging.getLogger("marimo_tui.mcp")

NAME = "marimo-tui"
INSTRUCTIONS = (
    MARIMO_RULES
    + "Notebooks are also resources (marimo-tui://notebook/PATH): the cells as the workbench "
    "shows them. Your writes are journaled by turn (your calls between two `plan` or `undo` "
    "calls); `undo` reverts your last turn.\n"
)
RESOURCE_NOT_FOUND = -32002  # the MCP spec's code for an unknown resource
MCP_PATH = "/mcp"


class Clients:
    """One backend per client: the stdio peer is one client, each HTTP session another."""

    def __init__(self, source: BackendSource) -> None:
        self.source = source
        self._backends: dict[str, ToolBackend] = {}
        self._opening = asyncio.Lock()

    async def backend(self, ctx: ServerRequestContext[Any, Any]) -> ToolBackend:
        key = _session_key(ctx)
        backend = self._backends.get(key)
        if backend is None:
            async with self._opening:
                backend = self._backends.get(key)
                if backend is None:
                    backend = await self.source.open(_client_label(ctx))
                    self._backends[key] = backend
        return backend

    async def close(self) -> None:
        backends, self._backends = list(self._backends.values()), {}
        for backend in backends:
            try:
                await backend.close()
            except Exception:
                log.exception("closing a client's backend")
        await self.source.close()


def _session_key(ctx: ServerRequestContext[Any, Any]) -> str:
    """The HTTP session's id; "" for stdio (one peer) and for sessionless requests."""
    request = ctx.request
    headers = getattr(request, "headers", None)
    if headers is None:
        return ""
    return str(headers.get("mcp-session-id") or "")


def _client_label(ctx: ServerRequestContext[Any, Any]) -> str:
    params = ctx.session.client_params
    name = params.client_info.name if params is not None else ""
    # A label, not a path or markup: what the workbench shows and journal groups are named by.
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in name.strip())[:40]
    return cleaned or "mcp"


# Tools that change nothing: no file, no kernel state, no run. A client may call these without
# asking; `run_cells` and `launch_asset` write no file but run code, so they are not here, nor
# is a tool added later until it is put here.
READ_ONLY = frozenset(
    {
        "list_notebooks",
        "list_cells",
        "read_cell",
        "read_outputs",
        "lint",
        "list_templates",
        "list_assets",
        "run_status",
    }
)


def mcp_tool(spec: ToolSpec) -> types.Tool:
    read_only = spec.name in READ_ONLY
    return types.Tool(
        name=spec.name,
        description=spec.description,
        input_schema=dict(spec.parameters),
        annotations=types.ToolAnnotations(read_only_hint=read_only, destructive_hint=not read_only),
    )


def build_server(clients: Clients) -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        backend = await clients.backend(ctx)
        return types.ListToolsResult(tools=[mcp_tool(s) for s in await backend.list_tools()])

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        backend = await clients.backend(ctx)
        result = await backend.call(params.name, dict(params.arguments or {}))
        return types.CallToolResult(
            content=[types.TextContent(text=result.text)],
            structured_content=result.data or None,
            is_error=result.is_error,
        )

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        backend = await clients.backend(ctx)
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=notebook_uri(nb.path),
                    name=nb.path,
                    title=nb.title,
                    description="a marimo notebook: its cells, statuses and outputs",
                    mime_type="text/markdown",
                )
                for nb in await backend.notebooks()
            ]
        )

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        backend = await clients.backend(ctx)
        uri = str(params.uri)
        path = path_of_uri(uri)
        if path is None:
            raise MCPError(RESOURCE_NOT_FOUND, f"unknown resource {uri}")
        try:
            text = await backend.read_notebook(path)
        except ValueError as exc:
            raise MCPError(RESOURCE_NOT_FOUND, str(exc)) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type="text/markdown", text=text)]
        )

    return Server(
        NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


async def serve_stdio(source: BackendSource) -> None:
    """Serve one client on stdin/stdout until it closes them; then close the backends."""
    from mcp.server.stdio import stdio_server

    clients = Clients(source)
    server = build_server(clients)
    try:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    finally:
        await clients.close()


class StaticToken:
    """The SDK's bearer-token check, against the one token this server was started with."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._token.encode()):
            return AccessToken(token=token, client_id="marimo-tui", scopes=[])
        return None


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1 (`port` 0: a free one), bound before serving, so the
    address is known and a port in use fails at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    sock.listen(64)
    return sock


async def serve_http(source: BackendSource, sock: socket.socket, token: str) -> None:
    """Serve streamable HTTP at http://127.0.0.1:PORT/mcp to clients with the bearer token;
    a missing or wrong token gets 401."""
    import uvicorn

    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    clients = Clients(source)
    server = build_server(clients)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host="127.0.0.1",
        auth=AuthSettings(issuer_url=url, resource_server_url=None),  # type: ignore[arg-type]
        token_verifier=StaticToken(token),
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        with contextlib.suppress(Exception):
            sock.close()
        await clients.close()
