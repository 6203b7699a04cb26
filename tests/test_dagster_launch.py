"""Every kind of launch Dagster has, from `marimo-tui run` and the agent's `launch_asset`, on a
real webserver over tests/dagster_projects/launch_kinds: partitions, backfills, run config from
a file and JSON, jobs, multi-asset selections, tags; relaunch and re-execution from failure
keeping config, partition and tags; errors naming what Dagster said; and no false failures when
several launches race or an answer is lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.errors import DagsterError
from marimo_tui.dagster.launch_request import LAUNCH_ID_TAG, LaunchRequest, Reexecution
from marimo_tui.dagster.launcher import launch
from tests.conftest import HANG, Runner, cli_env
from tests.dagster_support import CLIENT_TIMEOUT, DagsterServer
from tests.launch_support import (
    backfill_info,
    graphql,
    run_info,
    runs_tagged,
    serve_launch_kinds,
    written,
)


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DagsterServer]]:
    root = tmp_path_factory.mktemp("kinds")
    for server in serve_launch_kinds(root, "  poll_interval: 0.5\n"):
        yield root, server


def launched(out: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The `launched` line of `run --json` (a run followed to FAILURE exits 1)."""
    assert out.stdout, out.stderr
    first = json.loads(out.stdout.splitlines()[0])
    assert first["type"] == "launched", first
    return dict(first)


def finished(out: subprocess.CompletedProcess[str]) -> str:
    return str(json.loads(out.stdout.splitlines()[-1])["status"])


def test_partitioned_assets_run_with_their_partition_and_tags(
    kinds: tuple[Path, DagsterServer], cli: Runner
) -> None:
    root, server = kinds
    out = cli(
        "run",
        "--asset",
        "colour",
        "--partition",
        "green",
        "--tag",
        "team=data",
        "--wait",
        "--json",
        cwd=root,
    )
    assert finished(out) == "SUCCESS", out.stdout
    assert written(root, "colour") == {"partition": "green"}
    tags = run_info(server.url, str(launched(out)["run_id"]))["tags"]
    assert tags["dagster/partition"] == "green" and tags["team"] == "data"
    assert tags[LAUNCH_ID_TAG] == launched(out)["launch_id"]
    daily = cli("run", "--asset", "daily", "--partition", "2024-01-03", "--wait", cwd=root)
    assert daily.returncode == 0, daily.stdout + daily.stderr
    assert "launched daily [2024-01-03]: run " in daily.stdout
    assert written(root, "daily-2024-01-03") == {"partition": "2024-01-03"}


ADD_REGION = """
mutation($key: String!) {
  addDynamicPartition(
    partitionsDefName: "regions"
    partitionKey: $key
    repositorySelector: {repositoryLocationName: "definitions.py", repositoryName: "__repository__"}
  ) { __typename }
}
"""


def test_dynamic_and_two_dimensional_partitions(
    kinds: tuple[Path, DagsterServer], cli: Runner
) -> None:
    root, server = kinds
    # A dynamic asset's partitions are the keys added to Dagster at run time (a sensor's job;
    # here, Dagster's own mutation), and marimo-tui asks Dagster for them when it launches.
    for key in ("north", "west"):
        added = graphql(server.url, ADD_REGION, key=key)["addDynamicPartition"]
        assert added["__typename"] == "AddDynamicPartitionSuccess", added
    out = cli("run", "--asset", "region", "--partition", "west", "--wait", "--json", cwd=root)
    assert finished(out) == "SUCCESS", out.stdout + out.stderr
    assert written(root, "region-west") == {"partition": "west"}
    unknown = cli("run", "--asset", "region", "--partition", "south", cwd=root)
    assert unknown.returncode == 1, unknown.stdout + unknown.stderr
    assert "PartitionKeyNotFound" in unknown.stderr and "north, west" in unknown.stderr
    # Two dimensions: the key as Dagster writes it, one value a dimension joined by `|`.
    out = cli("run", "--asset", "shelf", "--partition", "green|l", "--wait", "--json", cwd=root)
    assert finished(out) == "SUCCESS", out.stdout + out.stderr
    assert written(root, "shelf") == {
        "partition": "green|l",
        "dimensions": {"colour": "green", "size": "l"},
    }


