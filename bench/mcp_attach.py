#!/usr/bin/env python3
"""Attach mode's cost: the same edit made by the built-in agent and by an outside agent over the
open workbench's socket.

    PYTHONPATH=src .venv/bin/python bench/mcp_attach.py [--cells 200] [--calls 30] [--no-marimo]

A workbench (with its marimo server unless --no-marimo) is opened on a generated notebook of N
chained cells, and its attach server listens as the app's does (approval auto). Each round makes
one `edit_cell` of the last cell (a leaf: marimo reruns it alone) twice: once in this process
through `tools.dispatch`, as the built-in agent's loop does, and once through `AttachedBackend`
(what `marimo-tui mcp` uses when a workbench is open): JSON over the Unix socket, the
workbench's `OutsideAgent` (events, redaction), the same dispatch, the answer back. Both wait
for marimo's rerun and return its report. Printed: p50/p95 of each, in ms, and the difference of
the medians (the issue's goal: an outside edit within 30 ms of the built-in agent's); also the
round trip of a request that runs no tool (`hello`): the socket's own floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tui_support import make_project  # noqa: E402

from _tmux import median, percentile  # noqa: E402
from marimo_tui.agent.tools import ToolContext, dispatch  # noqa: E402
from marimo_tui.config import load_config  # noqa: E402
from marimo_tui.mcp_server.attach_server import AttachServer  # noqa: E402
from marimo_tui.mcp_server.attached_backend import AttachedBackend  # noqa: E402
from marimo_tui.workbench import Workbench  # noqa: E402

WARM = 3  # rounds left out: the first ones warm marimo's caches and the thread pool
READY = 120.0  # s for the marimo server and the kernel


async def measure(
    cells: int, calls: int, marimo: bool
) -> tuple[list[float], list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        chain = [(f"step{i}", f"v{i} = {f'v{i - 1} + ' if i else ''}{i}") for i in range(cells)]
        path = make_project(root, chain)
        wb = Workbench(load_config(start=root, environ={}))
        wb.current = path
        await wb.start(watch=False, run=marimo)
        server = AttachServer(wb, approval=lambda: "auto", approver=None, listener=lambda *_: None)
        await server.start()
        backend = await AttachedBackend.connect(root, "bench")
        try:
            if wb.runtime is not None and wb.runtime.session is not None:
                await asyncio.wait_for(wb.runtime.session.wait_ready(), READY)
            ctx = ToolContext(wb, "bench", lambda _e: None, approval="auto", rerun_timeout=READY)
            last, prev = f"step{cells - 1}", f"v{cells - 2}"
            await dispatch(ctx, "list_cells", {})
            await backend.call("list_cells", {})
            inside: list[float] = []
            outside: list[float] = []
            floor: list[float] = []
            for i in range(calls + WARM):
                args = {"cell": last, "code": f"v{cells - 1} = {prev} * {2 * i}\nv{cells - 1}"}
                started = time.perf_counter()
                await dispatch(ctx, "list_cells", {})  # (the file moved on: read, as a model would)
                await dispatch(ctx, "edit_cell", args)
                built_in = (time.perf_counter() - started) * 1000
                args = {"cell": last, "code": f"v{cells - 1} = {prev} * {2 * i + 1}\nv{cells - 1}"}
                started = time.perf_counter()
                await backend.call("list_cells", {})
                result = await backend.call("edit_cell", args)
                attached = (time.perf_counter() - started) * 1000
                assert not result.is_error, result.text
                started = time.perf_counter()
                await backend.introduce("bench")  # a request that runs no tool
                hello = (time.perf_counter() - started) * 1000
                if i >= WARM:
                    inside.append(built_in)
                    outside.append(attached)
                    floor.append(hello)
            return inside, outside, floor
        finally:
            await backend.close()
            await server.stop()
            await wb.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--no-marimo", dest="marimo", action="store_false")
    args = parser.parse_args()
    inside, outside, floor = asyncio.run(measure(args.cells, args.calls, args.marimo))
    rerun = "with marimo's rerun" if args.marimo else "no marimo server"
    load = os.getloadavg()[0]
    print(f"list_cells + edit_cell of a leaf, {args.cells} cells, {args.calls} rounds ({rerun})")
    print(f"  (load average {load:.1f} on {os.cpu_count()} cores)")
    rows = (
        ("built-in (dispatch)", inside),
        ("attached (socket)", outside),
        ("socket round trip", floor),
    )
    for label, times in rows:
        print(f"  {label:<20} p50 {median(times):7.1f}  p95 {percentile(times, 95):7.1f}  ms")
    print(f"  attached - built-in: {median(outside) - median(inside):+.1f} ms at the median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
