#!/usr/bin/env python3
"""Runs-pane polling against a real Dagster webserver with 100 runs in flight.

    .venv/bin/python bench/dagster_poll.py [--in-flight 100] [--finished 6] [--polls 40]
                                           [--interval 0.5] [--reps 20] [--assets 200]
                                           [--no-asset-view]

The pane polls every 2 s; 0.5 s keeps the run short, and what a poll asks the server does not
depend on the interval (pass --interval 2 for the pane's cadence).

Target: with 100 runs in flight and the asset view on over 200 assets, one GraphQL request per
poll interval and <= 50 ms per poll on loopback (p50), wall time and the webserver's CPU time.

Setup     A temporary project (`tests.dagster_support.PLAIN_DEFINITIONS`: assets ok, fails, slow,
          and as many more as make --assets: every tenth daily-partitioned over 30 days, every
          seventh with an asset check) and its own DAGSTER_HOME with the `dagster.yaml`
          marimo-tui writes, then our own `Webserver` (the one `marimo-tui dev` starts) on
          127.0.0.1. The default instance:
          SQLite run storage and one SQLite event-log file per run, as `marimo-tui dev` uses.
In flight The runs are written into that instance from this process, not launched: the runs
          of the asset job for `slow` (`create_run_for_job`, so each has its snapshots, its
          asset selection and the planned-materialization events a launch writes), then
          RUN_STARTING, RUN_START (status STARTED, with a start time: a live duration), an
          engine event and STEP_START for `slow`, as a run process writes them. Launching 100
          real run processes (each a Python process that imports dagster, 100+ MB) on a
          two-core box would measure the machine's paging and scheduling, not the poll: for
          the webserver a run is its rows, whoever wrote them, so what a poll costs is the
          same. Besides, a handful of finished runs are real (`execute_in_process` of `ok` and
          `fails`).
Polls     Through `RunPoller.poll_once()`, as the runs pane does: `show()` of the 20 newest runs
          (step counts), `select()` of an in-flight run (its events after the cursor). Warm-up
          polls first, then N polls every INTERVAL s; before every poll the selected run logs a
          line, and before every fifth one a shown run succeeds (STEP_SUCCESS, a
          materialization, RUN_SUCCESS) and a new run starts, so `updatedAfter` has changes to
          return and 100 runs stay in flight. After every poll the script checks that exactly
          one request went out, that every in-flight run is known with its status and a start
          time (and the finished ones with theirs), that the step counts of the runs the poll
          asked about are right and that the selected run's new lines arrived. The poller is
          the runs pane's, with its defaults: the first poll lists the 50 newest runs and every
          run in flight; each poll asks the step counts of 5 of the 20 runs on screen, in turn.
          The asset view is on (`watch_assets` over every asset: staleness, latest
          materialization, partition counts, check results): the first poll asks every asset,
          then a poll asks only the assets that may have changed — those of runs that started
          or finished, the selected run's materializations, and the assets depending directly
          on those (`dagster/asset_watch.py`) — and every SWEEP_EVERY-th poll SWEEP_ASSETS more
          in turn; a quiet poll asks none. After a shown run succeeds, the check above also
          wants `slow`'s latest materialization to be that run's from the next poll on.
          Every LOCATIONS_EVERY-th poll reads the code locations. A poll's document holds only
          the root fields it asks (`documents.pruned`): the webserver parses and validates it
          on every request.
CPU       utime+stime (+ reaped children) from /proc of every process in the webserver's
          process group — `serve_main`, which runs dagster-webserver in-process, and the
          code server it spawns — over the N polls, divided by N. The same figure over an idle
          window of the same length right after (no requests) is what the server burns anyway
          (heartbeats, workspace checks); net = raw - idle. With 10 ms clock ticks, 40 polls
          give 0.25 ms per poll. The same counters read around each poll (whole ticks) tell
          whether the slowest polls were the server's doing.
Breakdown Each root field of the poll document sent alone with httpx (the fragments it needs
          and nothing more), REPS times: wall p50 and the server's CPU per request, against
          `{ __typename }` (HTTP, request context and GraphQL floor), the poll document without
          its variables (the server parses and validates it, then stops: what the document's
          size costs before any resolver runs), whole and as a quiet poll sends it, and whole
          polls as the poller sends them: quiet, with the locations, without `shown`, and with
          a sweep's assets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import io
import logging
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dagster_support import plain_project  # noqa: E402

from _tmux import median, percentile  # noqa: E402
from marimo_tui.dagster.asset_watch import SWEEP_ASSETS, SWEEP_EVERY  # noqa: E402
from marimo_tui.dagster.client import DagsterClient, endpoint  # noqa: E402
from marimo_tui.dagster.documents import document, pruned  # noqa: E402
from marimo_tui.dagster.poller import (  # noqa: E402
    LOCATIONS_EVERY,
    OVERLAP,
    STATS_PER_POLL,
    RunPoller,
)
from marimo_tui.dagster.webserver import INSTANCE_YAML, Webserver, WebserverOptions  # noqa: E402

TARGET_MS = 50.0
# The bench's extra assets: what the asset view asks about besides ok, fails and slow.
MORE_ASSETS = """

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-31")


