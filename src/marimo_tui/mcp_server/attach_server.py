"""The open workbench's side of attach mode: it listens on `socket_path(root)` and runs each
connected client's requests as an `OutsideAgent` in this process, so an outside agent's edits
go through the workbench's store, approval and marimo session and show in its views.

No view is imported here: the app passes the approval policy, the approver (its dialog) and a
listener for the events (its chat pane), as it does for the built-in agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from marimo_tui.agent.tools import Approval, Approver, ToolFailure
from marimo_tui.mcp_server import attach_wire as wire
from marimo_tui.mcp_server.backend import socket_path
from marimo_tui.mcp_server.outside_agent import TURN_GAP, OutsideAgent, OutsideListener

if TYPE_CHECKING:
    import socket

    from marimo_tui.workbench import Workbench


CLIENT_CHARS = 60  # of a client's name: a label, not a story
WRITERS_KEPT = 8  # outside agents remembered for /undo, connected or gone


class AttachServer:
    def __init__(
        self,
        workbench: Workbench,
        *,
        approval: Callable[[], Approval],
        approver: Approver | None,
        listener: OutsideListener,
        rerun_timeout: float = 30.0,
        turn_gap: float = TURN_GAP,
        on_clients: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.workbench = workbench
        self.path = socket_path(workbench.root)
        self.approval = approval  # asked per client: the policy may change while it is open
        self.approver = approver
        self.listener = listener
        self.rerun_timeout = rerun_timeout
        self.turn_gap = turn_gap
        self.on_clients = on_clients  # told the connected clients' names when they change
        self.agents: list[OutsideAgent] = []
        self.writers: list[OutsideAgent] = []  # those that wrote, the latest last
        self._server: asyncio.Server | None = None
        self._inode = 0
        self._connections: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Listen; AttachError when another workbench already serves this project."""
        sock, self._inode = await asyncio.to_thread(wire.listening_socket, self.path)
        self._server = await asyncio.start_unix_server(
            self._connected, sock=sock, limit=wire.LINE_LIMIT
        )

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        wire.remove_if_ours(self.path, self._inode)
        for agent in list(self.agents):
            await agent.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await server.wait_closed()

    def _clients_changed(self) -> None:
        if self.on_clients is not None and self._server is not None:
            self.on_clients([agent.client for agent in self.agents])

    # -- undo ----------------------------------------------------------------------------------
    def undo_candidate(self) -> OutsideAgent | None:
        """The outside agent that wrote last, while its last turn's writes are not undone
        (also after it disconnected: `/undo` still reverts what it did)."""
        for agent in reversed(self.writers):
            if agent.undoable:
                return agent
        return None

    def _wrote(self, agent: OutsideAgent) -> None:
        if agent in self.writers:
            self.writers.remove(agent)
        self.writers.append(agent)
        del self.writers[:-WRITERS_KEPT]

    # -- one connection --------------------------------------------------------------------
    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock: socket.socket | None = writer.get_extra_info("socket")
        if sock is None or wire.peer_uid(sock) != os.getuid():
            writer.close()  # (the 0600 socket already keeps others out)
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        agent = OutsideAgent(
            self.workbench,
            wire.DEFAULT_CLIENT,
            approval=self.approval(),
            approver=self.approver,
            listener=self.listener,
            rerun_timeout=self.rerun_timeout,
            turn_gap=self.turn_gap,
            on_write=self._wrote,
        )
        self.agents.append(agent)
        pending: set[asyncio.Task[None]] = set()
        send_lock = asyncio.Lock()

        async def send(message: dict[str, Any]) -> None:
            async with send_lock:
                writer.write(wire.encode(message))
                await writer.drain()

        async def answer(request: dict[str, Any]) -> None:
            rid = request.get("id")
            try:
                result = await self._handle(agent, request)
            except ToolFailure as exc:
                reply: dict[str, Any] = {"id": rid, "ok": False, "error": str(exc)}
            except (KeyError, TypeError, ValueError) as exc:
                reply = {"id": rid, "ok": False, "error": f"bad request: {exc!r}"}
            else:
                reply = {"id": rid, "ok": True, "result": result}
            with contextlib.suppress(ConnectionError):
                await send(reply)

        try:
            while line := await reader.readline():
                try:
                    request = wire.decode(line)
                except ValueError:
                    await send({"id": None, "ok": False, "error": "not a JSON object"})
                    continue
                if request.get("op") == "bye":
                    await send({"id": request.get("id"), "ok": True, "result": {}})
                    break
                job = asyncio.ensure_future(answer(request))
                pending.add(job)
                job.add_done_callback(pending.discard)
        except (ConnectionError, ValueError):  # a reset, or a line past the limit
            pass
        finally:
            for job in list(pending):
                job.cancel()  # e.g. a call waiting for approval: the dialog closes
            for job in list(pending):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await job
            await agent.close()
            self.agents.remove(agent)
            self._clients_changed()
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _handle(self, agent: OutsideAgent, request: dict[str, Any]) -> Any:
        op = request["op"]
        if op == "hello":
            client = " ".join(str(request.get("client") or wire.DEFAULT_CLIENT).split())
            agent.rename(client[:CLIENT_CHARS] or wire.DEFAULT_CLIENT)
            self._clients_changed()
            return {
                "protocol": wire.PROTOCOL,
                "project": self.workbench.root.name,
                "approval": agent.approval,
            }
        if op == "list_tools":
            return {"tools": [wire.spec_to_wire(s) for s in await agent.list_tools()]}
        if op == "call":
            arguments = request.get("arguments") or {}
            if not isinstance(arguments, dict):
                raise ToolFailure("arguments must be a JSON object")
            result = await agent.call(str(request["name"]), arguments)
            return wire.result_to_wire(result)
        if op == "notebooks":
            return {"notebooks": [wire.resource_to_wire(r) for r in await agent.notebooks()]}
        if op == "read_notebook":
            return {"text": await agent.read_notebook(str(request["path"]))}
        raise ToolFailure(f"unknown op {op!r}")
