"""A Dagster webserver for a project, owned by us: `marimo-tui dev` and the tests start it.

It runs `dagster-webserver` on 127.0.0.1 with an instance of its own under
`.marimo-tui/dagster/` whose `dagster.yaml` uses the `DefaultRunCoordinator`: a launched run
starts at once, without waiting for a daemon to dequeue it (with the default queued coordinator
a run would stay QUEUED until one did). With `daemon` on (`dev`, `open --dagster`) it also runs
`dagster-daemon run` over the same instance and workspace, as `dagster dev` does: backfills,
schedules, sensors and run monitoring need it. Each has its own process group and a
parent-death signal, so neither outlives us; a daemon that dies or cannot start leaves the
webserver serving, and `daemon_trouble()` says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from marimo_tui.dagster.layout import LayoutError, find_layout, layout_for_file
from marimo_tui.processes import describe_exit, free_port, stop_group
from marimo_tui.safe_text import without_colours

INSTANCE_YAML = """\
# Written by marimo-tui for its own Dagster webserver (`marimo-tui dev`).
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""
START_TIMEOUT = 120.0  # a cold start imports dagster and loads the code location


class WebserverError(Exception):
    """One line: why the webserver could not start."""


def find_definitions(root: Path) -> Path | None:
    """The file that names the project's Dagster definitions (see `layout.find_layout`):
    dg.toml, pyproject.toml, workspace.yaml or a definitions file; None when there is none or
    it cannot be read."""
    try:
        layout = find_layout(root)
    except LayoutError:
        return None
    return layout.source if layout is not None else None


NO_DEFINITIONS = (
    "no Dagster definitions in {root} (a dg project, [tool.dagster] in pyproject.toml, "
    "workspace.yaml, or definitions.py); "
    "`marimo-tui new --template dagster-asset` scaffolds a paired notebook"
)


def webserver_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("dagster_webserver") is not None


def cannot_serve(root: Path) -> str | None:
    """Why `dev` or `--dagster` cannot run a webserver for the project at `root`, if so."""
    if not webserver_installed():
        return "dagster-webserver is not installed: pip install 'marimo-tui[dagster]'"
    try:
        layout = find_layout(root)
    except LayoutError as exc:
        return str(exc)
    if layout is None:
        return NO_DEFINITIONS.format(root=root)
    return None


def project_webserver(
    root: Path,
    state_dir: Path,
    port: int = 0,
    *,
    daemon: bool = True,
    env: Mapping[str, str] | None = None,
) -> Webserver:
    """The webserver `dev` and `open --dagster` run for a project (with its daemon): an
    instance of its own under the state folder, its logs beside the others. WebserverError
    when it cannot be."""
    problem = cannot_serve(root)
    if problem is not None:
        raise WebserverError(problem)
    definitions = find_definitions(root)
    assert definitions is not None
    return Webserver(
        WebserverOptions(
            root=root,
            definitions=definitions,
            home=state_dir / "dagster",
            log=state_dir / "logs" / "dagster.log",
            port=port,
            daemon=daemon,
            env=env,
        )
    )


@dataclass
class WebserverOptions:
    root: Path  # the project
    # What names the definitions: workspace.yaml, dg.toml or pyproject.toml, or a Python file
    # defining `defs` (see `layout`).
    definitions: Path
    home: Path  # DAGSTER_HOME
    log: Path
    host: str = "127.0.0.1"
    port: int = 0
    # Also run `dagster-daemon` (backfills, schedules, sensors). Off unless asked: the tests'
    # servers mostly launch single runs, which the DefaultRunCoordinator starts without it.
    daemon: bool = False
    # Their environment (None: ours). Notebook assets run our users' code in it: `dev` and
    # `--dagster` hand them ours less our secrets, as the marimo server gets (`child_env`).
    env: Mapping[str, str] | None = None

    @property
    def daemon_log(self) -> Path:
        return self.log.with_name("dagster-daemon.log")