def test_a_partition_range_is_a_backfill(kinds: tuple[Path, DagsterServer], cli: Runner) -> None:
    root, server = kinds
    out = cli(
        "run",
        "--asset",
        "daily",
        "--partition-range",
        "2024-01-02...2024-01-04",
        "--tag",
        "why=backfill",
        "--json",
        cwd=root,
    )
    first = launched(out)
    assert first["run_id"] is None and first["backfill_id"]
    backfill = backfill_info(server.url, str(first["backfill_id"]))
    assert backfill["partitionNames"] == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert backfill["assetSelection"] == [{"path": ["daily"]}]
    assert backfill["tags"]["why"] == "backfill"
    assert backfill["tags"][LAUNCH_ID_TAG] == first["launch_id"]
    # This webserver runs no dagster-daemon: the backfill will wait, and the user is told.
    waits = (
        f"backfill {first['backfill_id']} registered; "
        "no dagster-daemon is running, so it will not start until one does"
    )
    assert first["note"] == waits
    out = cli("run", "--asset", "daily", "--partition-range", "2024-01-05...2024-01-06", cwd=root)
    assert out.returncode == 0, out.stderr
    said, told = out.stdout.splitlines()
    assert said.startswith("launched daily [2024-01-05...2024-01-06]: backfill "), said
    assert told == f"backfill {said.split(': backfill ')[1].split()[0]} registered; " + (
        "no dagster-daemon is running, so it will not start until one does"
    )


