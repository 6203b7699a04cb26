"""A real Dagster webserver on 127.0.0.1 for the tests, started through `marimo_tui`'s own
`Webserver` (the one `marimo-tui dev` uses), with an instance of its own in a temp folder."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.model import Run
from marimo_tui.dagster.webserver import Webserver, WebserverOptions
from tests.conftest import HANG, cli_env, interruptible

PROJECT = Path(__file__).parent / "dagster_project"

# The tests' GraphQL timeout: a busy machine slows the webserver's answers (a launch spawns a
# run worker), and a slow answer is not what these tests are about. A stopped webserver still
# refuses at once. serve_paired writes it to the project's marimo-tui.yaml too.
CLIENT_TIMEOUT = 30.0

# A code location with plain assets: quick to run, for the client's own tests.
PLAIN_DEFINITIONS = """
import time
import dagster as dg


@dg.asset(group_name="plain")
def ok() -> int:
    print("ok ran")
    return 1


@dg.asset(group_name="plain")
def fails() -> int:
    raise ValueError("plain failure")


@dg.asset(group_name="plain", config_schema={"seconds": dg.Field(float, default_value=60.0)})
def slow(context: dg.AssetExecutionContext) -> int:
    for _ in range(int(context.op_execution_context.op_config["seconds"] * 10)):
        time.sleep(0.1)
    return 1


# One process a run: the default executor starts another per step (~7 s a run here, not ~2.5),
# and the tests launch many runs. Nothing of marimo-tui's depends on the executor.
defs = dg.Definitions(assets=[ok, fails, slow], executor=dg.in_process_executor)
"""


class Loop:
    """An asyncio loop in a thread, so sync tests and fixtures can drive async servers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 10 * HANG) -> Any:
        """Run `coro` on the loop; `timeout` only bounds a hang (a scenario may follow runs)."""
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class DagsterServer:
    """A webserver over `definitions` in `root`; stop() and start() keep the port and home."""

    def __init__(self, root: Path, definitions: Path, server: Webserver | None = None) -> None:
        self.root = root
        self.loop = Loop()
        self.server = server or Webserver(
            WebserverOptions(
                root=root,
                definitions=definitions,
                home=root / ".dagster-home",
                log=root / "webserver.log",
            )
        )

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self.loop.run(self.server.start())

    def stop(self) -> None:
        self.loop.run(self.server.stop())

    def close(self) -> None:
        self.stop()
        self.loop.close()


def plain_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    definitions = root / "definitions.py"
    definitions.write_text(PLAIN_DEFINITIONS)
    return definitions


def marimo_project(root: Path) -> Path:
    """A copy of tests/dagster_project (notebooks paired with `marimo_asset`s) in `root`."""
    shutil.copytree(PROJECT, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return root / "definitions.py"


def serve(root: Path, definitions: Path) -> Iterator[DagsterServer]:
    server = DagsterServer(root, definitions)
    server.start()
    try:
        yield server
    finally:
        server.close()


def serve_project(root: Path) -> Iterator[DagsterServer]:
    """The webserver `--dagster` and `dev` start for the project at `root`, found as they find
    it (`project_webserver`: its layout, an instance under `.marimo-tui/`)."""
    from marimo_tui.dagster.webserver import project_webserver

    # Without the daemon: these tests launch single runs, which start without one.
    webserver = project_webserver(root, root / ".marimo-tui", daemon=False)
    server = DagsterServer(root, webserver.options.definitions, webserver)
    server.start()
    try:
        yield server
    finally:
        server.close()


def serve_paired(root: Path, dagster_settings: str = "") -> Iterator[tuple[Path, DagsterServer]]:
    """tests/dagster_project served, with a marimo-tui.yaml pointing at it."""
    for server in serve(root, marimo_project(root)):
        (root / "marimo-tui.yaml").write_text(
            f"notebooks:\n  folder: notebooks\ndagster:\n  url: {server.url}\n"
            f"  timeout: {CLIENT_TIMEOUT:g}\n{dagster_settings}"
        )
        yield root, server


async def wait_finished(client: DagsterClient, run_id: str, timeout: float = 90) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = await client.poll(changed={"runIds": [run_id]})
        if answer.changed and answer.changed[0].finished:
            return answer.changed[0]
        await asyncio.sleep(0.5)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


class DevProcess:
    """`marimo-tui dev` started in `root` as from a terminal, its output read line by line."""

    def __init__(self, root: Path, **env: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "marimo_tui", "dev"],
            cwd=root,
            env=cli_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=interruptible,
        )
        self.seen: list[str] = []
        self.url: str | None = None  # from its `dagster: ready URL` line

    def read_until(self, done: Callable[[], object], timeout: float = 2 * HANG) -> None:
        """Read lines until `done()` holds, the output ends or `timeout` passes (a hang)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done():
            line = self.proc.stdout.readline()
            if not line:
                return
            self.seen.append(line)
            if line.startswith("dagster: ready "):
                self.url = line.split()[2]

    def interrupt(self) -> str:
        """Ctrl-C, as a terminal sends it; the rest of its output."""
        os.kill(self.proc.pid, signal.SIGINT)
        return self.proc.communicate(timeout=HANG)[0]


ASSET_VIEW = Path(__file__).parent / "dagster_projects" / "asset_view"


def serve_asset_view(root: Path, settings: str = "") -> Iterator[tuple[Path, DagsterServer]]:
    """tests/dagster_projects/asset_view served from a copy in `root`, with a marimo-tui.yaml."""
    shutil.copytree(
        ASSET_VIEW, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "notebooks").mkdir(exist_ok=True)
    for server in serve(root, root / "definitions.py"):
        (root / "marimo-tui.yaml").write_text(
            f"notebooks:\n  folder: notebooks\ndagster:\n  url: {server.url}\n"
            f"  timeout: {CLIENT_TIMEOUT:g}\n{settings}"
        )
        yield root, server
