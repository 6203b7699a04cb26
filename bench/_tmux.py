"""Drive a full-screen app in a private, detached tmux server and watch its screen.

Used by the benchmarks next to it (`ttfp.py`, `follow.py`, `open_large.py`); not a test.

How it measures
---------------
* Every `Tmux` starts its own tmux server on a private socket (`tmux -L mtui-bench-<pid>-<rand>`,
  with its own config file, never `~/.tmux.conf`), so the user's tmux is never touched. The
  config sets `default-terminal xterm-256color` (tmux sets the pane's TERM from it; `-e
  TERM=...` would be overridden) and `remain-on-exit on` (a crashed app leaves its traceback on
  screen, which `wait_for` then reports); the status line is turned off once the server is up,
  so the pane is the whole 200x50 window (checked on the first spawn).
* The server is started, and a control-mode client attached to a holder session, *before* any
  clock starts, so server startup is never part of a figure.
* `spawn()` records `time.perf_counter()` just before it runs `tmux new-session -d -x W -y H
  ... -- ARGV` (argv form: tmux execs the command itself, no shell). That origin includes one
  tmux client invocation and the server's fork/exec of the pane (a few ms); the same cost sits in
  every figure, app and baseline alike. `ttfp.py` also prints this floor (a `sh -c 'echo'`).
* The screen is read with `capture-pane -p` sent over the control-mode connection
  (`tmux -C attach -f no-output,ignore-size`: no pane output is streamed to us, and the client
  never resizes the window). A round trip costs well under a millisecond, against a couple of
  milliseconds for a `tmux capture-pane` subprocess, and it spawns no process per poll, so
  polling steals little CPU from the app being measured. `capture_overhead()` measures both.
* `wait_for()` polls: capture, test, sleep `poll` seconds (default 2 ms), repeat. A hit is
  timed at the moment the successful capture returned, so a figure can be late by at most one
  poll interval plus one capture (reported by the scripts as the resolution).

The pane's environment is this process's without TMUX*, MARIMO_TUI_*, TEXTUAL*, COLORTERM,
COLUMNS and LINES (so neither the user's tmux, config overrides, Textual devtools nor a size
meant for another terminal leak in), plus what the
caller passes; the scripts pass `isolated_env()`: temporary HOME and XDG folders, and
MARIMO_TUI_AGENT_HOST=http://127.0.0.1:9 (nothing listens there).

Cleanup: leaving the `with` block (normally, on an exception or on Ctrl-C; SIGTERM is turned into
KeyboardInterrupt while a server is up, and an atexit hook is the last resort) kills the server,
waits for the processes it started to exit, SIGTERMs then SIGKILLs (by pid) any that do not,
and removes the socket file. `Tmux.pane()` does the same for one session.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import math
import os
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

WIDTH, HEIGHT = 200, 50
TERM = "xterm-256color"

_CONFIG = f"""\
set -g default-terminal {TERM}
set -g remain-on-exit on
set -g escape-time 0
set -g history-limit 2000
set -g exit-empty off
set -g focus-events off
"""

# Variables that would change how the app under test behaves or what it connects to.
_DROP_PREFIXES = ("TMUX", "MARIMO_TUI_", "TEXTUAL")


class TmuxError(RuntimeError):
    pass


class PaneDied(TmuxError):
    def __init__(self, message: str, screen: str) -> None:
        super().__init__(message)
        self.screen = screen


class WaitTimeout(TmuxError):
    def __init__(self, message: str, screen: str) -> None:
        super().__init__(message)
        self.screen = screen

    def __str__(self) -> str:
        # The screen it was waiting on is what a failing test's report needs most.
        return f"{super().__str__()}\n--- the screen then ---\n{self.screen.rstrip()}"


@dataclass(frozen=True, slots=True)
class Hit:
    """A `wait_for` that succeeded: when, how long after the origin, and the screen then."""

    at: float  # time.perf_counter() when the matching capture returned
    elapsed_ms: float  # at - origin
    polls: int
    screen: str


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without tmux, marimo-tui and Textual variables, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
    env["TERM"] = TERM
    env.pop("COLORTERM", None)
    # A size in the environment wins over the pane's own (shutil.get_terminal_size reads it
    # first): pytest-xdist's workers set COLUMNS=80 LINES=24, and the app drew at 80x24.
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    # An installed wheel ships bytecode; so must the checkout under test (see `precompile`).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if extra:
        env.update(extra)
    return env


def precompile() -> None:
    """Byte-compile marimo_tui as `pip install` does for a wheel: an editable checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module on every start."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("marimo_tui")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def isolated_env(home: Path) -> dict[str, str]:
    """HOME and the XDG folders under `home` (user config can't interfere); no reachable agent."""
    dirs = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    env = {k: str(v) for k, v in dirs.items()}
    # Port 9 (discard) on localhost: nothing listens, so an agent connection fails at once.
    env["MARIMO_TUI_AGENT_HOST"] = "http://127.0.0.1:9"
    return env