def _asset(i: int) -> dg.AssetsDefinition:
    partitions = DAYS if i % 10 == 0 else None

    @dg.asset(name=f"a{i:03d}", group_name=f"g{i // 50}", partitions_def=partitions)
    def _made() -> int:
        return i

    return _made


def _check(asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset, name="positive")
    def _made() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    return _made


MORE = [_asset(i) for i in range({count})]
defs = dg.Definitions(
    assets=[ok, fails, slow, *MORE], asset_checks=[_check(a) for a in MORE[::7]]
)
"""


def bench_project(root: Path, assets: int) -> Path:
    """The plain project with `assets` assets in all."""
    definitions = plain_project(root)
    more = MORE_ASSETS.replace("{count}", str(max(0, assets - 3)))
    definitions.write_text(definitions.read_text() + more)
    return definitions


SHOWN = 20  # the runs on screen
CHANGE_EVERY = 5  # polls between two status changes
WARMUP = 3
TICK = os.sysconf("SC_CLK_TCK")
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


# -- the runs ------------------------------------------------------------------------------------
class Fleet:
    """Runs written into the webserver's instance from this process."""

    def __init__(self, home: Path, definitions: Path) -> None:
        warnings.filterwarnings("ignore")  # dagster's preview/beta warnings
        from dagster import AssetKey, DagsterInstance

        self.instance = DagsterInstance.from_config(str(home))
        spec = importlib.util.spec_from_file_location("bench_plain_definitions", definitions)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.job = module.defs.resolve_implicit_global_asset_job_def()
        self.slow = AssetKey("slow")
        self.in_flight: list[str] = []  # oldest first
        self.succeeded: list[str] = []  # the ones this script finished
        self.succeeded_before: dict[str, int] = {}  # run id -> the poll it finished before
        self.finished: dict[str, str] = {}  # the real finished runs: id -> status
        self.logged: dict[str, int] = {}  # run id -> lines logged by `log`

    def _event(self, run_id: str, kind: str, step: str | None, message: str, data: Any = None):
        from dagster._core.events import DagsterEvent

        event = DagsterEvent(
            event_type_value=kind,
            job_name=self.job.name,
            step_key=step,
            message=message,
            event_specific_data=data,
        )
        self.instance.report_dagster_event(event, run_id=run_id)

    def start_run(self) -> str:
        from dagster._core.events import DagsterEventType as E
        from dagster._core.storage.dagster_run import DagsterRunStatus

        run = self.instance.create_run_for_job(
            self.job,
            asset_selection={self.slow},
            run_config={"ops": {"slow": {"config": {"seconds": 3600.0}}}},
            status=DagsterRunStatus.NOT_STARTED,
        )
        self._event(run.run_id, E.RUN_STARTING.value, None, "Starting (bench).")
        self._event(run.run_id, E.RUN_START.value, None, "Started execution of run (bench).")
        self.instance.report_engine_event("Executing steps in process (bench)", run)
        self._event(run.run_id, E.STEP_START.value, "slow", 'Started execution of step "slow".')
        self.in_flight.append(run.run_id)
        return run.run_id

    def succeed(self, run_id: str) -> None:
        from dagster import AssetMaterialization
        from dagster._core.events import DagsterEventType as E
        from dagster._core.events import StepMaterializationData
        from dagster._core.execution.plan.objects import StepSuccessData

        materialization = StepMaterializationData(AssetMaterialization(self.slow))
        self._event(run_id, E.ASSET_MATERIALIZATION.value, "slow", "Materialized", materialization)
        self._event(run_id, E.STEP_SUCCESS.value, "slow", "Finished step", StepSuccessData(9.0))
        self._event(run_id, E.RUN_SUCCESS.value, None, "Finished execution of run (bench).")
        self.in_flight.remove(run_id)
        self.succeeded.append(run_id)

    def log(self, run_id: str) -> None:
        from dagster._core.events.log import EventLogEntry

        count = self.logged.get(run_id, 0) + 1
        self.logged[run_id] = count
        entry = EventLogEntry(
            error_info=None,
            level=logging.INFO,
            user_message=f"bench line {count}",
            run_id=run_id,
            timestamp=time.time(),
            step_key="slow",
            job_name=self.job.name,
        )
        self.instance.handle_new_event(entry)

    def run_finished(self, count: int) -> None:
        """Real runs of `ok` and `fails`, one after the other, silenced."""
        from dagster import AssetKey

        for i in range(count):
            key = AssetKey("fails" if i % 3 == 2 else "ok")
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                result = self.job.execute_in_process(
                    run_config=QUIET_RUN_CONFIG,
                    instance=self.instance,
                    asset_selection=[key],
                    raise_on_error=False,
                )
            self.finished[result.run_id] = "SUCCESS" if result.success else "FAILURE"


