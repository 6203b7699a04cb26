"""Shared set-up for tests against the real marimo sidecar: a notebook, processes by group."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from tests.tui_support import render

# x feeds `double`; `other` reads nothing, so a change to x must not rerun it.
CELLS = [
    ("base", "x = 1"),
    ("double", 'y = x * 2\nprint("y is", y)\ny'),
    ("other", "z = 100\nz"),
]


def make_notebook(root: Path, cells: list[tuple[str, str]] | None = None) -> Path:
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    (root / "marimo-tui.yaml").write_text("notebooks:\n  folder: notebooks\n")
    path = root / "notebooks" / "runs.py"
    path.write_text(render(cells or CELLS))
    return path


def group_members(pgid: int) -> list[int]:
    """Live processes in process group `pgid` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp …: comm may hold spaces, so split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def wait_group_gone(pgid: int, timeout: float = 30.0) -> list[int]:
    """The group's live processes once none is left, or when `timeout` (a hang) runs out."""
    deadline = time.monotonic() + timeout
    while (members := group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return members


def kill_group(pgid: int) -> None:
    import signal

    for pid in group_members(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def notebooks_to_leave(root: Path, n: int, grace: int) -> list[Path]:
    """A project of `n` notebooks whose kernels shut down `grace` seconds after they are left."""
    first = make_notebook(root)
    (root / "marimo-tui.yaml").write_text(
        f"notebooks:\n  folder: notebooks\nmarimo:\n  idle_kernel_timeout: {grace}\n"
    )
    paths = [first]
    for i in range(1, n):
        path = root / "notebooks" / f"n{i}.py"
        path.write_text(first.read_text().replace("x = 1", f"x = {i + 1}"))
        paths.append(path)
    return paths
