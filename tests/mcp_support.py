"""`marimo-tui mcp` driven by the official MCP client: over stdio (the server a subprocess, as an
agent's config launches it) and over streamable HTTP (a server started with --http)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx2
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, Implementation, TextContent

from tests.conftest import HANG, cli_env, interruptible

NO_MARIMO = {"MARIMO_TUI_MARIMO_ENABLED": "false"}  # for tests about the store, not reruns


@contextlib.asynccontextmanager
async def stdio_session(
    root: Path, errlog: IO[str], client: str | None = None, **env: str
) -> AsyncIterator[ClientSession]:
    """A client session with `python -m marimo_tui mcp` started in `root`; `client` is the
    name the client gives itself (an agent's, e.g. `claude-code`)."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "marimo_tui", "mcp"],
        cwd=str(root),
        env=cli_env(**env),
    )
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(
            read,
            write,
            read_timeout_seconds=3 * HANG,
            client_info=Implementation(name=client, version="1") if client else None,
        ) as session,
    ):
        await session.initialize()
        yield session


def text(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def data(result: CallToolResult) -> dict[str, Any]:
    assert isinstance(result.structured_content, dict), result
    return result.structured_content


async def call(session: ClientSession, name: str, **arguments: Any) -> CallToolResult:
    return await session.call_tool(name, arguments)


async def ok(session: ClientSession, name: str, **arguments: Any) -> dict[str, Any]:
    """A call that must succeed; its structured result."""
    result = await call(session, name, **arguments)
    assert not result.is_error, text(result)
    return data(result)


@dataclass
class HttpServer:
    proc: subprocess.Popen[bytes]
    url: str
    token: str
    token_file: Path
    root: Path
    log: Path  # its stderr


@contextlib.contextmanager
def http_server(root: Path, **env: str) -> Iterator[HttpServer]:
    """`marimo-tui mcp --http` in `root`: its URL from stderr, its token from its file."""
    log_path = root.parent / f"{root.name}-mcp-http.log"
    log = log_path.open("w+b")
    proc = subprocess.Popen(
        [sys.executable, "-m", "marimo_tui", "mcp", "--http"],
        cwd=root,
        env=cli_env(**env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=interruptible,
    )
    assert proc.stderr is not None
    try:
        url = _serving_url(proc.stderr, log)
        token_file = root / ".marimo-tui" / "mcp-token"
        yield HttpServer(proc, url, token_file.read_text().strip(), token_file, root, log_path)
    finally:
        proc.send_signal(signal.SIGTERM)  # as a process manager stops it
        try:
            proc.wait(HANG)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    # Stopped by the signal, it took its marimo server with it.
    deadline = time.monotonic() + HANG
    while processes_in(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_in(root), "the marimo server outlived mcp --http"


def _serving_url(stderr: IO[bytes], log: IO[bytes]) -> str:
    """The URL of the server's `serving` line. Its stderr is copied into the log by a thread
    for as long as it runs (a full pipe would stall the server). A select() on the pipe would
    not do: readline() may take both start-up lines into its buffer at once (a busy machine
    reads late), and select() then waits on an empty pipe for a line already read."""
    import queue
    import threading

    lines: queue.Queue[bytes] = queue.Queue()

    def copy() -> None:
        with contextlib.suppress(ValueError, OSError):
            for line in stderr:
                log.write(line)
                log.flush()
                lines.put(line)
        lines.put(b"")  # the end of its output

    threading.Thread(target=copy, daemon=True).start()
    deadline = time.monotonic() + 2 * HANG
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if not line:
            break
        if b"serving http://" in line:
            return line.split(b"serving ", 1)[1].split()[0].decode()
    written = Path(str(log.name)).read_bytes().decode(errors="replace")
    raise AssertionError(f"no serving line from mcp --http:\n{written}")


@contextlib.asynccontextmanager
async def http_session(
    server: HttpServer, token: str | None = None
) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token or server.token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(3 * HANG)) as client,
        streamable_http_client(server.url, http_client=client) as (read, write),
        ClientSession(read, write, read_timeout_seconds=3 * HANG) as session,
    ):
        await session.initialize()
        yield session


def processes_in(root: Path) -> list[int]:
    """Processes whose working folder is `root` (the server and its marimo sidecar)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if Path(os.readlink(entry / "cwd")) == root.resolve():
                    found.append(int(entry.name))
    return found
