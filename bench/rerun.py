#!/usr/bin/env python3
"""Rerun latency: a change written to disk until its new output shows in the cell view, against
a plain websocket client of the same marimo server (marimo alone).

    .venv/bin/python bench/rerun.py [--edits N] [--poll] [--cmd "COMMAND"]

Opens a small generated notebook in the app (`python -m marimo_tui NOTEBOOK`) in tmux at
200x50, with the marimo server on a fixed port and token (config `marimo.port`, and a variable
named by `marimo.token_env`). One cell holds `value = N`; a cell below it ends with
`f"out-{value:04d}"`, so the marker `out-000N` exists only in that cell's output, never in the
file or the code the view shows. Once the view shows the first output, the script connects its
own websocket client to the same server and notebook, as a second viewer (`&kiosk=true`; marimo
gives each notebook one main client, the app, and broadcasts every kernel message to all of
them): that client is "marimo alone".

Then it rewrites the file N times the way an editor or an agent saves (a temp file in the same
folder, then `os.replace`) with a new value, and takes from just before each write:
  marimo   until the plain client receives the `cell-op` whose output holds the new marker;
  visible  until the app's screen (tmux capture-pane, polled every 2 ms) shows it.
It waits for both, then pauses 200-400 ms (seeded jitter) before the next edit; with --poll
200-1200 ms, so that each write lands at a random phase of marimo's 1 s poll (a fixed rhythm
would lock onto it and skew the figures).

marimo's server notices a change on disk with watchdog (inotify) when it can import it, else it
polls the file's mtime every second. `--poll` hides watchdog from the app's processes (a
`sitecustomize` on PYTHONPATH puts None in `sys.modules["watchdog"]`, so marimo's dependency
check finds no watchdog) to measure that case; the app itself watches with watchfiles.

Targets (watchdog): the workbench adds <= 30 ms at p50 (median of visible - marimo per edit),
and p50 write -> visible <= 400 ms. With --poll the figures are reported against the same
targets; marimo's 1 s poll dominates them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
import secrets
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from _tmux import (
    HEIGHT,
    WIDTH,
    Pane,
    Tmux,
    TmuxError,
    WaitTimeout,
    add_cmd_option,
    add_edit_options,
    command_argv,
    descendants,
    editor_save,
    isolated_env,
    median,
    percentile,
    precompile,
    report_failure,
    run_main,
    verdict,
)

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

TARGET_ADDED_P50_MS = 30.0
TARGET_VISIBLE_P50_MS = 400.0
# Named in the project's config (`marimo.token_env`). Not the default MARIMO_TUI_SIDECAR_TOKEN:
# the config reads every MARIMO_TUI_<SECTION>_<KEY> variable as an override, and `marimo.token`
# is no key, so the app refuses to start with the default variable set.
TOKEN_ENV = "RERUN_BENCH_MARIMO_TOKEN"
MARKER_RE = re.compile(r"out-(\d{4,})")
SIDECAR_MODULE = b"marimo_tui.runtime.sidecar_main"


def marker(n: int) -> str:
    return f"out-{n:04d}"


def notebook_text(value: int) -> str:
    """The notebook with `value = <value>`; written by marimo's codegen, as the app would."""
    from marimo_tui.notebook import marimo_render
    from marimo_tui.notebook.model import Cell

    codes = [
        "import math",
        f"value = {value}",
        'label = f"out-{value:04d}"\nlabel',
        "doubled = value * 2\nroot = math.sqrt(doubled)",
    ]
    cells = [Cell(id=f"r{i}", code=c) for i, c in enumerate(codes)]
    return marimo_render.render("", {"width": "medium"}, cells)


