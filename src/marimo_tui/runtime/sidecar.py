"""The sidecar: a `marimo edit --headless --watch` server for the project, owned by the workbench.

It binds 127.0.0.1 on a free port with a random token (handed over on stdin, so it never shows
in `ps` nor in any process's environment), runs with the workbench's environment less its
secrets (`redaction.child_env`), optionally confined to writing inside the project (Landlock,
see `sidecar_main`), logs to `.marimo-tui/logs/sidecar.log` with every secret redacted, restarts
with backoff
when it dies, and goes down with the workbench: on `stop()`, and through a parent-death signal
and its own process group when the workbench is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from marimo_tui.notebook.write_paths import OutsideRoot, inside_root
from marimo_tui.processes import describe_exit, free_port, stop_group, wait_exit
from marimo_tui.redaction import Redactor

T = TypeVar("T")
SidecarState = Literal["starting", "ready", "restarting", "failed", "stopped"]
StateListener = Callable[["SidecarState", str], None]  # (state, detail)

HEALTH_TIMEOUT = 60.0  # seconds for a cold start (first import of marimo, pyc compilation)
# Pauses before restarting a server that died after it was up: short, so it is back within
# 3 s (a start takes ~1 s, which bounds such a loop). A server that cannot start at all waits
# longer between tries, up to MAX_BACKOFF. The supervisor never gives up (a server killed many
# times, or a port taken for a while, comes back by itself), and `restart()` skips the wait.
CRASH_BACKOFF = (0.05, 0.2, 0.5)
START_BACKOFF = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
MAX_BACKOFF = 30.0
STABLE_AFTER = 10.0  # seconds up before the crash backoff starts again from its first step
LOG_LIMIT = 5 * 1024 * 1024


@dataclass(frozen=True)
class SidecarOptions:
    root: Path
    log_dir: Path
    autorun: bool = True
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free one
    token: str = ""  # empty: a random one
    env: Mapping[str, str] | None = None  # the server's environment (None: ours, as it is)
    confine: bool = False  # Landlock: the server and its kernels write only inside the project
    # Seconds a session's kernel outlives its last connection (marimo's --session-ttl); 0: for
    # as long as the server lives.
    session_ttl: int = 0
    # Niceness added to the server (its kernels inherit it): `marimo.nice`.
    nice: int = 0


class SidecarError(Exception):
    pass


class _Kicked(Exception):
    """`restart()` was called while the supervisor waited."""


class Sidecar:
    def __init__(
        self,
        options: SidecarOptions,
        listener: StateListener | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.options = options
        self.listener = listener
        self.token = options.token or secrets.token_urlsafe(24)
        # The workbench's redactor learns the token before anything can print it.
        self.redactor = redactor if redactor is not None else Redactor()
        self.redactor.add(self.token)
        self.port = options.port or self._free_port()
        self.state: SidecarState = "stopped"
        self.detail = ""
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._ready = asyncio.Event()
        self._moved = asyncio.Event()  # set (and replaced) at every change of state
        self.start_error = ""  # while restarting after a start that failed: why it failed
        self._supervisor: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()  # `restart()`: cut the current wait short
        self.tries = 0  # while restarting: deaths and failed starts in a row (1: the first)
        self.pause = 0.0  # seconds to the next try while restarting
        self._stopping = False
        self._log_path = options.log_dir / "sidecar.log"
        self._log_task: asyncio.Task[None] | None = None
        self._tmp: Path | None = None  # a confined server's own temp folder
        self.confinement = confinement_state(options.confine)

    # -- what clients need -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.options.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.options.host}:{self.port}"

    @property
    def browser_url(self) -> str:
        """The URL to open in a browser (it carries the token: show it, never log it)."""
        return f"{self.base_url}?access_token={self.token}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def log_path(self) -> Path:
        return self._log_path

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def wait_ready(self) -> None:
        await self._ready.wait()

    @property
    def down(self) -> str:
        """Why the server is down for now: its start failed (the next try is seconds away, see
        START_BACKOFF) or it stopped; "" while it is up or coming up (a server that died after
        it was up is back within a second)."""
        if self.state in ("failed", "stopped") or self.start_error:
            return self.start_error or self.detail or f"the marimo server {self.state}"
        return ""

    async def wait_up(self) -> bool:
        """True once the server is up; False as soon as it is `down`."""
        while self.state != "ready":
            if self.down:
                return False
            await self._moved.wait()
        return True

    def redact(self, text: str) -> str:
        return self.redactor(text)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start in the background; the state listener hears how it goes."""
        if self._supervisor is None or self._supervisor.done():
            self._stopping = False
            self._set("starting", "")  # now, so that `wait_up` right after waits for the start
            self._supervisor = asyncio.ensure_future(self._supervise())

    def restart(self) -> None:
        """Start again now: a running server is stopped and started, a wait between tries is cut
        short and the backoff begins again from its first step (the user asked: `X`)."""
        self._kick.set()
        if self._supervisor is None or self._supervisor.done():
            self.start()

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._supervisor
        await self._terminate()
        self._set("stopped", "")

    def _set(self, state: SidecarState, detail: str, start_error: str = "") -> None:
        self.state, self.detail, self.start_error = state, detail, start_error
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()
        if state == "ready":
            self._ready.set()
        else:
            self._ready.clear()
        if self.listener is not None:
            self.listener(state, detail)

    async def _supervise(self) -> None:
        failures = 0  # starts in a row that never got healthy
        crashes = 0  # quick deaths in a row of a server that was up
        while not self._stopping:
            self._kick.clear()
            started = time.monotonic()
            try:
                self._check_host()
                await self._spawn()
                await self._until_kicked(self._wait_healthy())
            except (SidecarError, OSError) as exc:
                failures += 1
                await self._terminate()
                if not self.options.port:  # maybe the port was taken meanwhile
                    self.port = self._free_port()
                detail = str(exc)
                pause = START_BACKOFF[min(failures - 1, len(START_BACKOFF) - 1)]
                start_error = detail
            except _Kicked:
                await self._terminate()
                failures = crashes = 0
                self.restarts += 1
                self._set("starting", "restarting at the user's request")
                continue
            else:
                failures = 0
                self._set("ready", self.browser_url)
                try:
                    code: int | None = await self._until_kicked(self._wait_exit())
                except _Kicked:
                    code = None
                if self._stopping:
                    return
                await self._terminate()  # kernels the server left behind
                self.restarts += 1
                if self._kick.is_set():
                    crashes = 0
                    self._set("starting", "restarting at the user's request")
                    continue
                crashes = 0 if time.monotonic() - started > STABLE_AFTER else crashes + 1
                detail = f"the marimo server exited ({describe_exit(code)})"
                start_error = ""
                pause = CRASH_BACKOFF[min(crashes, len(CRASH_BACKOFF) - 1)]
            self.pause = min(pause, MAX_BACKOFF)
            self.tries = failures + crashes + 1
            self._set("restarting", detail, start_error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.pause)  # `restart()` cuts it short
            if self._kick.is_set():
                failures = crashes = 0

    async def _until_kicked(self, work: Coroutine[Any, Any, T]) -> T:
        """`work`'s result, or `_Kicked` as soon as `restart()` is called (`work` cancelled)."""
        job = asyncio.ensure_future(work)
        kick = asyncio.ensure_future(self._kick.wait())
        try:
            await asyncio.wait({job, kick}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            kick.cancel()
        if not job.done():
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job
            raise _Kicked
        return job.result()

    @property
    def confined(self) -> bool:
        return self.confinement.startswith("confined")

    def _free_port(self) -> int:
        """A free port on the host; 0 when the host cannot be bound (an unresolvable
        `marimo.host`): the start then fails with one line, and is tried again later."""
        try:
            return free_port(self.options.host)
        except OSError:
            return 0

    def _check_host(self) -> None:
        if not self.port:
            self.port = self._free_port()
        if not self.port:
            try:
                free_port(self.options.host)
            except OSError as exc:
                raise SidecarError(
                    f"cannot listen on marimo.host {self.options.host!r}: "
                    f"{exc.strerror or exc}; set marimo.host (default 127.0.0.1)"
                ) from None

    def _command(self) -> list[str]:
        overrides = {
            "runtime": {
                # A change on disk reruns the cells it touches, or only marks them stale.
                "watcher_on_save": "autorun" if self.options.autorun else "lazy",
                # We instantiate (run) every session ourselves. Off, marimo would keep each
                # session's raw outputs in `__marimo__/session/` beside the notebook (to show
                # them before a run), rewritten every 2 s: files nobody asked for, holding
                # whatever a cell printed, secrets included.
                "auto_instantiate": True,
            },
            "save": {"autosave": "off"},  # we are the only writer of notebook files
        }
        return [
            sys.executable,
            "-m",
            "marimo_tui.runtime.sidecar_main",
            str(os.getpid()),
            json.dumps(overrides),
            json.dumps([str(self.options.root), str(self._tmp)] if self._tmp else None),
            str(self.options.nice),
            "--",
            "edit",
            "--headless",
            "--watch",
            "--skip-update-check",
            "--no-skew-protection",
            "--host",
            self.options.host,
            "--port",
            str(self.port),
            "--token-password-file",
            "-",
            *(["--session-ttl", str(self.options.session_ttl)] if self.options.session_ttl else []),
            str(self.options.root),
        ]

    def _log_allowed(self) -> bool:
        """The log is ours to write only inside the project (not through a linked folder)."""
        try:
            inside_root(self._log_path, self.options.root)
        except OutsideRoot:
            return False
        return True

    async def _spawn(self) -> None:
        if self._log_allowed():
            self.options.log_dir.mkdir(parents=True, exist_ok=True)
            self._rotate_log()
        base = os.environ if self.options.env is None else self.options.env
        env = {**base, "MARIMO_SKIP_UPDATE_CHECK": "1", "PYTHONUNBUFFERED": "1"}
        self._remove_tmp()
        if self.confined:
            # Its own temp folder: the one place outside the project a confined kernel writes.
            self._tmp = Path(tempfile.mkdtemp(prefix="marimo-tui-kernel-"))
            env.update(TMPDIR=str(self._tmp), TEMP=str(self._tmp), TMP=str(self._tmp))
        self.process = await asyncio.create_subprocess_exec(
            *self._command(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=self.options.root,
            env=env,
            start_new_session=True,  # its own process group: stop() takes the kernels too
        )
        assert self.process.stdin is not None
        self.process.stdin.write(self.token.encode() + b"\n")
        await self.process.stdin.drain()
        self.process.stdin.close()
        self._log_task = asyncio.ensure_future(self._copy_log(self.process))

    def _rotate_log(self) -> None:
        with contextlib.suppress(OSError):
            if self._log_path.stat().st_size > LOG_LIMIT:
                self._log_path.replace(self._log_path.with_suffix(".log.1"))

    async def _copy_log(self, process: asyncio.subprocess.Process) -> None:
        """Copy the server's output to the log, token redacted, until it closes."""
        assert process.stdout is not None
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        path = self._log_path if self._log_allowed() else Path(os.devnull)
        try:
            with open(path, "a", encoding="utf-8", errors="replace") as log:
                log.write(f"--- {stamp} marimo server pid {process.pid} port {self.port}\n")
                log.flush()
                while line := await process.stdout.readline():
                    log.write(self.redact(line.decode("utf-8", "replace")))
                    log.flush()
        except OSError:  # a full disk or a read-only folder: the server must not stall on
            while await process.stdout.readline():  # a pipe nobody reads, so drain it
                pass

    def last_log_line(self) -> str:
        with contextlib.suppress(OSError):
            lines = self._log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            for line in reversed(lines):
                if line.strip() and not line.startswith("---"):
                    return line.strip()
        return ""

    async def _wait_healthy(self) -> None:
        import httpx

        assert self.process is not None
        deadline = time.monotonic() + HEALTH_TIMEOUT
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    reason = self.last_log_line() or describe_exit(self.process.returncode)
                    raise SidecarError(f"the marimo server exited at start: {reason}")
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get(f"{self.base_url}/health")
                    if response.status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise SidecarError(f"the marimo server did not answer within {HEALTH_TIMEOUT:.0f} s")

    async def _wait_exit(self) -> int:
        assert self.process is not None
        return await wait_exit(self.process)

    async def _terminate(self) -> None:
        if self.process is not None:
            await stop_group(self.process)
            # Its pipes now, not when the object is collected after the loop has closed
            # (which prints "Event loop is closed" with a traceback at exit).
            transport = getattr(self.process, "_transport", None)
            if transport is not None:
                transport.close()
        if self._stopping:
            self._remove_tmp()

    def _remove_tmp(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def confinement_state(wanted: bool) -> str:
    """One line: `confined …` when the server will be Landlocked, else why not ('' when not
    asked to)."""
    if not wanted:
        return ""
    from marimo_tui.runtime.landlock import abi_version, unavailable_reason

    abi = abi_version()
    if abi > 0:
        return f"confined to the project (Landlock ABI {abi})"
    return f"not confined: {unavailable_reason()}"
