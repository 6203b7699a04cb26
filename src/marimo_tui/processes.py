"""Child servers of the workbench (the marimo sidecar, a Dagster webserver): ports and lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        libc = ctypes.CDLL(None, use_errno=True)
        # SIGTERM, not SIGKILL: marimo's server then shuts its kernels down itself.
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the signal was armed
        sys.exit(1)


async def wait_exit(process: asyncio.subprocess.Process) -> int:
    """The exit code, as soon as the process exits. Not `process.wait()`: that also waits for
    its output pipe to close, which children of the process may hold open for a while."""
    while process.returncode is None:
        await asyncio.sleep(0.05)
    return process.returncode


async def stop_group(process: asyncio.subprocess.Process, grace: float = 3.0) -> None:
    """Stop a process started with `start_new_session=True` and everything in its group:
    SIGTERM, then SIGKILL after `grace` seconds."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wait_exit(process), grace)
    # The process may be gone while its children linger: the group still names them.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wait_exit(process), grace)


def describe_exit(code: int | None) -> str:
    """How a process ended, from its return code (negative: the signal that killed it)."""
    if code is None:
        return "still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"