def test_run_config_from_a_file_and_json(kinds: tuple[Path, DagsterServer], cli: Runner) -> None:
    root, _ = kinds
    (root / "rows.yaml").write_text("ops:\n  configured:\n    config:\n      rows: 5\n")
    override = json.dumps({"ops": {"configured": {"config": {"label": "from-json"}}}})
    out = cli(
        "run",
        "--asset",
        "configured",
        "--config",
        "rows.yaml",
        "--config-json",
        override,
        "--wait",
        cwd=root,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert written(root, "configured") == {"label": "from-json", "rows": 5}


def test_jobs_over_assets_and_ops(kinds: tuple[Path, DagsterServer], cli: Runner) -> None:
    root, _ = kinds
    out = cli("run", "--job", "sums_job", "--wait", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "launched job sums_job: run" in out.stdout
    assert written(root, "doubled") == {"value": 2}
    greet = json.dumps({"ops": {"greet": {"config": {"name": "Ann"}}}})
    out = cli("run", "--job", "greet_job", "--config-json", greet, "--wait", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert written(root, "greet") == {"name": "Ann"}


def test_several_assets_in_one_run(kinds: tuple[Path, DagsterServer], cli: Runner) -> None:
    root, server = kinds
    # A graph-backed multi-asset is launched whole: both keys in one run (not the last one).
    out = cli("run", "--asset", "pair/left", "--asset", "pair/right", "--wait", "--json", cwd=root)
    assert finished(out) == "SUCCESS", out.stdout
    run = run_info(server.url, str(launched(out)["run_id"]))
    assert sorted(k["path"] for k in run["assetSelection"]) == [["pair", "left"], ["pair", "right"]]
    # A subsettable multi-asset runs only the keys asked for.
    out = cli("run", "--asset", "split/two", "--wait", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert written(root, "split") == {"keys": ["split/two"]}
    # An asset with a check: the check runs with it.
    out = cli("run", "--asset", "checked", "--wait", "--json", cwd=root)
    assert finished(out) == "SUCCESS", out.stdout
    steps = run_info(server.url, str(launched(out)["run_id"]))["stepStats"]
    assert {s["status"] for s in steps} == {"SUCCESS"}


def test_errors_name_what_dagster_said(kinds: tuple[Path, DagsterServer], cli: Runner) -> None:
    root, _ = kinds

    def refused(*args: str, code: int = 1) -> list[str]:
        out = cli("run", *args, cwd=root)
        assert out.returncode == code, out.stdout + out.stderr
        assert "Traceback" not in out.stderr and not out.stdout
        return out.stderr.strip().splitlines()

    (subset,) = refused("--asset", "pair/left")
    assert "DagsterInvalidSubsetError" in subset and "graph_pair" in subset
    head, *problems = refused(
        "--asset",
        "configured",
        "--config-json",
        json.dumps({"ops": {"configured": {"config": {"label": 3}}}}),
    )
    assert head.endswith("invalid run config (2 errors):"), head
    assert sorted(p.split(": ", 2)[:2] for p in problems) == [
        ["  ops.configured.config", "MISSING_REQUIRED_FIELD"],
        ["  ops.configured.config.label", "RUNTIME_TYPE_MISMATCH"],
    ]
    (unknown,) = refused("--asset", "colour", "--partition", "purple")
    assert "PartitionKeyNotFound" in unknown and "red, green, blue" in unknown
    (missing,) = refused("--asset", "daily")
    assert "daily is partitioned (31 partitions, 2024-01-01 … 2024-01-31)" in missing
    (late,) = refused("--asset", "daily", "--partition-range", "2024-01-30...2024-03-01")
    assert "PartitionKeyNotFound" in late and "'2024-03-01'" in late
    (plain,) = refused("--asset", "base", "--partition", "red")
    assert "base is not partitioned" in plain
    (no_job,) = refused("--job", "nope")
    assert "no job 'nope'" in no_job and "greet_job" in no_job
    # Usage errors: exit 2, before anything is sent.
    assert "expected KEY=VALUE" in refused("--asset", "base", "--tag", "oops", code=2)[0]
    assert "START...END" in refused("--asset", "daily", "--partition-range", "x", code=2)[0]
    assert "not JSON" in refused("--asset", "base", "--config-json", "{", code=2)[0]
    assert (
        "keeps the run's partition" in refused("--relaunch", "abc", "--partition", "red", code=2)[0]
    )
    assert "give one of" in refused("--job", "sums_job", "--asset", "base", code=2)[0]


def test_relaunch_and_from_failure_keep_config_partition_and_tags(
    kinds: tuple[Path, DagsterServer], cli: Runner
) -> None:
    root, server = kinds
    first = cli(
        "run",
        "--asset",
        "colour",
        "--partition",
        "blue",
        "--tag",
        "team=t",
        "--wait",
        "--json",
        cwd=root,
    )
    assert finished(first) == "SUCCESS"
    parent = str(launched(first)["run_id"])
    (root / "out" / "colour.json").unlink()
    again = cli("run", "--relaunch", parent, "--wait", "--json", cwd=root)
    assert finished(again) == "SUCCESS", again.stdout + again.stderr
    assert written(root, "colour") == {"partition": "blue"}
    tags = run_info(server.url, str(launched(again)["run_id"]))["tags"]
    assert tags["dagster/partition"] == "blue" and tags["team"] == "t"
    assert tags["dagster/parent_run_id"] == parent
    assert tags[LAUNCH_ID_TAG] == launched(again)["launch_id"] != launched(first)["launch_id"]

    config = json.dumps({"ops": {"configured": {"config": {"rows": 9}}}})
    first = cli(
        "run", "--asset", "configured", "--config-json", config, "--wait", "--json", cwd=root
    )
    assert finished(first) == "SUCCESS"
    (root / "out" / "configured.json").unlink()
    again = cli("run", "--relaunch", str(launched(first)["run_id"]), "--wait", cwd=root)
    assert again.returncode == 0, again.stdout + again.stderr
    assert written(root, "configured") == {"label": "plain", "rows": 9}

    # flaky fails until out/flaky.ok exists; flaky_first before it succeeds.
    failed = cli(
        "run",
        "--asset",
        "flaky_first",
        "--asset",
        "flaky",
        "--tag",
        "team=f",
        "--wait",
        "--json",
        cwd=root,
    )
    assert finished(failed) == "FAILURE"
    first_ran = (root / "out" / "flaky_first.json").stat().st_mtime_ns
    (root / "out" / "flaky.ok").touch()
    resumed = cli(
        "run", "--from-failure", str(launched(failed)["run_id"]), "--wait", "--json", cwd=root
    )
    assert finished(resumed) == "SUCCESS", resumed.stdout + resumed.stderr
    run = run_info(server.url, str(launched(resumed)["run_id"]))
    assert [s["stepKey"] for s in run["stepStats"]] == ["flaky"]  # not flaky_first again
    assert (root / "out" / "flaky_first.json").stat().st_mtime_ns == first_ran
    assert run["tags"]["team"] == "f" and run["tags"]["dagster/is_resume_retry"] == "true"


def test_four_runs_at_once_all_report_success(
    kinds: tuple[Path, DagsterServer],
) -> None:
    """The issue's case: four `run`s at once against one webserver on a busy machine, with the
    default request timeout. Each says launched with its run id, and exactly four runs exist."""
    root, server = kinds
    (root / "default-timeout.yaml").write_text(f"dagster:\n  url: {server.url}\n")
    batch = uuid.uuid4().hex
    command = [
        sys.executable,
        "-m",
        "marimo_tui",
        "--config",
        "default-timeout.yaml",
        "run",
        "--asset",
        "base",
        "--tag",
        f"batch={batch}",
        "--json",
    ]
    procs = [
        subprocess.Popen(
            command,
            cwd=root,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=5 * HANG) for p in procs]
    for proc, (stdout, stderr) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, stdout + stderr
    ids = {json.loads(stdout.splitlines()[0])["run_id"] for stdout, _ in outs}
    assert len(ids) == 4 and None not in ids
    assert sorted(runs_tagged(server.url, "batch", batch)) == sorted(ids)


class DroppingProxy:
    """A TCP proxy to the webserver that forwards a launch mutation and then drops the client's
    connection before the answer: the launch happens, its answer is lost."""

    def __init__(self, port: int, marker: bytes = b"mutation LaunchRun") -> None:
        self.port = port
        self.marker = marker
        self.dropped = 0
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aenter__(self) -> DroppingProxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.port)

        async def upstream() -> None:
            tail = b""
            while data := await client_r.read(65536):
                server_w.write(data)
                await server_w.drain()
                if self.marker in tail + data:
                    self.dropped += 1
                    client_w.transport.abort()  # the answer never comes back
                    await server_r.read()  # the webserver finishes the launch regardless
                    return
                tail = data[-len(self.marker) :]

        async def downstream() -> None:
            while data := await server_r.read(65536):
                client_w.write(data)
                await client_w.drain()

        with contextlib.suppress(OSError, asyncio.CancelledError):
            down = asyncio.ensure_future(downstream())
            await upstream()
            down.cancel()
        server_w.close()
        client_w.close()


def test_a_launch_whose_answer_is_lost_is_found_by_its_launch_id(
    kinds: tuple[Path, DagsterServer],
) -> None:
    _, server = kinds

    async def scenario() -> tuple[int, bool, str | None, list[str]]:
        async with DroppingProxy(server.server.port) as proxy:
            async with DagsterClient(proxy.url, timeout=CLIENT_TIMEOUT) as client:
                request = LaunchRequest(assets=(("base",),), tags={"lost": "answer"})
                done = await launch(client, request)
            found = runs_tagged(server.url, LAUNCH_ID_TAG, request.launch_id)
            return proxy.dropped, done.recovered, done.run_id, found

    dropped, recovered, run_id, found = server.loop.run(scenario())
    assert dropped == 1 and recovered
    assert found == [run_id]  # launched once, and reported launched


def test_a_backfill_whose_answer_is_lost_is_found_by_its_launch_id(
    kinds: tuple[Path, DagsterServer],
) -> None:
    _, server = kinds
    request = LaunchRequest(assets=(("daily",),), partition_range=("2024-01-05", "2024-01-06"))

    async def scenario() -> tuple[int, bool, str | None]:
        async with DroppingProxy(server.server.port, b"mutation LaunchBackfill") as proxy:
            async with DagsterClient(proxy.url, timeout=CLIENT_TIMEOUT) as client:
                done = await launch(client, request)
            return proxy.dropped, done.recovered, done.backfill_id

    dropped, recovered, backfill_id = server.loop.run(scenario())
    assert dropped == 1 and recovered and backfill_id
    backfills = graphql(
        server.url,
        "{ partitionBackfillsOrError { ... on PartitionBackfills { results {"
        " id tags { key value } } } } }",
    )["partitionBackfillsOrError"]["results"]
    tag = {"key": LAUNCH_ID_TAG, "value": request.launch_id}
    assert [b["id"] for b in backfills if tag in b["tags"]] == [backfill_id]


def test_a_refused_connection_fails_at_once_without_looking() -> None:
    """Nothing reached a server: no launch can have happened, so there is nothing to look for
    (a re-execution goes straight to its mutation)."""

    async def scenario() -> DagsterError:
        async with DagsterClient("http://127.0.0.1:9", timeout=CLIENT_TIMEOUT) as client:
            with pytest.raises(DagsterError) as refused:
                await launch(client, Reexecution("0" * 36), patience=2 * HANG)
        return refused.value

    error = asyncio.run(asyncio.wait_for(scenario(), HANG))
    assert error.kind == "Refused" and "connection refused" in str(error)


def test_the_agent_launches_every_kind(kinds: tuple[Path, DagsterServer]) -> None:
    from marimo_tui.agent.tools import ToolContext, ToolFailure, dispatch
    from marimo_tui.config import load_config
    from marimo_tui.workbench import Workbench

    root, server = kinds
    wb = Workbench(load_config(start=root, environ={}))

    async def scenario() -> None:
        ctx = ToolContext(wb, "t", lambda _e: None, approval="auto")

        async def finished(run_id: str) -> dict[str, object]:
            status = await dispatch(ctx, "run_status", {"run_id": run_id, "wait": 3 * HANG})
            return dict(status.data)

        colour = await dispatch(
            ctx, "launch_asset", {"asset": "colour", "partition": "red", "tags": {"by": "agent"}}
        )
        assert (await finished(colour.data["run_id"]))["status"] == "SUCCESS"
        assert written(root, "colour") == {"partition": "red"}
        tags = run_info(server.url, colour.data["run_id"])["tags"]
        assert tags["dagster/partition"] == "red" and tags["by"] == "agent"

        job = await dispatch(
            ctx,
            "launch_asset",
            {"job": "greet_job", "config": {"ops": {"greet": {"config": {"name": "Agent"}}}}},
        )
        assert (await finished(job.data["run_id"]))["status"] == "SUCCESS"
        assert written(root, "greet") == {"name": "Agent"}

        pair = await dispatch(ctx, "launch_asset", {"assets": ["pair/left", "pair/right"]})
        assert (await finished(pair.data["run_id"]))["status"] == "SUCCESS"

        backfill = await dispatch(
            ctx, "launch_asset", {"asset": "daily", "partition_range": "2024-01-20...2024-01-21"}
        )
        assert backfill_info(server.url, backfill.data["backfill_id"])["partitionNames"] == [
            "2024-01-20",
            "2024-01-21",
        ]
        assert "no dagster-daemon is running" in backfill.data["note"]
        assert backfill.summary.endswith(backfill.data["note"])

        again = await dispatch(ctx, "launch_asset", {"relaunch": colour.data["run_id"]})
        assert (await finished(again.data["run_id"]))["status"] == "SUCCESS"
        assert run_info(server.url, again.data["run_id"])["tags"]["dagster/partition"] == "red"

        (root / "out" / "flaky.ok").unlink(missing_ok=True)
        failed = await dispatch(ctx, "launch_asset", {"assets": ["flaky_first", "flaky"]})
        assert (await finished(failed.data["run_id"]))["status"] == "FAILURE"
        (root / "out" / "flaky.ok").touch()
        resumed = await dispatch(
            ctx, "launch_asset", {"relaunch": failed.data["run_id"], "from_failure": True}
        )
        assert (await finished(resumed.data["run_id"]))["status"] == "SUCCESS"
        steps = run_info(server.url, resumed.data["run_id"])["stepStats"]
        assert [s["stepKey"] for s in steps] == ["flaky"]

        with pytest.raises(ToolFailure, match="DagsterInvalidSubsetError"):
            await dispatch(ctx, "launch_asset", {"asset": "pair/left"})
        with pytest.raises(ToolFailure, match=r"ops\.configured\.config: MISSING_REQUIRED_FIELD"):
            empty = {"ops": {"configured": {"config": {}}}}
            await dispatch(ctx, "launch_asset", {"asset": "configured", "config": empty})
        with pytest.raises(ToolFailure, match="PartitionKeyNotFound"):
            await dispatch(ctx, "launch_asset", {"asset": "colour", "partition": "teal"})

    server.loop.run(scenario())
