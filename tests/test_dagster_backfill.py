"""Backfills actually run: our webserver with its `dagster-daemon` (as `dev` and `open
--dagster` start it) takes a `marimo-tui run --partition-range` through to materialized
partitions, and the daemon leaves with its owner, even one killed with SIGKILL.

The webserver and daemon are owned by a process of their own (as `dev` owns them), so that
owner can be killed. The backfill daemon looks for new backfills every 30 s and marks one
complete on a later pass, so the backfill test takes a minute or so; the waits below are on
conditions, bounded only against a hang.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HANG, Runner, cli_env, interruptible
from tests.dagster_support import CLIENT_TIMEOUT
from tests.launch_support import graphql
from tests.sidecar_support import group_members, kill_group, wait_group_gone

DEFINITIONS = """
import dagster as dg

days = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")


@dg.asset(partitions_def=days)
def daily(context: dg.AssetExecutionContext) -> None:
    context.log.info(f"partition {context.partition_key}")


defs = dg.Definitions(assets=[daily], executor=dg.in_process_executor)
"""

# The owner: starts our Webserver with its daemon, prints the pids, then waits to be killed.
OWNER = """
import asyncio, json, sys
from pathlib import Path
from marimo_tui.dagster.webserver import Webserver, WebserverOptions

root = Path(sys.argv[1])


async def main() -> None:
    server = Webserver(WebserverOptions(
        root=root, definitions=root / "definitions.py", home=root / ".dagster-home",
        log=root / "dagster.log", daemon=True,
    ))
    await server.start()
    assert server.process is not None and server.daemon is not None
    pids = {"webserver": server.process.pid, "daemon": server.daemon.pid}
    print(json.dumps({"url": server.url, **pids}), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
"""

DAEMON_QUERY = """
{ instance { daemonHealth { daemonStatus(daemonType: "BACKFILL") { healthy } } } }
"""
BACKFILL_QUERY = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } }
}
"""
MATERIALIZED_QUERY = """
{ assetOrError(assetKey: {path: ["daily"]}) {
    ... on Asset { assetMaterializations { partition } } } }
"""
PARTITIONS = ["2024-01-02", "2024-01-03", "2024-01-04"]


class Owner:
    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", OWNER, str(root)],
            cwd=Path(__file__).parent.parent,
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=interruptible,
        )
        assert self.proc.stdout is not None
        # Webserver.start() gives up by itself (START_TIMEOUT): the line or EOF comes.
        line = self.proc.stdout.readline()
        assert line.startswith("{"), f"the owner did not start its servers: {line!r}"
        found = json.loads(line)
        self.url: str = found["url"]
        self.webserver: int = found["webserver"]
        self.daemon: int = found["daemon"]

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(HANG)
        for group in (self.webserver, self.daemon):
            kill_group(group)


def wait_for(what: str, value: Callable[[], Any], timeout: float) -> Any:
    """`value()` once it is truthy; `timeout` bounds a hang, not an expected duration."""
    deadline = time.monotonic() + timeout
    while not (found := value()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(1.0)
    return found


@pytest.fixture(scope="module")
def owned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Owner]]:
    root = tmp_path_factory.mktemp("backfill")
    (root / "definitions.py").write_text(DEFINITIONS)
    owner = Owner(root)
    (root / "marimo-tui.yaml").write_text(
        f"dagster:\n  url: {owner.url}\n  timeout: {CLIENT_TIMEOUT:g}\n"
    )
    try:
        yield root, owner
    finally:
        owner.close()


def test_a_partition_range_is_materialized_by_the_daemon(
    owned: tuple[Path, Owner], cli: Runner
) -> None:
    root, owner = owned

    def daemon_healthy() -> bool:
        health = graphql(owner.url, DAEMON_QUERY)["instance"]["daemonHealth"]
        return bool(health["daemonStatus"]["healthy"])

    # Its first heartbeat comes once it has imported Dagster: launching before would rightly
    # be told that no daemon runs.
    wait_for("the daemon's first heartbeat", daemon_healthy, 2 * HANG)
    out = cli("run", "--asset", "daily", "--partition-range", "2024-01-02...2024-01-04", cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("\n") == 1 and "backfill" in out.stdout, out.stdout
    assert "no dagster-daemon" not in out.stdout
    backfill_id = out.stdout.split(": backfill ")[1].split()[0]

    def materialized() -> list[str] | None:
        asset = graphql(owner.url, MATERIALIZED_QUERY)["assetOrError"]
        found = sorted(m["partition"] for m in asset["assetMaterializations"])
        return found if found == PARTITIONS else None

    # A pass of the daemon (every 30 s) launches the three runs. That the backfill is then
    # marked completed takes one more pass, which the user does not wait for: not waited here.
    assert wait_for("the three partitions materialized", materialized, 5 * HANG) == PARTITIONS
    found = graphql(owner.url, BACKFILL_QUERY, id=backfill_id)["partitionBackfillOrError"]
    assert found["status"] in ("REQUESTED", "COMPLETED", "COMPLETED_SUCCESS"), found


def test_no_daemon_outlives_an_owner_killed_with_sigkill(owned: tuple[Path, Owner]) -> None:
    _, owner = owned
    # The daemon's code server (its child, in its group) is what could be left behind.
    wait_for("the daemon's code server", lambda: len(group_members(owner.daemon)) > 1, 2 * HANG)
    owner.proc.send_signal(signal.SIGKILL)
    owner.proc.wait(HANG)
    assert wait_group_gone(owner.daemon, HANG) == [], "the daemon outlived its owner"
    assert wait_group_gone(owner.webserver, HANG) == [], "the webserver outlived its owner"
