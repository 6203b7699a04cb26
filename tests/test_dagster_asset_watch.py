"""The asset view's refresh rules against a real Dagster webserver on 127.0.0.1: a poll asks an
asset's status when something that changes it happened (`dagster/asset_watch.py`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from marimo_tui.dagster.client import DagsterClient
from marimo_tui.dagster.poller import RunPoller
from tests.dagster_support import CLIENT_TIMEOUT, DagsterServer, serve, wait_finished

# A chain up -> down -> bottom among enough other assets that the sweep (a few assets in turn
# every few polls) would take many polls to come back to them.
DEFINITIONS = """
import dagster as dg


@dg.asset
def up() -> int:
    return 1


@dg.asset(deps=[up])
def down() -> int:
    return 2


@dg.asset(deps=[down])
def bottom() -> int:
    return 3


def _filler(i: int) -> dg.AssetsDefinition:
    @dg.asset(name=f"filler{i:02d}")
    def _made() -> int:
        return i

    return _made


defs = dg.Definitions(
    assets=[up, down, bottom, *[_filler(i) for i in range(40)]], executor=dg.in_process_executor
)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterServer]:
    root = tmp_path_factory.mktemp("asset-watch")
    definitions = root / "definitions.py"
    definitions.write_text(DEFINITIONS)
    yield from serve(root, definitions)


def test_downstream_staleness_follows_an_upstream_materialization_within_a_poll(
    server: DagsterServer,
) -> None:
    async def scenario() -> None:
        async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
            workspace = await client.workspace()
            keys = [a.key for a in workspace.assets]
            assert len(keys) == 43
            up = workspace.asset(("up",))
            assert up is not None
            chain = [("up",), ("down",), ("bottom",)]
            first = await client.launch_assets(up.location, up.repository, chain)
            assert (await wait_finished(client, first.run_id)).status == "SUCCESS"

            poller = RunPoller(client, interval=0.3)
            poller.watch_assets(True, keys)
            await poller.poll_once()  # the first poll asks every asset
            assets = poller.state.assets
            assert len(assets) == 43
            assert [assets[k].stale for k in chain] == ["FRESH"] * 3
            assert assets[("down",)].run_id == first.run_id
            assert assets[("up",)].downstream == (("down",),)

            # Only `up` materializes again: `down` is stale now (Dagster's answer for `bottom`
            # is whatever it is: the view must agree with it). The poll that sees the run finish
            # makes `up` and the assets that depend on it directly due; the next one asks them.
            again = await client.launch_assets(up.location, up.repository, [("up",)])
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                await poller.poll_once()
                run = poller.state.runs.get(again.run_id)
                if run is not None and run.finished:
                    break
                await asyncio.sleep(0.3)
            assert poller.state.runs[again.run_id].status == "SUCCESS"
            truth = await client.poll(assets=None, with_assets=True)
            assert truth.assets is not None
            expected = {a.key: a for a in truth.assets}
            assert expected[("down",)].stale == "STALE"
            await poller.poll_once()
            assert set(poller.state.assets_asked) >= {("up",), ("down",)}
            assert poller.state.assets == expected
            assert poller.state.assets[("up",)].run_id == again.run_id

    server.loop.run(scenario())


def test_quiet_polls_ask_no_asset_and_the_sweep_comes_round(server: DagsterServer) -> None:
    """Nothing happens: most polls ask no asset; a sweep every few polls asks a few in turn,
    and answers keep every status (a partial answer is merged, not a replacement)."""
    from marimo_tui.dagster.asset_watch import SWEEP_ASSETS, SWEEP_EVERY

    async def scenario() -> None:
        async with DagsterClient(server.url, timeout=CLIENT_TIMEOUT) as client:
            keys = [a.key for a in (await client.workspace()).assets]
            poller = RunPoller(client, interval=0.3)
            poller.watch_assets(True, keys)
            await poller.poll_once()
            before = dict(poller.state.assets)
            asked: list[int] = []
            for _ in range(4 * SWEEP_EVERY):
                await poller.poll_once()
                asked.append(len(poller.state.assets_asked))
            assert poller.state.assets == before
            assert asked.count(0) == len(asked) - 4
            assert sorted(set(asked)) == [0, SWEEP_ASSETS]

    server.loop.run(scenario())


def test_the_watch_asks_what_changed_its_dependents_and_a_sweep_in_turn() -> None:
    """The rules alone, on statuses as a poll parses them."""
    from marimo_tui.dagster.asset_watch import DUE_PER_POLL, SWEEP_ASSETS, SWEEP_EVERY, AssetWatch
    from marimo_tui.dagster.model import AssetStatus

    keys = [(f"a{i:03d}",) for i in range(100)]
    down = {("a000",): (("a001",), ("a002",))}
    statuses = [AssetStatus(k, "FRESH", 1.0, "r1", downstream=down.get(k, ())) for k in keys]
    watch = AssetWatch()
    assert watch.to_ask() is None  # the view is off
    assert watch.watch(True, keys) and not watch.watch(True, reversed(keys))
    assert watch.to_ask() == (keys, True)
    old = watch.answered({}, statuses, every=True)
    assert len(old) == 100

    plans = [watch.to_ask() for _ in range(2 * SWEEP_EVERY)]
    sweeps = [p for p in plans if p is not None]
    assert len(sweeps) == 2  # one every SWEEP_EVERY polls, nothing on the others
    assert sweeps[0] == (keys[:SWEEP_ASSETS], False)
    assert sweeps[1] == (keys[SWEEP_ASSETS : 2 * SWEEP_ASSETS], False)

    # A run of a000 changed: a000 and what depends on it directly are asked on the next poll.
    watch.changed([("a000",), ("elsewhere",)])  # an asset off the view is not asked
    assert watch.to_ask() == ([("a000",), ("a001",), ("a002",)], False)
    answer = [AssetStatus(("a000",), "FRESH", 2.0, "r2", downstream=down[("a000",)])]
    answer += [AssetStatus(k, "STALE", 1.0, "r1") for k in (("a001",), ("a002",))]
    new = watch.answered(old, answer, every=False)
    assert len(new) == 100 and new[("a001",)].stale == "STALE"
    assert watch.to_ask() is None  # answered: no longer due

    # The sweep finds a newer materialization of a000: its dependents are due at once.
    moved = [AssetStatus(("a000",), "FRESH", 3.0, "r3", downstream=down[("a000",)])]
    watch.answered(new, moved, every=False)
    plan = watch.to_ask()  # this one is also a sweep's turn: the due ones come first
    assert plan is not None and plan[0] is not None
    assert plan[0][:2] == [("a001",), ("a002",)] and len(plan[0]) == 2 + SWEEP_ASSETS

    # A reload: every asset, DUE_PER_POLL a poll.
    watch.everything_changed()
    first = watch.to_ask()
    assert first is not None and len(first[0] or ()) == DUE_PER_POLL
