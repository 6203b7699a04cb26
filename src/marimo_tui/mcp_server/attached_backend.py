"""The `ToolBackend` of `marimo-tui mcp` attached to an open workbench: every request goes over
the workbench's socket (`attach_wire`) and runs there, in its views and its marimo session."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marimo_tui.mcp_server import attach_wire as wire
from marimo_tui.mcp_server.backend import CallResult, NotebookResource, socket_path

if TYPE_CHECKING:
    from marimo_tui.agent.providers.base import ToolSpec

CLOSED = "the workbench closed the connection (was it quit?)"


class AttachedBackend:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: str
    ) -> None:
        self.client = client
        self._reader, self._writer = reader, writer
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reading = asyncio.ensure_future(self._read())
        self.hello: dict[str, Any] = {}

    @classmethod
    async def connect(cls, root: Path, client: str) -> AttachedBackend:
        """Attach to the workbench open on `root`; AttachError when none is."""
        reader, writer = await wire.open_connection(socket_path(root))
        backend = cls(reader, writer, client)
        try:
            await backend.introduce(client)
        except (wire.RemoteError, ConnectionError) as exc:
            await backend.close()
            raise wire.AttachError(f"the workbench did not answer: {exc}") from None
        return backend

    async def introduce(self, client: str) -> None:
        """Tell the workbench who calls (MCP `initialize`'s clientInfo name): its label."""
        self.client = client
        self.hello = await self._request("hello", client=client, protocol=wire.PROTOCOL)

    # -- ToolBackend -------------------------------------------------------------------------
    async def list_tools(self) -> list[ToolSpec]:
        answer = await self._request("list_tools")
        return [wire.spec_from_wire(t) for t in answer["tools"]]

    async def call(self, name: str, arguments: dict[str, Any]) -> CallResult:
        try:
            answer = await self._request("call", name=name, arguments=arguments)
        except (wire.RemoteError, ConnectionError) as exc:
            return CallResult(str(exc), {"ok": False, "error": str(exc)}, is_error=True)
        return wire.result_from_wire(answer)

    async def notebooks(self) -> list[NotebookResource]:
        answer = await self._request("notebooks")
        return [wire.resource_from_wire(r) for r in answer["notebooks"]]

    async def read_notebook(self, path: str) -> str:
        answer = await self._request("read_notebook", path=path)
        return str(answer["text"])

    async def close(self) -> None:
        if not self._writer.is_closing():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._request("bye"), wire.CONNECT_TIMEOUT)
            self._writer.close()
        self._reading.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reading
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()

    # -- the wire ------------------------------------------------------------------------------
    async def _request(self, op: str, **params: Any) -> dict[str, Any]:
        if self._reading.done():
            raise ConnectionError(CLOSED)
        rid = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = answer
        try:
            self._writer.write(wire.encode({"id": rid, "op": op, **params}))
            await self._writer.drain()
            reply = await answer
        finally:
            self._waiting.pop(rid, None)
        if not reply.get("ok"):
            raise wire.RemoteError(str(reply.get("error") or "the workbench refused the request"))
        result = reply.get("result")
        return result if isinstance(result, dict) else {}

    async def _read(self) -> None:
        try:
            while line := await self._reader.readline():
                with contextlib.suppress(ValueError):
                    reply = wire.decode(line)
                    waiting = self._waiting.get(reply.get("id"))  # type: ignore[arg-type]
                    if waiting is not None and not waiting.done():
                        waiting.set_result(reply)
        except (ConnectionError, ValueError):
            pass
        finally:
            for waiting in self._waiting.values():
                if not waiting.done():
                    waiting.set_exception(ConnectionError(CLOSED))