def hide_watchdog(folder: Path) -> Path:
    """A PYTHONPATH folder whose sitecustomize makes `watchdog` unimportable (and makes
    `importlib.util.find_spec("watchdog")`, marimo's check, return None)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import sys\nsys.modules['watchdog'] = None  # rerun.py --poll: marimo polls the disk\n"
    )
    return folder


# --- marimo alone: a plain websocket client ----------------------------------------------------


class PlainClient:
    """A kiosk websocket client of the sidecar, in a thread: when did each marker arrive?"""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.seen: dict[int, float] = {}  # marker number -> perf_counter() at receipt
        self.ops: dict[str, int] = {}
        self.error: str | None = None
        self._cond = threading.Condition()
        self._ws: ClientConnection | None = None
        self._thread = threading.Thread(target=self._run, name="plain-client", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        from websockets.sync.client import connect

        self._ws = connect(
            self.url,
            additional_headers={"Authorization": f"Bearer {self.token}"},
            max_size=None,
            open_timeout=timeout,
        )
        self._thread.start()

    def _run(self) -> None:
        assert self._ws is not None
        try:
            for raw in self._ws:
                now = time.perf_counter()
                message = json.loads(raw)
                op = str(message.get("op"))
                found: list[int] = []
                if op == "cell-op":
                    output = (message.get("data") or {}).get("output")
                    if isinstance(output, dict):
                        text = json.dumps(output.get("data"))
                        found = [int(m) for m in MARKER_RE.findall(text)]
                with self._cond:
                    self.ops[op] = self.ops.get(op, 0) + 1
                    for n in found:
                        self.seen.setdefault(n, now)
                    self._cond.notify_all()
        except Exception as exc:  # reported by wait()
            with self._cond:
                self.error = f"{type(exc).__name__}: {exc}"
                self._cond.notify_all()
        else:
            with self._cond:
                code = getattr(self._ws, "close_code", None)
                reason = getattr(self._ws, "close_reason", "")
                self.error = f"the plain client's connection closed ({code} {reason})".strip()
                self._cond.notify_all()

    def wait(self, n: int, timeout: float) -> float | None:
        """perf_counter() when marker n arrived, or None after timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while n not in self.seen:
                left = deadline - time.monotonic()
                if left <= 0 or self.error is not None:
                    return None
                self._cond.wait(left)
            return self.seen[n]

    def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                self._ws.close()
        self._thread.join(timeout=3)


# --- the sidecar's processes -------------------------------------------------------------------


