"""A live session of one notebook on the sidecar: websocket in, HTTP commands out.

Kernel messages become typed updates of `KernelState` (cells, runs, outputs) and are reported
to a listener; a dropped connection is reopened (the same marimo session when the server lived
on, a new one — instantiated and run again — when it restarted).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from marimo_tui.runtime.kernel_state import CellRun, KernelState
from marimo_tui.runtime.output_blocks import Widget
from marimo_tui.runtime.outputs import Output
from marimo_tui.runtime.virtual_files import virtual_images

if TYPE_CHECKING:
    import httpx
    from websockets.asyncio.client import ClientConnection

    from marimo_tui.runtime.sidecar import Sidecar

SessionState = Literal["connecting", "ready", "reconnecting", "taken-over", "closed"]
ALREADY_CONNECTED = 1003  # marimo: another client holds this notebook
BURST_SLICE = 0.004  # s of kernel messages handled before the event loop gets a turn
RECONNECT_PAUSES = (0.05, 0.2, 0.5, 1.0, 2.0)
SETTLE_QUIET = 0.4  # s without a kernel message after which a change that ran nothing is over
LOST_COMMAND = 5.0  # s of silence, nothing running, after which a command we sent is given up


@dataclass(frozen=True)
class SessionUpdate:
    """What changed: the session's state, the document (cell ids/code), or one cell's run."""

    kind: Literal["state", "document", "cell", "completed"]
    state: SessionState | None = None
    detail: str = ""
    run: CellRun | None = None


Listener = Callable[[SessionUpdate], None]


class SessionError(Exception):
    pass


class NotebookSession:
    def __init__(self, sidecar: Sidecar, path: Path, listener: Listener) -> None:
        self.sidecar = sidecar
        self.path = path
        self.listener = listener
        self.kernel = KernelState()
        self.state: SessionState = "connecting"
        self.session_id = ""
        self._server_generation = -1
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self._instantiated = asyncio.Event()
        self._pulse = asyncio.Event()  # set by every kernel message: `settle` waits on it
        self._completed_runs = 0
        # Commands sent to the kernel (ours, or a cell going to run without one of ours) that
        # have not ended yet: `settle` waits for them too.
        self._commands_ahead = 0
        self._changes_seen = 0  # document changes marimo took in from the file
        self._kernels = 0  # kernels (sessions) started or resumed, counted by `kernel-ready`
        self._fetches: set[asyncio.Task[None]] = set()  # images marimo keeps on its server

    @property
    def file_key(self) -> str:
        return str(self.path)

    @property
    def browser_url(self) -> str:
        """Watch this notebook from a browser (kiosk: read-only, beside our session)."""
        sidecar = self.sidecar
        return (
            f"{sidecar.base_url}/?file={quote(self.file_key)}&kiosk=true"
            f"&access_token={sidecar.token}"
        )

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def close(self) -> None:
        for fetch in list(self._fetches):
            fetch.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._http is not None:
            with contextlib.suppress(Exception):
                await self._http.aclose()
        self._set("closed")

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._instantiated.wait(), timeout)

    def busy(self) -> bool:
        return any(r.kernel_status in ("queued", "running") for r in self.kernel.runs.values())

    async def settle(
        self, codes: list[str], timeout: float, quiet: float = SETTLE_QUIET, *, write: bool = True
    ) -> bool:
        """Wait until the kernel holds `codes` (the file's cells, in order), has nothing queued
        or running, and has ended every command that was ahead, with the one a `write` of the
        file makes: the rerun it caused is over. False when `timeout` passes.

        marimo ends each command with `completed-run`, in the order they came. A write that
        reaches the kernel while an earlier run is under way (the first one, under load) is run
        after it: the earlier run's end is not the write's. A write made before the session
        opened (or before it opened again) is in the file the kernel starts from: no command of
        its own. With autorun off a write makes none either, so `quiet` seconds without a
        message, and nothing ahead, also count as the end; not after marimo took in a change
        with autorun on, which always runs one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_message = loop.time()
        target: int | None = None
        kernels, changes = self._kernels, self._changes_seen
        write = write and self.state == "ready"
        while True:
            if self._kernels != kernels:  # a new kernel read the file as it is now
                kernels, write, target = self._kernels, False, None
            synced = self.state == "ready" and None not in self.kernel.match(codes)
            if synced and target is None:
                target = self._completed_runs + self._commands_ahead + int(write)
            now = loop.time()
            if synced and not self.busy():
                assert target is not None
                if self._completed_runs >= target:
                    return True
                coming = write and self.sidecar.options.autorun and self._changes_seen > changes
                # A command ahead (or coming) that says nothing for this long, with nothing
                # running, was lost (a server that dropped it): it holds no settle to its timeout.
                hush = LOST_COMMAND if self._commands_ahead or coming else quiet
                if now - last_message >= hush:
                    return True
                wait = hush - (now - last_message)
            else:
                wait = deadline - now
            if now >= deadline:
                return False
            self._pulse.clear()
            try:
                await asyncio.wait_for(self._pulse.wait(), max(0.005, min(wait, deadline - now)))
                last_message = loop.time()
            except TimeoutError:
                pass

    def _set(self, state: SessionState, detail: str = "") -> None:
        self.state = state
        if state != "ready":
            self._instantiated.clear()
        self.listener(SessionUpdate("state", state=state, detail=detail))

    async def _run(self) -> None:
        import websockets

        attempt = 0
        while True:
            await self.sidecar.wait_ready()
            if self._server_generation != self.sidecar.restarts or not self.session_id:
                # A new server knows nothing of the old session: start (and run) a new one.
                self.session_id = f"mtui-{uuid.uuid4().hex[:12]}"
                self._server_generation = self.sidecar.restarts
            url = (
                f"{self.sidecar.ws_url}/ws?session_id={self.session_id}&file={quote(self.file_key)}"
            )
            detail = ""
            try:
                async with websockets.connect(
                    url,
                    additional_headers=self.sidecar.headers,
                    max_size=None,
                    open_timeout=10,
                    ping_interval=None,  # loopback: a dead server closes the socket
                    # Loopback too: deflating every kernel message costs the server and us
                    # CPU (a rerun of 200 cells sends ~600) and saves nothing.
                    compression=None,
                ) as ws:
                    self._ws = ws
                    attempt = 0
                    busy_since = time.perf_counter()
                    async for raw in ws:
                        await self._handle(self._redacted(json.loads(raw), raw))
                        # A rerun of many cells sends hundreds of messages at once, all read
                        # without a pause: let the view draw (and the user type) in between.
                        if time.perf_counter() - busy_since > BURST_SLICE:
                            await asyncio.sleep(0)
                            busy_since = time.perf_counter()
                    detail = describe_close(ws.close_code, ws.close_reason)
                    if ws.close_code == ALREADY_CONNECTED:
                        self._set("taken-over", "another client holds this notebook")
                        await asyncio.sleep(5.0)
                        continue
            except asyncio.CancelledError:
                raise
            except (OSError, websockets.WebSocketException, SessionError, ValueError) as exc:
                detail = f"{type(exc).__name__}: {exc}"
            finally:
                self._ws = None
            self._set("reconnecting", self.sidecar.redact(detail))
            await asyncio.sleep(RECONNECT_PAUSES[min(attempt, len(RECONNECT_PAUSES) - 1)])
            attempt += 1

    # -- messages ----------------------------------------------------------------------------
    def _redacted(self, message: Any, raw: str | bytes) -> Any:
        """A kernel message with every secret a cell printed replaced, before anything (the cell
        view, `v`, the agent's tool results) sees it; walked only when the raw text holds one."""
        redactor = self.sidecar.redactor
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        return redactor.value(message) if redactor.found_in(text) else message

    async def _handle(self, message: Mapping[str, Any]) -> None:
        op = message.get("op")
        data = message.get("data") or {}
        self._pulse.set()
        if op == "completed-run":
            self._completed_runs += 1
            self._commands_ahead = max(0, self._commands_ahead - 1)
        if op == "cell-op":
            if data.get("status") in ("queued", "running") and not self._commands_ahead:
                self._commands_ahead = 1  # a command we did not send (the file changed)
            run = self.kernel.apply_cell_op(data)
            self.listener(SessionUpdate("cell", run=run))
            paths = virtual_images(run.output)
            if paths:
                task = asyncio.ensure_future(self._load_images(run.cell_id, run.output, paths))
                self._fetches.add(task)
                task.add_done_callback(self._fetches.discard)
        elif op == "kernel-ready":
            self._commands_ahead = 0  # a new connection: what was ahead ended or was lost
            self._kernels += 1
            self.kernel.reset(
                data.get("cell_ids", ()),
                data.get("codes", ()),
                data.get("names", ()),
                resumed=bool(data.get("resumed")),
            )
            self.listener(SessionUpdate("document"))
            if not data.get("resumed"):
                await self._command("/api/kernel/instantiate", {"objectIds": [], "values": []})
            self._set("ready")
            self._instantiated.set()
        elif op == "notebook-document-transaction":
            changes = (data.get("transaction") or {}).get("changes") or []
            self._changes_seen += 1
            self.kernel.apply_transaction(changes)
            self.listener(SessionUpdate("document"))
        elif op == "model-lifecycle":
            for run in self.kernel.apply_model(data):
                self.listener(SessionUpdate("cell", run=run))
        elif op == "completed-run":
            self.listener(SessionUpdate("completed", detail=str(data.get("outcome", ""))))
        elif op == "reconnected":
            self._commands_ahead = 0
            self._set("ready")

    async def _load_images(self, cell_id: str, output: Output, paths: tuple[str, ...]) -> None:
        """`mo.image`'s bytes, from the server; shown if the cell still has that output."""
        import httpx

        from marimo_tui.runtime.virtual_files import fetch, with_images

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        images: dict[str, bytes] = {}
        for path in paths:
            data = await fetch(self._http, self.sidecar.base_url, self.sidecar.headers, path)
            if data is not None:
                images[path] = data
        current = self.kernel.runs.get(cell_id)
        if not images or current is None or current.output is not output:
            return
        run = replace(current, output=with_images(output, images), version=current.version + 1)
        self.kernel.runs[cell_id] = run
        self.listener(SessionUpdate("cell", run=run))

    # -- commands ----------------------------------------------------------------------------
    async def _command(self, route: str, body: Mapping[str, Any]) -> None:
        """A request the kernel runs as a command, ended by a `completed-run`: counted before
        it is sent, as its end may arrive before the answer does."""
        self._commands_ahead += 1
        try:
            await self._post(route, body)
        except SessionError:
            self._commands_ahead = max(0, self._commands_ahead - 1)
            raise

    async def _post(self, route: str, body: Mapping[str, Any]) -> None:
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        headers = {**self.sidecar.headers, "Marimo-Session-Id": self.session_id}
        try:
            response = await self._http.post(
                f"{self.sidecar.base_url}{route}", json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise SessionError(f"the marimo server did not answer: {exc}") from exc
        if response.status_code >= 400:
            raise SessionError(
                f"{route} failed: {response.status_code} {response.text[:200].strip()}"
            )

    def _require_ready(self) -> None:
        if self.state != "ready":
            raise SessionError(f"the notebook's kernel is not ready ({self.state})")

    async def run_cells(self, cell_ids: list[str]) -> None:
        self._require_ready()
        known = [c for c in cell_ids if c in self.kernel.codes]
        if not known:
            raise SessionError("the kernel does not know these cells yet")
        codes = [self.kernel.codes[c] for c in known]
        await self._command("/api/kernel/run", {"cellIds": known, "codes": codes})

    async def run_all(self) -> None:
        await self.run_cells(list(self.kernel.ids))

    def widgets_of(self, cell_id: str) -> tuple[Widget, ...]:
        """The cell's UI elements with the values they hold now."""
        return self.kernel.run_of(cell_id).widgets

    async def set_ui_value(self, object_id: str, value: object) -> None:
        """What the browser does when an element changes: the kernel takes the value and
        reruns the cells that read the element. `value` is the wire value (runtime/widgets)."""
        self._require_ready()
        await self._command(
            "/api/kernel/set_ui_element_value", {"objectIds": [object_id], "values": [value]}
        )
        # marimo reruns the cells that read the element, not the one that shows it: that one
        # is brought up to date here, as the browser's element keeps the value it was set to.
        run = self.kernel.set_widget_value(object_id, value)
        if run is not None:
            self.listener(SessionUpdate("cell", run=run))

    def waiting_for_input(self) -> list[str]:
        """Cells (kernel ids, in order) waiting in `input()` for a line."""
        return [c for c in self.kernel.ids if self.kernel.run_of(c).stdin is not None]

    async def answer_stdin(self, cell_id: str, text: str) -> None:
        """Send one line to the cell waiting in `input()`."""
        self._require_ready()
        if self.kernel.run_of(cell_id).stdin is None:
            raise SessionError("that cell is not waiting for input")
        await self._post("/api/kernel/stdin", {"text": text})
        self.listener(SessionUpdate("cell", run=self.kernel.answered(cell_id, text)))

    async def interrupt(self) -> None:
        self._require_ready()
        await self._post("/api/kernel/interrupt", {})

    async def restart_kernel(self) -> None:
        """A fresh kernel: marimo closes the session; we open a new one and run everything."""
        self._require_ready()
        await self._post("/api/kernel/restart_session", {})
        self.session_id = ""
        self.kernel = KernelState()
        self._commands_ahead = 0
        if self._ws is not None:
            await self._ws.close()


def describe_close(code: int | None, reason: str | None) -> str:
    if code is None:
        return "the connection dropped"
    return f"closed ({code}{': ' + reason if reason else ''})"