class Webserver:
    def __init__(self, options: WebserverOptions) -> None:
        self.options = options
        self.port = options.port or free_port(options.host)
        self.process: asyncio.subprocess.Process | None = None
        self.daemon: asyncio.subprocess.Process | None = None
        self.daemon_started = 0.0  # time.time() of its last start: older heartbeats are not its

    @property
    def url(self) -> str:
        return f"http://{self.options.host}:{self.port}"

    def describe(self) -> str:
        """What it serves, for a line of `dev`: the file, and the code locations we chose."""
        try:
            return layout_for_file(self.options.root, self.options.definitions).shown
        except LayoutError:
            return self.options.definitions.name

    def _command(self, program: str, args: list[str]) -> list[str]:
        module = "marimo_tui.dagster.serve_main"
        return [sys.executable, "-m", module, program, str(os.getpid()), "--", *args]

    async def _spawn(self, command: list[str], log_path: Path) -> asyncio.subprocess.Process:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        base = os.environ if self.options.env is None else self.options.env
        env = {**base, "DAGSTER_HOME": str(self.options.home), "PYTHONUNBUFFERED": "1"}
        with open(log_path, "ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} port {self.port}\n".encode())
            log.flush()
            return await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.options.root,
                env=env,
                start_new_session=True,
            )

    async def start(self) -> None:
        """Start it and wait until it answers; WebserverError with the log's last line if not.
        Then the daemon, when asked for, not waited on: its trouble never fails the start."""
        home = self.options.home
        home.mkdir(parents=True, exist_ok=True)
        instance = home / "dagster.yaml"
        if not instance.exists():
            instance.write_text(INSTANCE_YAML, encoding="utf-8")
        try:
            target = layout_for_file(self.options.root, self.options.definitions).webserver_args(
                home
            )
        except LayoutError as exc:
            raise WebserverError(str(exc)) from None
        server = ["-h", self.options.host, "-p", str(self.port), *target]
        self.process = await self._spawn(self._command("webserver", server), self.options.log)
        await self._wait_healthy()
        if self.options.daemon:
            await self.start_daemon(target)

    async def start_daemon(self, target: list[str] | None = None) -> None:
        """(Re)start `dagster-daemon run` over the webserver's instance and workspace (its
        target options are the webserver's: `dagster-daemon run` takes the same -w/-f/-d)."""
        if self.daemon_alive:
            return
        # A daemon that cannot be spawned (or whose project no longer loads) is told by
        # daemon_trouble(), like one that exits: the webserver serves on regardless.
        with contextlib.suppress(OSError, LayoutError):
            if target is None:
                layout = layout_for_file(self.options.root, self.options.definitions)
                target = layout.webserver_args(self.options.home)
            self.daemon_started = time.time()
            self.daemon = await self._spawn(
                self._command("daemon", target), self.options.daemon_log
            )

    @property
    def daemon_alive(self) -> bool:
        return self.daemon is not None and self.daemon.returncode is None

    def daemon_trouble(self) -> str | None:
        """One line when the daemon was asked for and is not running; None when it runs (or
        was not asked for)."""
        if not self.options.daemon or self.daemon_alive:
            return None
        why = exit_reason(self.daemon, self.options.daemon_log)
        return (
            f"dagster-daemon is not running ({why}): backfills, schedules and sensors will "
            f"not run (log: {self.options.daemon_log})"
        )

    async def _wait_healthy(self) -> None:
        import httpx

        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise WebserverError(
                        f"the Dagster webserver exited at start: {self.last_log_line()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get(f"{self.url}/server_info")
                    if response.status_code == 200:
                        return
                await asyncio.sleep(0.2)
        await self.stop()
        raise WebserverError(f"the Dagster webserver did not answer within {START_TIMEOUT:.0f} s")

    def last_log_line(self) -> str:
        return last_line(self.options.log)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def stop(self) -> None:
        """Stop the webserver and its daemon together."""
        await asyncio.gather(
            *(stop_group(p, grace=5.0) for p in (self.process, self.daemon) if p is not None)
        )


def exit_reason(process: asyncio.subprocess.Process | None, log: Path) -> str:
    """Why a server is gone: the signal that killed it (its log then ends mid-work and says
    nothing of it), else its exit code and the last line it logged."""
    if process is None:
        return "it could not be started"
    code = process.returncode or 0
    if code < 0:
        return describe_exit(code)
    return f"{describe_exit(code)}: {last_line(log)}"


def last_line(log: Path) -> str:
    """The last line a server wrote to its log (not our own `---` start markers), without the
    colours Dagster's loggers write even to a file."""
    with contextlib.suppress(OSError):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        for line in reversed(lines):
            if line.strip() and not line.startswith("---"):
                return without_colours(line).strip()
    return "no output (see the log)"
