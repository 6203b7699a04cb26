"""The wire between an open workbench and `marimo-tui mcp` attached to it: a Unix socket under the
project's `.marimo-tui/`, carrying one JSON object per line.

A request is `{"id": N, "op": OP, ...}`; its answer `{"id": N, "ok": true, "result": ...}` or
`{"id": N, "ok": false, "error": TEXT}`. Ops: `hello` (`client`: who is calling, e.g. the MCP
client's name), `list_tools`, `call` (`name`, `arguments`), `notebooks`, `read_notebook`
(`path`), `bye`. Answers may come out of order (an approval can hold one call while the client
reads a notebook), so the client matches them by id.

Who may connect is decided by the file system: the folder is the owner's only (0700) and the
socket 0600, and the server also checks the peer's uid (SO_PEERCRED).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import stat
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from marimo_tui.agent.providers.base import ToolSpec
from marimo_tui.mcp_server.backend import CallResult, NotebookResource

PROTOCOL = 1
# A line holds a whole tool result or a notebook's code: far past asyncio's 64 KiB default.
LINE_LIMIT = 64 * 1024 * 1024
# sun_path holds 108 bytes with its NUL; a longer path is reached through its folder's fd.
MAX_SUN_PATH = 107
CONNECT_TIMEOUT = 5.0
DEFAULT_CLIENT = "mcp client"  # until the client names itself (MCP `initialize`)


class AttachError(Exception):
    """The workbench's socket cannot be used (not ours, not a socket, refused, closed)."""


class RemoteError(Exception):
    """The workbench answered a request with an error."""


def encode(message: dict[str, Any]) -> bytes:
    return (
        json.dumps(message, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")
        + b"\n"
    )


def decode(line: bytes) -> dict[str, Any]:
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a message is a JSON object")
    return message


# -- values on the wire --------------------------------------------------------------------
def spec_to_wire(spec: ToolSpec) -> dict[str, Any]:
    return {"name": spec.name, "description": spec.description, "parameters": spec.parameters}


def spec_from_wire(data: dict[str, Any]) -> ToolSpec:
    return ToolSpec(data["name"], data["description"], data["parameters"])


def result_to_wire(result: CallResult) -> dict[str, Any]:
    return {"text": result.text, "data": result.data, "is_error": result.is_error}


def result_from_wire(data: dict[str, Any]) -> CallResult:
    return CallResult(str(data["text"]), dict(data.get("data") or {}), bool(data.get("is_error")))


def resource_to_wire(resource: NotebookResource) -> dict[str, Any]:
    return {"path": resource.path, "title": resource.title}


def resource_from_wire(data: dict[str, Any]) -> NotebookResource:
    return NotebookResource(str(data["path"]), str(data["title"]))


# -- the socket file -----------------------------------------------------------------------
@contextlib.contextmanager
def socket_address(path: Path) -> Iterator[str]:
    """An address `bind`/`connect` accept for `path`: itself when short enough, else the same
    file reached through an open descriptor of its folder (Linux's /proc/self/fd)."""
    if len(os.fsencode(path)) <= MAX_SUN_PATH:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)


def private_folder(folder: Path) -> None:
    """Make `folder` exist and be the owner's only; refuse one that is someone else's."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise AttachError(f"{folder} is not a folder of this user: not listening there")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(folder, 0o700)  # the journal and transcripts there are the owner's too
    except OSError as exc:  # e.g. a read-only project
        raise AttachError(f"cannot make {folder} private: {exc}") from None


def is_live(path: Path) -> bool:
    """Whether a workbench answers on the socket at `path` (False: absent or stale)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISSOCK(info.st_mode):
        raise AttachError(f"{path} exists and is not a socket: not touching it")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe, socket_address(path) as addr:
        probe.settimeout(CONNECT_TIMEOUT)
        try:
            probe.connect(addr)
        except (ConnectionRefusedError, FileNotFoundError):
            return False  # a workbench that died without removing it
    return True


def listening_socket(path: Path) -> tuple[socket.socket, int]:
    """A socket listening at `path` (0600 in a 0700 folder) and the file's inode (to remove it
    at exit only if it is still ours). A stale socket is replaced; a live one is an error."""
    private_folder(path.parent)
    if is_live(path):
        raise AttachError("another workbench is open on this project and serves outside agents")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with socket_address(path) as addr:
            sock.bind(addr)
        # The folder is 0700, so nobody else could connect in the moment before this.
        os.chmod(path, 0o600)
        sock.listen(16)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise AttachError(f"cannot listen on {path}: {exc}") from None
    return sock, os.lstat(path).st_ino


def remove_if_ours(path: Path, inode: int) -> None:
    with contextlib.suppress(OSError):
        if os.lstat(path).st_ino == inode:
            os.unlink(path)


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


async def open_connection(path: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to the workbench at `path`; AttachError when none answers there."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise AttachError("no workbench is open on this project") from None
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
        raise AttachError(f"{path} is not a workbench socket of this user")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        with socket_address(path) as addr:
            await asyncio.wait_for(
                asyncio.get_running_loop().sock_connect(sock, addr), CONNECT_TIMEOUT
            )
    except (OSError, TimeoutError) as exc:
        sock.close()
        raise AttachError(f"no workbench answers on {path}: {exc}") from None
    return await asyncio.open_unix_connection(sock=sock, limit=LINE_LIMIT)