# -- CPU of the webserver's process group --------------------------------------------------------
def group_cpu(group: int) -> dict[int, float]:
    """CPU seconds (user + system, with reaped children) of each process in `group`."""
    out: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read().decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) != group:  # fields[0] is state: pgrp is the 5th field of the line
            continue
        ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        out[int(entry.name)] = ticks / TICK
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after.values()) - sum(v for pid, v in before.items() if pid in after)


def process_names(group: int) -> dict[int, str]:
    names = {}
    for pid in group_cpu(group):
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            names[pid] = " ".join(a.decode() for a in argv[1:4])
    return names


# -- the breakdown: one root field of the poll document at a time -------------------------------
def split_poll() -> dict[str, str]:
    """The poll document cut into one document per root field, each with its own variables and
    the fragments it uses."""
    from graphql import (
        DocumentNode,
        FragmentDefinitionNode,
        FragmentSpreadNode,
        OperationDefinitionNode,
        SelectionSetNode,
        VariableNode,
        parse,
        print_ast,
        visit,
    )
    from graphql.language import Visitor

    tree = parse(document("poll"))
    operation = next(d for d in tree.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in tree.definitions if isinstance(d, FragmentDefinitionNode)}

    def used(node: Any) -> tuple[set[str], set[str]]:
        variables: set[str] = set()
        spreads: set[str] = set()

        class Collect(Visitor):
            def enter_variable(self, node: VariableNode, *_: Any) -> None:
                variables.add(node.name.value)

            def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
                spreads.add(node.name.value)

        visit(node, Collect())
        return variables, spreads

    out = {}
    for field in operation.selection_set.selections:
        variables, pending = used(field)
        needed: set[str] = set()
        while pending:
            name = pending.pop()
            if name not in needed:
                needed.add(name)
                pending |= used(fragments[name])[1]
        single = OperationDefinitionNode(
            operation=operation.operation,
            name=None,
            directives=(),
            variable_definitions=tuple(
                v for v in operation.variable_definitions if v.variable.name.value in variables
            ),
            selection_set=SelectionSetNode(selections=(field,)),
        )
        parts = [single, *(fragments[n] for n in sorted(needed))]
        out[field.alias.value if field.alias else field.name.value] = print_ast(
            DocumentNode(definitions=tuple(parts))
        )
    return out