def run_main(main: Callable[[], int]) -> None:
    """Run a benchmark's main(); Ctrl-C exits 130 (`with Tmux()` has cleaned up already)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)


def add_cmd_option(parser: argparse.ArgumentParser) -> None:
    """`--cmd`: the app command to measure instead of this python's `-m marimo_tui`."""
    parser.add_argument(
        "--cmd",
        help="app command, the notebook path is appended (default: this python -m marimo_tui)",
    )


def add_edit_options(parser: argparse.ArgumentParser, first: str, open_timeout: float) -> None:
    """`--timeout` per edit, `--open-timeout` until the `first` thing shows, `--settle` after."""
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per edit (default 5)")
    parser.add_argument(
        "--open-timeout",
        type=float,
        default=open_timeout,
        help=f"seconds to {first} (default {open_timeout:g})",
    )
    parser.add_argument(
        "--settle", type=float, default=1.0, help=f"pause after the {first}, s (default 1)"
    )


def command_argv(cmd: str | None, default: Sequence[str]) -> list[str]:
    """`--cmd` split like a shell would; relative paths in it are made absolute (the pane's
    working folder is the temporary project, not the folder the script was started from)."""
    if not cmd:
        return list(default)
    argv = shlex.split(cmd)
    out = []
    for token in argv:
        if not token.startswith("-") and os.sep in token and os.path.exists(token):
            token = os.path.abspath(token)  # not resolve(): keep a venv's python symlink
        out.append(token)
    if os.sep not in out[0]:
        found = shutil.which(out[0])
        if found is None:
            raise SystemExit(f"--cmd: {out[0]!r} not found on PATH")
        out[0] = found
    return out


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of values; nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def editor_save(path: Path, data: bytes) -> None:
    """Save like an editor: a temp file next to the target, then an atomic rename over it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- processes ---------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(x) for x in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return kids


def descendants(pid: int) -> list[int]:
    """pid and every process below it, parents first."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        if _alive(p):
            out.append(p)
            todo.extend(_children(p))
    return out


def _is_python(pid: int) -> bool:
    try:
        exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return False
    return exe.startswith("python")


def python_pid(root: int) -> int | None:
    """The first python process at or below root (the pane's pid, or its child under a shell)."""
    return next((p for p in descendants(root) if _is_python(p)), None)


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) and friends of pid, in KiB, from /proc/<pid>/status."""
    out: dict[str, int] = {}
    with (
        contextlib.suppress(FileNotFoundError, ProcessLookupError),
        open(f"/proc/{pid}/status") as f,
    ):
        for line in f:
            key, _, rest = line.partition(":")
            if key.startswith("Vm") and rest.strip().endswith("kB"):
                out[key] = int(rest.split()[0])
    return out


def tree_rss_kib(pid: int) -> int:
    return sum(proc_memory(p).get("VmRSS", 0) for p in descendants(pid))


def _wait_gone(pids: Sequence[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    left = [p for p in pids if _alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.01)
        left = [p for p in left if _alive(p)]
    return left


def _reap(pids: Sequence[int], grace: float = 2.0) -> None:
    """Wait for pids (processes this module started) to exit; SIGTERM, then SIGKILL, by pid."""
    left = _wait_gone(pids, grace)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        left = _wait_gone(left, 1.0)
        if not left:
            return


# --- tmux --------------------------------------------------------------------------------------


def _quote(arg: str) -> str:
    """One argument for tmux's command parser (the control-mode connection speaks it)."""
    return "'" + arg.replace("'", "'\\''") + "'"