def sidecar_pid(pane: Pane) -> int | None:
    for pid in descendants(pane.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if SIDECAR_MODULE in cmdline:
            return pid
    return None


def inotify_fds(pids: list[int]) -> int:
    """How many inotify instances these processes hold (watchdog on Linux opens one)."""
    count = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify":
                        count += 1
    return count


def alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            out.append(pid)
    return out


def quit_app(pane: Pane, server: list[int], timeout: float = 15.0) -> str:
    """ctrl+q, then wait for the app to exit and its marimo server (and kernels) to go."""
    pane.send_keys("C-q")
    with contextlib.suppress(TmuxError):
        pane.wait_for(lambda _s: pane.dead() is not None, timeout=timeout, poll=0.05)
    deadline = time.monotonic() + timeout
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = alive(server)
    if not left:
        return "app quit (ctrl+q); its marimo server and kernels are gone"
    for pid in left:  # processes this run started, by pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return f"WARNING: {len(left)} marimo process(es) outlived the app; killed {left}"


# --- figures -----------------------------------------------------------------------------------


def fmt(value: float) -> str:
    return "miss" if math.isinf(value) or math.isnan(value) else f"{value:.1f}"


def stats_row(name: str, values: list[float]) -> str:
    if not values:
        return f"  {name:<22} (none)"
    return (
        f"  {name:<22} p50 {fmt(median(values)):>7}   p95 {fmt(percentile(values, 95)):>7}"
        f"   max {fmt(max(values)):>7}   min {fmt(min(values)):>7}  ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--edits", type=int, default=30, help="timed edits (default 30)")
    parser.add_argument(
        "--poll", action="store_true", help="hide watchdog: marimo polls the file every second"
    )
    add_cmd_option(parser)
    add_edit_options(parser, "first output", 60.0)
    parser.add_argument(
        "--sleep",
        type=float,
        nargs=2,
        default=None,
        metavar=("MIN", "MAX"),
        help="pause between edits, s, uniform in [MIN, MAX] (default 0.2 0.4; with --poll"
        " 0.2 1.2, a whole poll period, so writes do not lock onto marimo's poll phase)",
    )
    parser.add_argument("--seed", type=int, default=1, help="jitter (default 1)")
    parser.add_argument(
        "--screen-poll", type=float, default=0.002, help="screen poll interval, s (default 0.002)"
    )
    args = parser.parse_args()
    if args.sleep is None:
        args.sleep = (0.2, 1.2) if args.poll else (0.2, 0.4)
    precompile()

    rng = random.Random(args.seed)
    app = command_argv(args.cmd, [sys.executable, "-m", "marimo_tui"])
    marimo_ms: list[float] = []
    visible_ms: list[float] = []
    added_ms: list[float] = []
    misses = 0
    mode = "polling (watchdog hidden)" if args.poll else "watchdog"

    with tempfile.TemporaryDirectory(prefix="mtui-rerun-") as tmp:
        root = Path(tmp).resolve()
        project = root / "project"
        (project / "notebooks").mkdir(parents=True)
        from marimo_tui.processes import free_port

        port = free_port("127.0.0.1")
        (project / "marimo-tui.yaml").write_text(
            "# rerun benchmark project\nnotebooks:\n  folder: notebooks\n"
            f"marimo:\n  port: {port}\n  token_env: {TOKEN_ENV}\n"
        )
        path = project / "notebooks" / "rerun_notebook.py"
        path.write_text(notebook_text(0))
        token = secrets.token_urlsafe(24)
        env = isolated_env(root / "home")
        env[TOKEN_ENV] = token
        if args.poll:
            hidden = hide_watchdog(root / "no-watchdog")
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(hidden), os.environ.get("PYTHONPATH", "")) if p
            )
        argv = [*app, str(path)]
        print(f"rerun: tmux {WIDTH}x{HEIGHT}, {args.edits} edits, marimo file watch: {mode}")
        print(f"  app  {' '.join(argv)}")
        print(f"  marimo server on 127.0.0.1:{port}, fixed token from {TOKEN_ENV}")
        client: PlainClient | None = None
        try:
            with Tmux(poll=args.screen_poll) as tmux, tmux.pane(argv, env, project) as pane:
                shown = pane.wait_for(marker(0), args.open_timeout)
                print(f"  first output ({marker(0)}) shown after {shown.elapsed_ms:.0f} ms")
                server = sidecar_pid(pane)
                if server is None:
                    print("error: no marimo server under the app", file=sys.stderr)
                    return 1
                url = (
                    f"ws://127.0.0.1:{port}/ws?session_id=bench-{uuid.uuid4().hex[:12]}"
                    f"&file={quote(str(path))}&kiosk=true"
                )
                client = PlainClient(url, token)
                client.start()
                if client.wait(0, 10) is None:
                    print(
                        f"error: the plain client got no output ({client.error or 'timeout'};"
                        f" ops {client.ops})",
                        file=sys.stderr,
                    )
                    return 1
                ops = ", ".join(f"{k} {v}" for k, v in sorted(client.ops.items()))
                print(f"  plain client (kiosk) connected; replay had {marker(0)} ({ops})")
                time.sleep(args.settle)
                server_pids = descendants(server)
                watchers = inotify_fds(server_pids)
                print(
                    f"  marimo server pid {server} (+{len(server_pids) - 1} kernel/helper"
                    f" processes), inotify instances: {watchers}"
                    f" ({'watchdog' if watchers else 'none: polling'})"
                )
                ctl, _ = tmux.capture_overhead(pane.id, n=100)
                print(
                    f"  capture-pane round trip {ctl:.2f} ms over the control connection,"
                    f" polled every {args.screen_poll * 1000:g} ms: visible is late by at"
                    f" most ~{ctl + args.screen_poll * 1000:.1f} ms"
                )
                print(f"    {'edit':>4} {'marimo':>8} {'visible':>8} {'added':>7}  ms")
                for n in range(1, args.edits + 1):
                    data = notebook_text(n).encode()  # outside the clock
                    t0 = time.perf_counter()
                    editor_save(path, data)
                    try:
                        t_vis = pane.wait_for(marker(n), args.timeout, since=t0).at
                    except WaitTimeout:
                        t_vis = math.inf
                    t_mar = client.wait(n, max(0.5, args.timeout - (time.perf_counter() - t0)))
                    vis = (t_vis - t0) * 1000
                    mar = math.inf if t_mar is None else (t_mar - t0) * 1000
                    visible_ms.append(vis)
                    marimo_ms.append(mar)
                    if math.isinf(vis) or math.isinf(mar):
                        misses += 1
                        print(f"    {n:>4} {fmt(mar):>8} {fmt(vis):>8} {'-':>7}", flush=True)
                        if client.error:
                            print(f"  plain client: {client.error}", file=sys.stderr)
                            return 1
                    else:
                        added_ms.append(vis - mar)
                        print(f"    {n:>4} {mar:>8.1f} {vis:>8.1f} {vis - mar:>7.1f}", flush=True)
                    time.sleep(rng.uniform(*args.sleep))
                client.close()
                client = None
                print(f"  {quit_app(pane, server_pids)}")
        except TmuxError as exc:
            report_failure(exc)
            return 1
        finally:
            if client is not None:
                client.close()

    print()
    print(f"  edits {len(visible_ms)}, misses (> {args.timeout:g} s) {misses}; marimo: {mode}")
    print(stats_row("write -> marimo alone", marimo_ms))
    print(stats_row("write -> visible", visible_ms))
    print(stats_row("visible - marimo", added_ms))
    print()
    added50 = median(added_ms)
    vis50 = median(visible_ms)
    ok_added = not math.isnan(added50) and added50 <= TARGET_ADDED_P50_MS
    ok_vis = vis50 <= TARGET_VISIBLE_P50_MS and misses == 0
    print(
        f"  target workbench adds <= {TARGET_ADDED_P50_MS:.0f} ms at p50"
        f"   {fmt(added50):>7} ms  {verdict(ok_added)}"
    )
    print(
        f"  target p50 write -> visible <= {TARGET_VISIBLE_P50_MS:.0f} ms"
        f"   {fmt(vis50):>7} ms  {verdict(ok_vis)}"
    )
    return 0


if __name__ == "__main__":
    run_main(main)
