"""`doctor`'s MCP line: can an agent's MCP client start `marimo-tui mcp`?

It can when the `mcp` package imports, the command resolves (`marimo-tui` on PATH, which is
what the README's snippets name), and the server, started as a client starts it, answers
`initialize` on stdout within a few seconds. The probe starts it without marimo
(`MARIMO_TUI_MARIMO_ENABLED=false`): the handshake is what is checked, not the sidecar.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

from marimo_tui.doctor_base import Check

PROBE_TIMEOUT = 15.0  # s for a cold Python to import the server and answer (a busy machine)
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "marimo-tui-doctor", "version": "0"},
    },
}


def mcp_command() -> tuple[list[str], bool]:
    """The command a client runs, and whether it is `marimo-tui` found on PATH."""
    found = shutil.which("marimo-tui")
    if found:
        return [found, "mcp"], True
    return [sys.executable, "-m", "marimo_tui", "mcp"], False


def check_mcp(root: Path, timeout: float = PROBE_TIMEOUT) -> Check:
    if find_spec("mcp") is None:
        return Check("mcp", False, "the mcp package is not installed", "pip install 'mcp>=2.3,<3'")
    command, on_path = mcp_command()
    answered, detail = probe(command, root, timeout)
    if not answered:
        return Check(
            "mcp",
            False,
            f"`{' '.join(command)}` did not answer initialize: {detail}",
            "run it by hand to see its error on stderr",
        )
    if not on_path:
        return Check(
            "mcp",
            False,
            f"answers initialize ({detail}), but `marimo-tui` is not on PATH",
            f"register `{' '.join(command)}` with your agent, or put "
            f"{Path(sys.executable).parent} on PATH",
        )
    return Check("mcp", True, f"`marimo-tui mcp` answers initialize ({detail})")


def probe(command: list[str], root: Path, timeout: float) -> tuple[bool, str]:
    """Start the server as an MCP client does, send `initialize`, read the first line back."""
    env = {**os.environ, "MARIMO_TUI_MARIMO_ENABLED": "false"}
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        return False, exc.strerror or str(exc)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        # A command that exits at once (not a server) may have closed its stdin already: what
        # it wrote on stdout tells what it is.
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
            proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            return False, f"no answer in {timeout:.0f} s"
        line = proc.stdout.readline()
        elapsed = time.monotonic() - started
        try:
            answer = json.loads(line)
            name = answer["result"]["serverInfo"]["name"]
        except (ValueError, KeyError, TypeError):
            shown = line[:80].decode(errors="replace") or "nothing (it exited)"
            return False, f"not an MCP answer on stdout: {shown!r}"
        return True, f"{name} in {elapsed:.1f} s"
    finally:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()  # the client has gone: the server stops by itself
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
