"""Figures for issue 17's faults: the marimo sidecar after 20 quick kills, and the kernels left
alive after opening N notebooks one after another.

    .venv/bin/python bench/fault_recovery.py [--kills 20] [--notebooks 5] [--grace 2]

Sidecar: the shipped backoffs. "when up" kills each server as soon as it answers /health (the
crash path: back within a second or so each time); "at spawn" kills each as soon as its process
exists (the failed-start path, whose pause grows to MAX_BACKOFF). Printed: the time from the
last kill to a healthy server, and whether it answered /health.

Kernels: a Runtime opens each notebook in turn and waits for its kernel; printed: kernels alive
(and their RSS) right after the last open and once the grace has passed, with the grace given
and with 0 (kernels kept, the behaviour before).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.sidecar_support import kill_group, make_notebook, notebooks_to_leave

from marimo_tui.config import load_config
from marimo_tui.runtime.kernel_procs import describe, kernel_processes
from marimo_tui.runtime.manager import Runtime
from marimo_tui.runtime.sidecar import MAX_BACKOFF, Sidecar, SidecarOptions
from marimo_tui.tasks import TaskTree


async def _healthy(sidecar: Sidecar) -> bool:
    import httpx

    async with httpx.AsyncClient(timeout=5.0) as client:
        try:
            return (await client.get(f"{sidecar.base_url}/health")).status_code == 200
        except httpx.HTTPError:
            return False


async def _until(predicate: object, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.01)


async def kills(root: Path, count: int, mode: str) -> None:
    make_notebook(root)
    sidecar = Sidecar(SidecarOptions(root, root / ".marimo-tui" / "logs"))
    sidecar.start()
    pid: int | None = None
    try:
        start = time.monotonic()
        for _ in range(count):
            if mode == "when up":
                await _until(lambda p=pid: sidecar.state == "ready" and sidecar.pid != p)
            else:
                await _until(lambda p=pid: sidecar.pid not in (None, p))
            pid = sidecar.pid
            assert pid is not None
            kill_group(pid)
        last = time.monotonic()
        await _until(lambda p=pid: sidecar.state == "ready" and sidecar.pid != p)
        back = time.monotonic() - last
        ok = await _healthy(sidecar)
        print(
            f"sidecar recovery after {count} quick kills ({mode}): healthy {back:.2f} s after "
            f"the last kill; /health {'200' if ok else 'FAILED'}; {time.monotonic() - start:.1f} s "
            f"for the whole run; state never 'failed' (pause cap {MAX_BACKOFF:g} s)"
        )
    finally:
        await sidecar.stop()


async def leave(root: Path, n: int, grace: int) -> None:
    paths = notebooks_to_leave(root, n, grace)
    runtime = Runtime(load_config(start=root, environ={}), lambda _: None, TaskTree())
    runtime.start()
    try:
        for path in paths:
            runtime.open(path)
            assert runtime.session is not None
            await runtime.session.wait_ready(300)
        right_after = describe(kernel_processes(runtime.sidecar.pid))
        await asyncio.sleep(grace + 3 if grace else 10)
        later = describe(kernel_processes(runtime.sidecar.pid))
        print(
            f"kernels alive after leaving {n - 1} of {n} notebooks (grace {grace or 'off'}): "
            f"{right_after} right after the last open; {later} "
            f"{grace + 3 if grace else 10} s later"
        )
    finally:
        await runtime.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--notebooks", type=int, default=5)
    parser.add_argument("--grace", type=int, default=2)
    args = parser.parse_args()
    for mode in ("when up", "at spawn"):
        with tempfile.TemporaryDirectory() as folder:
            await kills(Path(folder), args.kills, mode)
    for grace in (args.grace, 0):
        with tempfile.TemporaryDirectory() as folder:
            await leave(Path(folder), args.notebooks, grace)


if __name__ == "__main__":
    asyncio.run(main())