async def breakdown(
    url: str, group: int, poller: RunPoller, reps: int
) -> list[tuple[str, float, float]]:
    """(label, wall p50 ms, server CPU ms per request) for each part of the poll."""
    import httpx

    state = poller.state
    since = max(r.updated or 0.0 for r in state.runs.values()) - OVERLAP
    shown = [r.run_id for r in state.newest(SHOWN)]
    selected = state.selected
    base = {"limit": 500, "shown": shown, "withShown": True, "selected": selected}
    base |= {"withInFlight": False, "withLocations": True, "withAssets": False, "assets": None}
    assets = base | {"withAssets": True}
    watched = poller.watched_assets or []
    some = [{"path": list(k)} for k in watched[:SWEEP_ASSETS]]
    base |= {"withSelected": True, "after": state.cursor}
    parts = split_poll()
    whole = document("poll")
    # What the poller sends: the document without the fields a poll does not ask.
    quiet = pruned("poll", frozenset({"inFlight", "locations", "assets"}))[0]
    no_assets = pruned("poll", frozenset({"inFlight", "assets"}))[0]
    no_shown = pruned("poll", frozenset({"inFlight", "assets", "shown"}))[0]
    with_assets = pruned("poll", frozenset({"inFlight"}))[0]
    incremental = base | {"changed": {"updatedAfter": since}, "shown": shown[:STATS_PER_POLL]}
    # (label, document, variables, whether the server answers with an error on purpose)
    cases = [
        ("floor: { __typename }", "query { __typename }", {}, False),
        # Without its required variables the server parses and validates the document, then
        # stops: what the document's size costs before any resolver runs.
        ("poll document, parse+validate", whole, {}, True),
        ("quiet poll's document, parse+validate", quiet, {}, True),
        ("changed, incremental", parts["changed"], incremental, False),
        (
            "changed, first (no filter)",
            parts["changed"],
            base | {"changed": {}, "limit": 200},
            False,
        ),
        (f"shown: stats of {len(shown)} runs", parts["shown"], base, False),
        (
            f"shown: stats of {STATS_PER_POLL} runs (a poll's share)",
            parts["shown"],
            base | {"shown": shown[:STATS_PER_POLL]},
            False,
        ),
        ("shown: stats of 1 run", parts["shown"], base | {"shown": shown[:1]}, False),
        ("selected: run, events after cursor", parts["selected"], base, False),
        ("selected: run + all events", parts["selected"], base | {"after": None}, False),
        ("locations", parts["locations"], base, False),
        (f"assets: status of all {len(watched)}", parts["assets"], assets, False),
        (
            f"assets: status of {SWEEP_ASSETS} (a sweep's share)",
            parts["assets"],
            assets | {"assets": some},
            False,
        ),
        ("whole poll, quiet (no locations, assets)", quiet, incremental, False),
        ("whole poll, incremental, no assets", no_assets, incremental, False),
        ("whole poll without shown", no_shown, incremental | {"withShown": False}, False),
        (
            f"whole poll, asset view on ({SWEEP_ASSETS} assets)",
            with_assets,
            incremental | {"withAssets": True, "assets": some},
            False,
        ),
    ]
    rows = []
    async with httpx.AsyncClient(timeout=30) as http:
        for label, query, all_variables, stops in cases:
            names = set(_variable_names(query))
            variables = {k: v for k, v in all_variables.items() if k in names}
            body = {"query": query, "variables": variables}
            answer = (await http.post(endpoint(url), json=body)).json()
            if bool(answer.get("errors")) != stops:
                raise RuntimeError(f"{label}: unexpected answer {str(answer)[:300]}")
            times = []
            cpu0 = group_cpu(group)
            for _ in range(reps):
                started = time.perf_counter()
                response = await http.post(endpoint(url), json=body)
                times.append((time.perf_counter() - started) * 1000)
                if not stops:
                    response.raise_for_status()
            cpu = cpu_delta(cpu0, group_cpu(group)) * 1000 / reps
            rows.append((label, median(times), cpu))
    return rows