class _Control:
    """A control-mode client: one command at a time, its output block read back."""

    def __init__(self, argv: list[str], env: Mapping[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(env),
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in: IO[bytes] = self.proc.stdin
        self._out: IO[bytes] = self.proc.stdout
        self._read_block()  # the reply to the attach itself

    def _read_block(self) -> tuple[list[str], bool]:
        lines: list[str] = []
        inside = False
        while True:
            raw = self._out.readline()
            if not raw:
                raise TmuxError("tmux control connection closed")
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not inside:
                inside = line.startswith("%begin ")
                continue  # notifications (%sessions-changed, ...) arrive between blocks
            if line.startswith(("%end ", "%error ")):
                return lines, line.startswith("%end ")
            lines.append(line)

    def command(self, *args: str) -> list[str]:
        self._in.write((" ".join(_quote(a) for a in args) + "\n").encode())
        self._in.flush()
        lines, ok = self._read_block()
        if not ok:
            raise TmuxError(f"tmux {args[0]}: {' '.join(lines)}")
        return lines

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._in.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@dataclass(eq=False)
class Pane:
    tmux: Tmux
    session: str
    id: str  # "%3"
    pid: int  # the pane's process (the command itself: argv form, no shell)
    t0: float  # time.perf_counter() just before `tmux new-session`
    argv: list[str] = field(default_factory=list)

    def capture(self, history: bool = False) -> str:
        return self.tmux.capture(self.id, history)

    def send_keys(self, *keys: str) -> float:
        """Send tmux key names (`End`, `C-q`, `q`); returns perf_counter() just before."""
        t = time.perf_counter()
        self.tmux.control().command("send-keys", "-t", self.id, *keys)
        return t

    def dead(self) -> str | None:
        """None while the command runs, else its exit status (or signal) as text."""
        out = self.tmux.control().command(
            "display-message", "-p", "-t", self.id, "#{pane_dead} #{pane_dead_status}"
        )
        flag, _, status = (out[0] if out else "1 ?").partition(" ")
        return None if flag == "0" else (status or "?")

    def wait_for(
        self,
        what: str | Callable[[str], bool],
        timeout: float = 15.0,
        since: float | None = None,
        poll: float | None = None,
    ) -> Hit:
        """Poll the screen until it contains `what` (or `what(screen)` is true).

        Elapsed time is measured from `since` (default: the spawn origin `t0`). Raises PaneDied
        when the command exits first, WaitTimeout after `timeout` seconds; both carry the screen.
        """
        test = (lambda s: what in s) if isinstance(what, str) else what
        origin = self.t0 if since is None else since
        interval = self.tmux.poll if poll is None else poll
        deadline = time.perf_counter() + timeout
        polls = 0
        next_liveness = time.perf_counter() + 0.05
        while True:
            screen = self.capture()
            now = time.perf_counter()
            polls += 1
            if test(screen):
                return Hit(now, (now - origin) * 1000, polls, screen)
            if now >= next_liveness:
                status = self.dead()
                if status is not None:
                    # tmux scrolls a dead pane's last screen into its history
                    raise PaneDied(f"{self.argv[:4]} exited ({status})", self.last_words())
                next_liveness = now + 0.05
            if now > deadline:
                raise WaitTimeout(f"not on screen after {timeout:g} s: {what!r}", screen)
            if interval > 0:
                time.sleep(interval)

    def last_words(self) -> str:
        """The screen and history without runs of blank lines: what a dead command printed."""
        lines = self.capture(history=True).splitlines()
        kept = [ln for i, ln in enumerate(lines) if ln.strip() or (i and lines[i - 1].strip())]
        return "\n".join(kept)

    def kill(self) -> None:
        """End the session and wait until the command (and anything below it) has exited."""
        pids = descendants(self.pid)
        with contextlib.suppress(TmuxError):
            self.tmux.control().command("kill-session", "-t", self.session)
        _reap(pids)
        self.tmux.forget(self)


class Tmux:
    """A private tmux server; spawn panes in it. Use as a context manager."""

    def __init__(
        self,
        width: int = WIDTH,
        height: int = HEIGHT,
        env: Mapping[str, str] | None = None,
        poll: float = 0.002,
    ) -> None:
        if shutil.which("tmux") is None:
            raise TmuxError("tmux is not installed")
        self.width, self.height, self.poll = width, height, poll
        self.socket = f"mtui-bench-{os.getpid()}-{secrets.token_hex(3)}"
        self.env = clean_env(env)
        self._dir = Path(tempfile.mkdtemp(prefix="mtui-tmux-"))
        self._conf = self._dir / "tmux.conf"
        self._conf.write_text(_CONFIG)
        self._control: _Control | None = None
        self._panes: list[Pane] = []
        self._server_pid: int | None = None
        self._socket_path: str | None = None
        self._counter = 0
        self._closed = False
        self._old_sigterm: Any = None

    # lifecycle

    def __enter__(self) -> Tmux:
        atexit.register(self.close)
        if threading_is_main():
            self._old_sigterm = signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        # The holder session keeps the server up and gives the control client a session.
        size = ["-x", str(self.width), "-y", str(self.height)]
        self.run("new-session", "-d", "-s", "hold", *size, "--", "sleep", "2147483647")
        pid, self._socket_path = self.run("display-message", "-p", "#{pid} #{socket_path}").split()
        self._server_pid = int(pid)
        attach = ["-C", "attach-session", "-t", "hold", "-f", "no-output,ignore-size"]
        self._control = _Control([*self._base(), *attach], self.env)
        # Not in the config file: tmux 3.3a's server crashes creating the first session with
        # `status off` there, and with `window-size manual` at all. The control client ignores
        # size and nothing else attaches, so `-x`/`-y` hold; spawn() checks the first pane.
        self.control().command("set-option", "-g", "status", "off")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        pane_pids = [p for pane in self._panes for p in descendants(pane.pid)]
        if self._control is not None:
            self._control.close()
        with contextlib.suppress(Exception):
            subprocess.run(
                [*self._base(), "kill-server"], env=self.env, capture_output=True, timeout=5
            )
        if self._server_pid is not None:
            pane_pids.append(self._server_pid)
        _reap(pane_pids)
        if self._socket_path is not None:  # tmux leaves its socket file behind
            with contextlib.suppress(OSError):
                os.unlink(self._socket_path)
        shutil.rmtree(self._dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)
        if self._old_sigterm is not None and threading_is_main():
            signal.signal(signal.SIGTERM, self._old_sigterm)

    # commands

    def _base(self) -> list[str]:
        return ["tmux", "-L", self.socket, "-f", str(self._conf)]

    def run(self, *args: str) -> str:
        """One tmux command as a subprocess (argv passed as is, no tmux parsing)."""
        proc = subprocess.run(
            [*self._base(), *args], env=self.env, capture_output=True, text=True, timeout=10
        )
        if proc.returncode != 0:
            raise TmuxError(f"tmux {args[0]}: {proc.stderr.strip()}")
        return proc.stdout

    def control(self) -> _Control:
        if self._control is None:
            raise TmuxError("tmux server not started (use `with Tmux() as tmux:`)")
        return self._control

    def spawn(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> Pane:
        """Start argv in a new detached session of the configured size. The pane's environment
        is the server's (this process's, cleaned) plus `env`; TERM is xterm-256color."""
        self._counter += 1
        name = f"b{self._counter}"
        args = ["new-session", "-d", "-s", name, "-x", str(self.width), "-y", str(self.height)]
        args += ["-c", str(cwd or os.getcwd()), "-P", "-F", "#{pane_id} #{pane_pid}"]
        for key, value in (env or {}).items():
            args += ["-e", f"{key}={value}"]
        args += ["--", *argv]
        t0 = time.perf_counter()
        out = self.run(*args)
        pane_id, pid = out.split()
        pane = Pane(self, name, pane_id, int(pid), t0, list(argv))
        self._panes.append(pane)
        if self._counter == 1:
            fmt = "#{pane_width}x#{pane_height}"
            got = self.control().command("display-message", "-p", "-t", pane_id, fmt)
            if got != [f"{self.width}x{self.height}"]:
                raise TmuxError(f"pane is {got}, expected {self.width}x{self.height}")
        return pane

    @contextlib.contextmanager
    def pane(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> Iterator[Pane]:
        """spawn() that kills the session (and waits for the command to exit) afterwards."""
        p = self.spawn(argv, env, cwd)
        try:
            yield p
        finally:
            p.kill()

    def forget(self, pane: Pane) -> None:
        with contextlib.suppress(ValueError):
            self._panes.remove(pane)

    def capture(self, target: str, history: bool = False) -> str:
        """The visible screen; with history, the scrolled-off lines above it too."""
        extra = ["-S", "-", "-E", "-"] if history else []
        return "\n".join(self.control().command("capture-pane", "-p", *extra, "-t", target))

    def capture_overhead(self, target: str, n: int = 200) -> tuple[float, float]:
        """Median ms of one capture over the control connection, and as a tmux subprocess."""
        ctl, sub = [], []
        for _ in range(n):
            t = time.perf_counter()
            self.capture(target)
            ctl.append((time.perf_counter() - t) * 1000)
        for _ in range(max(10, n // 10)):
            t = time.perf_counter()
            self.run("capture-pane", "-p", "-t", target)
            sub.append((time.perf_counter() - t) * 1000)
        return median(ctl), median(sub)


def threading_is_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _sigterm_to_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def report_failure(exc: TmuxError) -> None:
    """Print a wait failure with the screen it left (e.g. the app's traceback)."""
    print(f"\nerror: {exc}", file=sys.stderr)
    screen = getattr(exc, "screen", "")
    if screen.strip():
        print("---- screen ----", file=sys.stderr)
        print(screen.rstrip(), file=sys.stderr)
        print("----------------", file=sys.stderr)
