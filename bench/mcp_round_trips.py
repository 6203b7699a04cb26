#!/usr/bin/env python3
"""An outside agent's edit over MCP against the same edit by the built-in agent's tool path.

    PYTHONPATH=src .venv/bin/python bench/mcp_round_trips.py [--cells 200] [--calls 30]

Both sides work on a generated notebook of N cells (a chain `v0 … vN-1`, and in its middle a
cell `probe` that reads `v{N/2}` and that no cell reads), each with a marimo server of its own;
both are up at once and take turns, one round each, the order swapped every round, so a busy
machine weighs on both alike (calls never overlap):

builtin  `agent.tools.dispatch` in this process, as the agent loop calls it: validation, the
         store's write, then the wait for marimo's rerun and the report of it.
mcp      `marimo-tui mcp` started over stdio by the official MCP client (`ClientSession`), as
         Claude Code or Codex starts it: the same call sent as a `tools/call` request, timed from
         the request to the result with the rerun report (JSON-RPC over pipes, the SDK's
         validation, the result's text).

Round trips: `edit` changes `probe` (whole code and search/replace in turn; only it reruns);
`add` adds a leaf cell after it (then, untimed, deletes it again); `read` (read_cell, a parse
of the file) and `list` (list_notebooks) show what the transport adds to calls that wait for
no rerun. The first rounds warm the kernels (a first run is the whole notebook) and are not
counted. Goal: an outside edit or add within 30 ms of the built-in one at p50 and p95.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tui_support import make_project  # noqa: E402

from _tmux import percentile  # noqa: E402

WARMUP = 3
GOAL_MS = 30.0
Call = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def project(folder: Path, cells: int) -> Path:
    chain = [(f"step{i}", f"v{i} = {f'v{i - 1} + ' if i else ''}{i}") for i in range(cells)]
    middle = cells // 2
    chain.insert(middle + 1, ("probe", f"probe = v{middle} * 0\nprobe"))
    return make_project(folder, chain)


KINDS = ("edit", "add", "read", "list")


async def one_round(call: Call, i: int, reads: str) -> dict[str, float]:
    """One edit, one add (its cell deleted again, untimed), one read and one listing (the
    protocol's own cost, with next to nothing to do); the writes settled and clean."""
    took: dict[str, float] = {}
    if i % 2:
        args = {"cell": "probe", "search": f"* {i - 1}", "replace": f"* {i}"}
    else:
        args = {"cell": "probe", "code": f"probe = {reads} * {i}\nprobe"}
    started = time.perf_counter()
    result = await call("edit_cell", args)
    took["edit"] = (time.perf_counter() - started) * 1000
    assert result.get("settled") and not result.get("errors"), result
    started = time.perf_counter()
    added = await call("add_cell", {"code": f"leaf{i} = probe + {i}", "after": "probe"})
    took["add"] = (time.perf_counter() - started) * 1000
    assert added.get("settled") and not added.get("errors"), added
    await call("delete_cell", {"cell": added["cell"]["id"]})
    started = time.perf_counter()
    await call("read_cell", {"cell": "probe"})
    took["read"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    await call("list_notebooks", {})
    took["list"] = (time.perf_counter() - started) * 1000
    return took


@contextlib.asynccontextmanager
async def builtin(folder: Path) -> AsyncIterator[Call]:
    """The built-in agent's path: `dispatch` in this process, on the workbench the headless
    MCP server makes (approval auto, its own marimo server)."""
    from marimo_tui.agent.tools import ToolContext, dispatch
    from marimo_tui.config import load_config
    from marimo_tui.mcp_server.headless_backend import HeadlessProject

    headless = HeadlessProject(load_config(start=folder))
    await headless.start()
    try:
        await headless.wait_ready()
        ctx = ToolContext(headless.workbench, "bench", lambda _e: None, approval="auto")

        async def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
            return (await dispatch(ctx, name, args)).data

        yield call
    finally:
        await headless.stop()


@contextlib.asynccontextmanager
async def outside(folder: Path) -> AsyncIterator[Call]:
    """An outside agent's path: `marimo-tui mcp` over stdio, through the official client."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "marimo_tui", "mcp"],
        cwd=str(folder),
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    with (folder.parent / "mcp-stderr.log").open("w") as log:
        async with (
            stdio_client(params, errlog=log) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()

            async def call(name: str, args: dict[str, Any]) -> dict[str, Any]:
                result = await session.call_tool(name, args)
                assert not result.is_error and isinstance(result.structured_content, dict)
                return result.structured_content

            yield call


def row(name: str, values: list[float]) -> str:
    p50, p95 = percentile(values, 50), percentile(values, 95)
    return f"{name:<13} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   n={len(values)}"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-mcp-"))
    times: dict[str, dict[str, list[float]]] = {
        side: {k: [] for k in KINDS} for side in ("builtin", "mcp")
    }
    reads = f"v{args.cells // 2}"
    try:
        for side in times:
            project(tmp / side / "project", args.cells)
        async with (
            builtin(tmp / "builtin" / "project") as inside,
            outside(tmp / "mcp" / "project") as over,
        ):
            # In turns, the order swapped each round: both sides see the same load.
            for i in range(args.calls + WARMUP):
                order = [("builtin", inside), ("mcp", over)]
                for side, call in order if i % 2 else order[::-1]:
                    took = await one_round(call, i, reads)
                    if i >= WARMUP:
                        for kind in KINDS:
                            times[side][kind].append(took[kind])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"{args.cells + 1}-cell notebook, {args.calls} round trips of each, load {load:.2f}")
    worst = -math.inf
    for kind in KINDS:
        print(row(f"builtin {kind}", times["builtin"][kind]))
        print(row(f"mcp {kind}", times["mcp"][kind]))
        gaps = [
            percentile(times["mcp"][kind], q) - percentile(times["builtin"][kind], q)
            for q in (50, 95)
        ]
        print(f"  mcp - builtin: p50 {gaps[0]:+.1f} ms, p95 {gaps[1]:+.1f} ms")
        if kind in ("edit", "add"):
            worst = max(worst, *gaps)
    verdict = "within" if worst <= GOAL_MS else "NOT within"
    print(
        f"goal: an outside edit {verdict} {GOAL_MS:.0f} ms of the built-in one (worst {worst:+.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
