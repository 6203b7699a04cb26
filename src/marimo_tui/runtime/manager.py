"""The workbench's runtime: one sidecar for the project, one live session for the open notebook,
reported as workbench events (status line, notices, kernel updates, a system task)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.events import Event, KernelChanged, Notice, ServiceState
from marimo_tui.notebook.model import display_path
from marimo_tui.redaction import Redactor, child_env
from marimo_tui.runtime.session import NotebookSession, SessionError, SessionUpdate
from marimo_tui.runtime.sidecar import MAX_BACKOFF, Sidecar, SidecarOptions, SidecarState

if TYPE_CHECKING:
    from marimo_tui.config_schema import Config
    from marimo_tui.tasks import TaskTree

SERVICE = "marimo"
KERNEL_POLL = 2.0  # seconds between readings of the kernels' memory
KEEPS_FAILING = 3  # failed tries in a row after which the server counts as down (one notice)


def wants_confinement(config: Config) -> bool:
    """`marimo.confine`: `project`, or `auto` with `agent.approval: auto` (the agent's code then
    runs with nobody looking first)."""
    confine = config.marimo.confine
    return confine == "project" or (confine == "auto" and config.agent.approval == "auto")


def sidecar_options(config: Config) -> SidecarOptions:
    return SidecarOptions(
        root=config.root,
        log_dir=config.state_dir / "logs",
        autorun=config.marimo.autorun,
        host=config.marimo.host,
        port=config.marimo.port,
        token=os.environ.get(config.marimo.token_env, "").strip(),
        env=child_env(config),
        confine=wants_confinement(config),
        session_ttl=max(0, config.marimo.idle_kernel_timeout),
        nice=min(19, max(0, config.marimo.nice)),
    )


class Runtime:
    def __init__(
        self,
        config: Config,
        publish: Callable[[Event], None],
        tasks: TaskTree,
        redactor: Redactor | None = None,
    ) -> None:
        self.config = config
        self.publish = publish
        self.tasks = tasks
        self.sidecar = Sidecar(sidecar_options(config), self._sidecar_changed, redactor)
        self.session: NotebookSession | None = None
        self._job: str | None = None
        self._was_ready = False
        self._kernels_job: str | None = None
        self._kernels_task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        from marimo_tui.tasks import TaskStatus

        self._job = self.tasks.add(
            "marimo server", owner="system", status=TaskStatus.RUNNING, detail="starting"
        ).id
        confinement = self.sidecar.confinement
        if confinement and not self.sidecar.confined:
            # Asked for, not possible: said once, plainly, rather than pretended.
            self.publish(Notice(f"marimo kernels are {confinement}", "warning"))
        self.sidecar.start()
        self._kernels_job = self.tasks.add(
            "marimo kernels", owner="system", status=TaskStatus.RUNNING, detail="none live"
        ).id
        self._kernels_task = asyncio.ensure_future(self._watch_kernels())

    async def stop(self) -> None:
        from marimo_tui.tasks import TaskStatus

        if self._kernels_task is not None:
            self._kernels_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._kernels_task
        if self.session is not None:
            await self.session.close()
            self.session = None
        await self.sidecar.stop()
        if self._kernels_job is not None:
            with contextlib.suppress(KeyError):
                self.tasks.set_status(self._kernels_job, TaskStatus.DONE, "none live")

    def open(self, path: Path) -> None:
        """Follow `path` in a live session. The previous notebook's session closes; marimo shuts
        its kernel down after `marimo.idle_kernel_timeout` (its `--session-ttl`), and coming
        back before that resumes it (marimo hands a new connection the file's orphan session)."""
        if self.session is not None and self.session.path == path:
            return
        old = self.session
        session = NotebookSession(self.sidecar, path, lambda u: self._updated(session, u))
        self.session = session
        if old is not None:
            task = asyncio.ensure_future(old.close())
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
        self.session.start()
        self.publish(KernelChanged(path, self.session.kernel, None))

    async def wait_ready(self, timeout: float) -> bool:
        """Wait for the open notebook's kernel. False when `timeout` passes, or at once when
        the server cannot start (then `down()` says why) rather than through its retries."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            if self.session is None or not await asyncio.wait_for(self.sidecar.wait_up(), timeout):
                return False
            await self.session.wait_ready(max(0.0, deadline - loop.time()))
        except TimeoutError:
            return False
        return True

    def down(self) -> str:
        """Why the marimo server is down for now; "" while it is up or coming up."""
        return self.sidecar.down

    # -- commands ----------------------------------------------------------------------------
    def _session_for(self, path: Path) -> NotebookSession:
        if self.session is None or self.session.path != path:
            raise SessionError("this notebook has no live session")
        return self.session

    async def run_cells(self, path: Path, kernel_ids: list[str]) -> None:
        await self._session_for(path).run_cells(kernel_ids)

    async def run_all(self, path: Path) -> None:
        await self._session_for(path).run_all()

    async def interrupt(self, path: Path) -> None:
        await self._session_for(path).interrupt()

    async def settle(
        self, path: Path, codes: list[str], timeout: float, *, write: bool = True
    ) -> bool:
        """Wait for the rerun of `path` after a write, or (not `write`) for the kernel to end
        what it was sent (see `NotebookSession.settle`)."""
        session = self._session_for(path)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            if not await asyncio.wait_for(self.sidecar.wait_up(), timeout):
                return False  # down for now (`down()` says why): nothing to wait for
        except TimeoutError:
            return False
        settled = await session.settle(codes, max(0.0, deadline - loop.time()), write=write)
        never_run = self._never_run(session, codes) if settled else []
        if never_run:
            # A write that reached marimo while it was still starting (its first run under
            # way) is taken in, but not run: run what autorun would have, then settle again.
            with contextlib.suppress(SessionError):
                await session.run_cells(never_run)
                settled = await session.settle(codes, max(0.0, deadline - loop.time()), write=False)
        return settled

    def _never_run(self, session: NotebookSession, codes: list[str]) -> list[str]:
        if not self.config.marimo.autorun:  # stale cells wait for the user, as asked
            return []
        ids = [cid for cid in session.kernel.match(codes) if cid is not None]
        runs = [(cid, session.kernel.run_of(cid)) for cid in ids]
        return [cid for cid, run in runs if run is not None and run.status == "not-run"]

    async def restart_kernel(self, path: Path) -> None:
        session = self._session_for(path)
        await session.restart_kernel()
        self.publish(KernelChanged(path, session.kernel, None))  # the old outputs go

    # -- reports -----------------------------------------------------------------------------
    def _sidecar_changed(self, state: SidecarState, detail: str) -> None:
        from marimo_tui.tasks import TaskStatus

        line = self._state_line(state)
        if state != "ready":  # when ready, the session's state says more
            self.publish(ServiceState(SERVICE, line, ok=state not in ("failed", "restarting")))
        if self._job is not None:
            status = {
                "failed": TaskStatus.FAILED,
                "stopped": TaskStatus.DONE,
            }.get(state, TaskStatus.RUNNING)
            shown = self.sidecar.base_url if state == "ready" else detail
            with contextlib.suppress(KeyError):
                self.tasks.set_status(self._job, status, f"{line}: {shown}" if shown else line)
        tries = self.sidecar.tries
        if state == "restarting" and tries == 1:
            self.publish(Notice(f"marimo server: {detail}; restarting", "warning"))
        elif state == "restarting" and tries == KEEPS_FAILING:
            self.publish(
                Notice(
                    f"marimo server keeps failing ({detail}); it retries by itself, up to "
                    f"{MAX_BACKOFF:g} s apart — X in the cells pane retries now; "
                    f"log: {display_path(self.sidecar.log_path, self.config.root)}",
                    "error",
                )
            )
        elif state == "failed":
            self.publish(Notice(f"marimo server failed: {detail}", "error"))
        elif state == "ready" and self._was_ready:
            self.publish(Notice("marimo server is back; the notebook is rerunning"))
        self._was_ready = self._was_ready or state == "ready"

    def _state_line(self, state: SidecarState) -> str:
        """The server's state in a few words: `failed 3 times, retrying in 5 s`."""
        if state != "restarting":
            return state
        tries, pause = self.sidecar.tries, self.sidecar.pause
        if tries < KEEPS_FAILING:
            return f"restarting in {pause:g} s"
        return f"failed {tries} times, retrying in {pause:g} s"

    def restart_server(self) -> None:
        """Restart the marimo server now, whatever its state (the session reconnects)."""
        self.sidecar.restart()

    async def _watch_kernels(self) -> None:
        """The kernels' count and memory in the tasks pane, read from /proc now and then."""
        from marimo_tui.runtime.kernel_procs import describe, kernel_processes
        from marimo_tui.tasks import TaskStatus

        shown = ""
        while True:
            kernels = await asyncio.to_thread(kernel_processes, self.sidecar.pid)
            line = describe(kernels)
            if line != shown and self._kernels_job is not None:
                shown = line
                with contextlib.suppress(KeyError):
                    self.tasks.set_status(self._kernels_job, TaskStatus.RUNNING, line)
            await asyncio.sleep(KERNEL_POLL)

    def _updated(self, session: NotebookSession, update: SessionUpdate) -> None:
        if session is not self.session:  # a closing session's last words
            return
        if update.kind == "state":
            ok = update.state in ("ready", "connecting")
            if self.sidecar.state == "ready":  # else the server's own state is what matters
                self.publish(ServiceState(SERVICE, update.state or "", ok=ok))
            if update.state == "taken-over":
                self.publish(
                    Notice(
                        "another client (a browser?) took this notebook's session; the cell "
                        "view stops following runs until it lets go",
                        "warning",
                    )
                )
            return
        if update.kind == "completed":  # the runs that made it were reported one by one
            return
        cell_id = update.run.cell_id if update.run is not None else None
        self.publish(KernelChanged(session.path, session.kernel, cell_id))
