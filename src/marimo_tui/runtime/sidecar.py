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
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from marimo_tui.processes import free_port, stop_group, wait_exit
from marimo_tui.redaction import Redactor

SidecarState = Literal["starting", "ready", "restarting", "failed", "stopped"]
StateListener = Callable[["SidecarState", str], None]  # (state, detail)

HEALTH_TIMEOUT = 60.0  # seconds for a cold start (first import of marimo, pyc compilation)
# Pauses before restarting a server that died after it was up: short, so it is back within
# 3 s (a start takes ~1 s); a server that cannot start at all waits longer between tries.
CRASH_BACKOFF = (0.05, 0.2, 0.5)
START_BACKOFF = (1.0, 2.0, 5.0, 10.0)
STABLE_AFTER = 10.0  # seconds up before the crash backoff starts again from its first step
GIVE_UP_AFTER = 8  # failed starts in a row
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


class SidecarError(Exception):
    pass


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
        self.port = options.port or free_port(options.host)
        self.state: SidecarState = "stopped"
        self.detail = ""
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._ready = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._log_path = options.log_dir / "sidecar.log"
        self._log_task: asyncio.Task[None] | None = None

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

    def redact(self, text: str) -> str:
        return self.redactor(text)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start in the background; the state listener hears how it goes."""
        if self._supervisor is None or self._supervisor.done():
            self._stopping = False
            self._supervisor = asyncio.ensure_future(self._supervise())

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._supervisor
        await self._terminate()
        self._set("stopped", "")

    def _set(self, state: SidecarState, detail: str) -> None:
        self.state, self.detail = state, detail
        if state == "ready":
            self._ready.set()
        else:
            self._ready.clear()
        if self.listener is not None:
            self.listener(state, detail)

    async def _supervise(self) -> None:
        failures = 0
        crashes = 0
        first = True
        while not self._stopping:
            if first:
                self._set("starting", "")
            started = time.monotonic()
            try:
                await self._spawn()
                await self._wait_healthy()
            except (SidecarError, OSError) as exc:
                failures += 1
                await self._terminate()
                if not self.options.port:  # maybe the port was taken meanwhile
                    self.port = free_port(self.options.host)
                if failures >= GIVE_UP_AFTER:
                    self._set(
                        "failed", f"{exc} (gave up after {failures} tries; log: {self._log_path})"
                    )
                    return
                self.detail = str(exc)
                pause = START_BACKOFF[min(failures - 1, len(START_BACKOFF) - 1)]
            else:
                failures = 0
                self._set("ready", self.browser_url)
                code = await self._wait_exit()
                if self._stopping:
                    return
                await self._terminate()  # kernels the server left behind
                crashes = 0 if time.monotonic() - started > STABLE_AFTER else crashes + 1
                self.restarts += 1
                self.detail = f"the marimo server exited ({describe_exit(code)})"
                pause = CRASH_BACKOFF[min(crashes, len(CRASH_BACKOFF) - 1)]
            first = False
            self._set("restarting", self.detail)
            await asyncio.sleep(pause)

    def _command(self) -> list[str]:
        overrides = {
            "runtime": {
                # A change on disk reruns the cells it touches, or only marks them stale.
                "watcher_on_save": "autorun" if self.options.autorun else "lazy",
                "auto_instantiate": False,
            },
            "save": {"autosave": "off"},  # we are the only writer of notebook files
        }
        return [
            sys.executable,
            "-m",
            "marimo_tui.runtime.sidecar_main",
            str(os.getpid()),
            json.dumps(overrides),
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
            str(self.options.root),
        ]

    async def _spawn(self) -> None:
        self.options.log_dir.mkdir(parents=True, exist_ok=True)
        self._rotate_log()
        base = os.environ if self.options.env is None else self.options.env
        env = {**base, "MARIMO_SKIP_UPDATE_CHECK": "1", "PYTHONUNBUFFERED": "1"}
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
        with open(self._log_path, "a", encoding="utf-8", errors="replace") as log:
            log.write(f"--- {stamp} marimo server pid {process.pid} port {self.port}\n")
            log.flush()
            while line := await process.stdout.readline():
                log.write(self.redact(line.decode("utf-8", "replace")))
                log.flush()

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


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"
