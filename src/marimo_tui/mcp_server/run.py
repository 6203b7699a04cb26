"""`marimo-tui mcp`: serve the project's cell tools to one agent over stdio (what agents'
configs launch), or over streamable HTTP on 127.0.0.1 with a bearer token (`--http`).

On stdio nothing but the protocol goes to stdout: logs go to stderr, which clients keep as the
server's log. The HTTP token is `MARIMO_TUI_MCP_TOKEN` when set (so a client's config can hold
the same one), else made anew at each start; either way it is written to an owner-only file,
`.marimo-tui/mcp-token`, and never printed or logged. SIGTERM, SIGINT and SIGHUP stop the
server cleanly, the marimo sidecar with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from marimo_tui.config_schema import Config

TOKEN_ENV = "MARIMO_TUI_MCP_TOKEN"
TOKEN_FILE = "mcp-token"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def token_path(config: Config) -> Path:
    return config.state_dir / TOKEN_FILE


def write_token(config: Config, token: str) -> Path:
    """The token in an owner-only file (made so before the token is in it)."""
    path = token_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)  # a file left by someone else's umask
        f.write(token + "\n")
    return path


def _logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("marimo-tui mcp: %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("marimo_tui").setLevel(logging.INFO)


def run_mcp(config: Config, *, http: bool = False, port: int = 0) -> int:
    _logging()
    try:
        return asyncio.run(_serve(config, http=http, port=port))
    except KeyboardInterrupt:
        return EXIT_OK


async def _serve(config: Config, *, http: bool, port: int) -> int:
    from marimo_tui.mcp_server.choose import choose_backend
    from marimo_tui.mcp_server.headless_backend import HeadlessProject
    from marimo_tui.mcp_server.server import bind, serve_http, serve_stdio

    log = logging.getLogger("marimo_tui.mcp")
    sock = None
    if http:
        try:
            sock = bind(port)  # before anything starts: a port in use fails at once
        except OSError as exc:
            log.error("cannot listen on 127.0.0.1:%s: %s", port, exc.strerror or exc)
            return EXIT_USAGE
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, task.cancel)
    source = None
    try:
        source = await choose_backend(config)
        mode = (
            "headless" if isinstance(source, HeadlessProject) else "attached to the open workbench"
        )
        print(f"marimo-tui mcp: {mode}", file=sys.stderr)
        if sock is None:
            await serve_stdio(source)
            return EXIT_OK
        token = os.environ.get(TOKEN_ENV, "").strip() or secrets.token_urlsafe(32)
        if isinstance(source, HeadlessProject):  # a cell that digs it out shows it redacted
            source.workbench.redactor.add(token)
        where = write_token(config, token)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
        # The address and where the token is, never the token: this line may be logged.
        print(f"marimo-tui mcp: serving {url} (bearer token in {where})", file=sys.stderr)
        sys.stderr.flush()
        await serve_http(source, sock, token)
        return EXIT_OK
    except asyncio.CancelledError:
        return EXIT_OK
    finally:
        if source is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(source.close())
        if sock is not None:
            sock.close()
