"""A Dagster webserver for a project, owned by us: `marimo-tui dev` and the tests start it.

It runs `dagster-webserver` on 127.0.0.1 with an instance of its own under
`.marimo-tui/dagster/` whose `dagster.yaml` uses the `DefaultRunCoordinator`: a launched run
starts at once, without `dagster-daemon` (with the default queued coordinator a run would stay
QUEUED). Like the marimo sidecar it has its own process group and a parent-death signal, so it
never outlives us.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from marimo_tui.dagster.layout import LayoutError, find_layout, layout_for_file
from marimo_tui.processes import free_port, stop_group

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


def project_webserver(root: Path, state_dir: Path, port: int = 0) -> Webserver:
    """The webserver `dev` and `open --dagster` run for a project: an instance of its own
    under the state folder, its log beside the others. WebserverError when it cannot be."""
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


class Webserver:
    def __init__(self, options: WebserverOptions) -> None:
        self.options = options
        self.port = options.port or free_port(options.host)
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://{self.options.host}:{self.port}"

    def describe(self) -> str:
        """What it serves, for a line of `dev`: the file, and the code locations we chose."""
        try:
            return layout_for_file(self.options.root, self.options.definitions).shown
        except LayoutError:
            return self.options.definitions.name

    def _command(self) -> list[str]:
        layout = layout_for_file(self.options.root, self.options.definitions)
        return [
            sys.executable,
            "-m",
            "marimo_tui.dagster.webserver_main",
            str(os.getpid()),
            "--",
            "-h",
            self.options.host,
            "-p",
            str(self.port),
            *layout.webserver_args(self.options.home),
        ]

    async def start(self) -> None:
        """Start it and wait until it answers; WebserverError with the log's last line if not."""
        home = self.options.home
        home.mkdir(parents=True, exist_ok=True)
        instance = home / "dagster.yaml"
        if not instance.exists():
            instance.write_text(INSTANCE_YAML, encoding="utf-8")
        try:
            command = self._command()
        except LayoutError as exc:
            raise WebserverError(str(exc)) from None
        self.options.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        with open(self.options.log, "ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} port {self.port}\n".encode())
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=self.options.root,
                env=env,
                start_new_session=True,
            )
        await self._wait_healthy()

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
        with contextlib.suppress(OSError):
            lines = self.options.log.read_text(encoding="utf-8", errors="replace").splitlines()
            for line in reversed(lines):
                if line.strip() and not line.startswith("---"):
                    return line.strip()
        return "no output (see the log)"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def stop(self) -> None:
        if self.process is not None:
            await stop_group(self.process, grace=5.0)