def _variable_names(query: str) -> Iterator[str]:
    from graphql import OperationDefinitionNode, parse

    for d in parse(query).definitions:
        if isinstance(d, OperationDefinitionNode):
            yield from (v.variable.name.value for v in d.variable_definitions)


# -- the benchmark -------------------------------------------------------------------------------
class Check:
    def __init__(self) -> None:
        self.failed = 0
        self.failures: list[str] = []  # the first ten

    def __call__(self, ok: bool, what: str) -> None:
        if not ok:
            self.failed += 1
            if len(self.failures) < 10:
                self.failures.append(what)


def verify(poller: RunPoller, fleet: Fleet, check: Check, poll: int) -> None:
    state = poller.state
    for run_id in fleet.in_flight:
        run = state.runs.get(run_id)
        status = run.status if run else "unknown"
        check(status == "STARTED", f"poll {poll}: in-flight run {run_id[:8]} is {status}")
        check(run is None or run.started is not None, f"poll {poll}: {run_id[:8]} no start time")
    for run_id in fleet.succeeded:
        run = state.runs.get(run_id)
        status = run.status if run else "unknown"
        check(status == "SUCCESS", f"poll {poll}: finished run {run_id[:8]} is {status}")
    for run_id, expected in fleet.finished.items():
        # Older than the 50 newest runs, they are listed only when they change; when known,
        # their status must be right.
        run = state.runs.get(run_id)
        if run is not None:
            check(run.status == expected, f"poll {poll}: run {run_id[:8]} is {run.status}")
    for run_id in state.stats_asked:  # the runs whose step counts the poll asked for
        stats = state.stats.get(run_id)
        if run_id in fleet.in_flight or run_id in fleet.succeeded:
            done = int(run_id in fleet.succeeded)
            check(
                stats is not None
                and (stats.steps_succeeded, stats.materializations) == (done, done),
                f"poll {poll}: step counts of {run_id[:8]}: {stats}",
            )
    # The asset view: the poll that sees a run finish makes its assets due, the next one asks
    # them: `slow`'s latest materialization is that run's one poll later.
    finished = [r for r in fleet.succeeded if fleet.succeeded_before.get(r, poll) < poll]
    if state.assets and finished:
        slow = state.assets.get(("slow",))
        made = slow.run_id if slow else None
        check(
            made == finished[-1],
            f"poll {poll}: slow materialized by {str(made)[:8]}, not {finished[-1][:8]}",
        )
    lines = [e for e in state.events if e.message.startswith("bench line ")]
    want = fleet.logged.get(state.selected or "", 0)
    check(
        len(lines) == want, f"poll {poll}: {len(lines)} new lines of the selected run, not {want}"
    )


