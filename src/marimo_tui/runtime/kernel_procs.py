"""The marimo server's kernels as processes, read from /proc: how many, how much memory.

marimo (0.25, edit mode) runs each session's kernel as a `multiprocessing` spawn child of the
server, in a process group of its own; the server's other child is multiprocessing's resource
tracker. So a kernel is a child of the server whose command line is `spawn_main`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_KERNEL_MARK = b"multiprocessing.spawn"


@dataclass(frozen=True)
class KernelProcess:
    pid: int
    rss: int  # bytes resident


def _children(pid: int) -> list[int]:
    """Direct children of `pid` (from each thread's `children` list, else by scanning)."""
    found: set[int] = set()
    tasks = PROC / str(pid) / "task"
    with contextlib.suppress(OSError):
        for task in tasks.iterdir():
            with contextlib.suppress(OSError):
                found.update(int(c) for c in (task / "children").read_text().split())
    if found:
        return sorted(found)
    for entry in PROC.iterdir():  # kernels without CONFIG_PROC_CHILDREN
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.add(int(entry.name))
    return sorted(found)


def rss_of(pid: int) -> int:
    """Resident memory of `pid` in bytes (0 when it is gone)."""
    with contextlib.suppress(OSError, ValueError):
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def kernel_processes(server_pid: int | None) -> list[KernelProcess]:
    """The live kernels under the marimo server `server_pid`."""
    if server_pid is None:
        return []
    out = []
    for pid in _children(server_pid):
        try:
            cmdline = (PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            continue
        if _KERNEL_MARK in cmdline:
            out.append(KernelProcess(pid, rss_of(pid)))
    return out


def describe(kernels: list[KernelProcess]) -> str:
    """`2 live · 118 MB` for the tasks pane."""
    if not kernels:
        return "none live"
    total = sum(k.rss for k in kernels) / 2**20
    return f"{len(kernels)} live · {total:.0f} MB"