async def measure(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="mtui-dagster-poll-") as tmp:
        root = Path(tmp)
        definitions = bench_project(root, args.assets)
        home = root / ".dagster-home"
        home.mkdir()
        (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")

        started = time.perf_counter()
        fleet = Fleet(home, definitions)
        fleet.run_finished(args.finished)
        for _ in range(args.in_flight):
            fleet.start_run()
        print(
            f"setup: {args.in_flight} runs in flight and {args.finished} finished written in "
            f"{time.perf_counter() - started:.1f} s"
        )

        server = Webserver(WebserverOptions(root, definitions, home, root / "webserver.log"))
        try:
            started = time.perf_counter()
            await server.start()
            assert server.process is not None
            group = server.process.pid
            print(f"webserver up in {time.perf_counter() - started:.1f} s at {server.url}")
            for pid, name in process_names(group).items():
                print(f"  process group member {pid}: {name}")
            return await _polls(args, fleet, server.url, group)
        except Exception:
            print(f"the webserver log's last line: {server.last_log_line()}")
            raise
        finally:
            await server.stop()
            fleet.instance.dispose()


async def _polls(args: argparse.Namespace, fleet: Fleet, url: str, group: int) -> int:
    check = Check()
    async with DagsterClient(url, timeout=30) as client:
        poller = RunPoller(client)
        # The asset view over every asset, as the pane asks for it (`a`): the workspace's keys.
        workspace = await client.workspace()
        poller.watch_assets(args.asset_view, sorted(a.key for a in workspace.assets))
        selected = fleet.in_flight[0]
        poller.select(selected)
        for _ in range(WARMUP):
            await poller.poll_once()
            shown = [r.run_id for r in poller.state.newest(SHOWN)]
            poller.show(shown)
        verify(poller, fleet, check, 0)

        walls: list[float] = []
        per_poll: list[float] = []  # the server's CPU around each poll, 10 ms ticks
        requests: list[int] = []
        asked: list[int] = []  # assets each poll asked the status of
        client_cpu = 0.0
        changes = 0
        cpu0 = group_cpu(group)
        window = time.perf_counter()
        for i in range(1, args.polls + 1):
            due = window + (i - 1) * args.interval
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            fleet.log(selected)
            if i % CHANGE_EVERY == 0:
                running = [r for r in shown if r in fleet.in_flight and r != selected]
                done = running[0] if running else fleet.in_flight[-1]
                fleet.succeed(done)
                fleet.succeeded_before[done] = i
                fleet.start_run()
                changes += 1
            sent = client.requests_sent
            before = group_cpu(group)
            cpu_started = time.process_time()
            t = time.perf_counter()
            await poller.poll_once()
            walls.append((time.perf_counter() - t) * 1000)
            client_cpu += time.process_time() - cpu_started
            per_poll.append(cpu_delta(before, group_cpu(group)) * 1000)
            requests.append(client.requests_sent - sent)
            asked.append(len(poller.state.assets_asked))
            check(requests[-1] == 1, f"poll {i}: {requests[-1]} requests")
            verify(poller, fleet, check, i)
            shown = [r.run_id for r in poller.state.newest(SHOWN)]
            poller.show(shown)
        await asyncio.sleep(max(0.0, window + args.polls * args.interval - time.perf_counter()))
        elapsed = time.perf_counter() - window
        busy = cpu_delta(cpu0, group_cpu(group))

        cpu0 = group_cpu(group)
        await asyncio.sleep(elapsed)
        idle = cpu_delta(cpu0, group_cpu(group))

        rows = await breakdown(url, group, poller, args.reps)

    n = len(walls)
    in_flight = sum(1 for r in poller.state.runs.values() if r.in_flight)
    assets = len(poller.state.assets)
    raw, idle_ms = busy * 1000 / n, idle * 1000 / n
    p50 = median(walls)
    print()
    print(
        f"runs in flight {in_flight} (of {len(poller.state.runs)} listed); {n} polls every "
        f"{args.interval:g} s over {elapsed:.1f} s, {changes} runs finished and started meanwhile"
    )
    view = (
        f"on, {assets} assets (due ones, and {SWEEP_ASSETS} more in turn every {SWEEP_EVERY} polls)"
        if args.asset_view
        else "off"
    )
    print(f"  asset view {view}; code locations read every {LOCATIONS_EVERY} polls")
    print(f"  requests per poll  min {min(requests)}  max {max(requests)}")
    if args.asset_view:
        with_assets = [k for k in range(n) if asked[k]]
        print(
            f"  polls that asked assets {len(with_assets)} of {n} "
            f"({sum(asked)} statuses in all); their server CPU p50 "
            f"{median([per_poll[k] for k in with_assets]) if with_assets else 0:.0f} ms, "
            f"the others' {median([per_poll[k] for k in range(n) if not asked[k]] or [0]):.0f} ms"
        )
    print(
        f"  poll wall (client)   p50 {p50:6.1f}  p95 {percentile(walls, 95):6.1f}  "
        f"max {max(walls):6.1f}  ms"
    )
    print(f"  client CPU per poll  {client_cpu * 1000 / n:6.1f} ms (gql + parsing, this process)")
    print(
        f"  webserver CPU per poll  raw {raw:6.1f}  idle {idle_ms:6.1f}  net {raw - idle_ms:6.1f}  "
        f"ms  (process group, 1/{TICK} s ticks)"
    )
    print(
        f"  webserver CPU around each poll  p50 {median(per_poll):4.0f}  "
        f"max {max(per_poll):4.0f}  ms (whole ticks)"
    )
    slowest = sorted(range(n), key=lambda k: walls[k], reverse=True)[:3]
    print(
        "  slowest polls  "
        + ", ".join(
            f"#{k + 1} {walls[k]:.0f} ms ({per_poll[k]:.0f} ms server CPU)" for k in slowest
        )
    )
    print()
    print(f"breakdown: each part of the poll alone, {args.reps} requests each (httpx)")
    print(f"  {'':36} {'wall p50':>9} {'server CPU':>11}")
    for label, wall, cpu in rows:
        print(f"  {label:36} {wall:6.1f} ms {cpu:8.1f} ms")
    if check.failures:
        print()
        print(f"checks that failed: {check.failed} (the first 10)")
        for failure in check.failures:
            print(f"  {failure}")

    one_request = set(requests) == {1}
    fast = p50 <= TARGET_MS
    server_p50 = median(per_poll)
    server_fast = server_p50 <= TARGET_MS
    consistent = not check.failed and (not args.asset_view or assets == args.assets)
    print()
    print(f"  target one request per poll          {max(requests):5d}     {_verdict(one_request)}")
    print(f"  target poll p50 <= {TARGET_MS:.0f} ms            {p50:5.1f} ms  {_verdict(fast)}")
    print(
        f"  target server CPU p50 <= {TARGET_MS:.0f} ms      {server_p50:5.1f} ms  "
        f"{_verdict(server_fast)}"
    )
    print(f"  all runs listed with their status    {check.failed:5d}     {_verdict(consistent)}")
    return 0 if one_request and fast and server_fast and consistent else 1


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-flight", type=int, default=100, help="runs in status STARTED")
    parser.add_argument("--finished", type=int, default=6, help="real finished runs besides")
    parser.add_argument("--polls", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    parser.add_argument("--reps", type=int, default=20, help="requests per breakdown row")
    parser.add_argument("--assets", type=int, default=200, help="assets in the code location")
    parser.add_argument(
        "--no-asset-view", dest="asset_view", action="store_false", help="runs only"
    )
    args = parser.parse_args()
    if args.in_flight < 1 or args.polls < 1 or args.reps < 1:
        parser.error("--in-flight, --polls and --reps must be at least 1")
    if not sys.platform.startswith("linux"):
        print("needs Linux: the webserver's CPU time is read from /proc")
        return 1
    try:
        return asyncio.run(measure(args))
    except KeyboardInterrupt:
        print("interrupted")
        return 1


if __name__ == "__main__":
    sys.exit(main())
