#!/usr/bin/env python3
"""The full test suite on a quiet machine, then beside a CPU hog: wall times and outcomes.

    .venv/bin/python bench/suite_load.py [--only quiet|loaded] [-k EXPR] [--hogs N] [--logs DIR]

Runs pytest the way `python3 dev.py test` does (the checkout's .venv, PYTHONDONTWRITEBYTECODE,
the cached llama-server in $MARIMO_TUI_LLAMA_SERVER), once alone and once with N busy-loop
processes beside it (default: one per core), which the script starts and kills. Each run's
output goes to a log (DIR/quiet.log, DIR/loaded.log; a temp folder by default); the table at the
end gives the wall time and pytest's counts of each run, then the tests that failed.

A timing-robust suite passes both runs; the loaded one only takes longer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import dev  # noqa: E402  (the checkout's dev.py: the suite's command and environment)

COUNTED = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
# pytest's last line: "==== 2 failed, 510 passed, 3 skipped in 612.34s (0:10:12) ===="
SUMMARY = re.compile(r"^=+ (.*\d+ (?:passed|failed|errors?|skipped|deselected).*) in [\d.]+s")


@dataclass
class Outcome:
    mode: str
    seconds: float
    returncode: int
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    log: Path | None = None


def pytest_command(k: str | None) -> tuple[list[str], dict[str, str]]:
    """`dev.py test`'s pytest command and environment (without its install steps)."""
    python = dev.PY if dev.PY.exists() else Path(sys.executable)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if dev.LLAMA_SERVER_ENV not in env:
        llama_server = dev.ensure_llama_server()
        if llama_server is not None:
            env[dev.LLAMA_SERVER_ENV] = str(llama_server)
    argv = [str(python), "-m", "pytest", *dev.parallel([])]
    if k:
        argv += ["-k", k]
    return argv, env


@contextlib.contextmanager
def cpu_hog(processes: int) -> Iterator[None]:
    """`processes` busy loops at normal priority, killed on the way out."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
        for _ in range(processes)
    ]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def parse(output: str) -> tuple[dict[str, int], list[str]]:
    counts: dict[str, int] = {}
    for line in output.splitlines():
        if match := SUMMARY.match(line.strip()):
            for part in match.group(1).split(", "):
                number, _, word = part.partition(" ")
                word = "error" if word.startswith("error") else word
                if number.isdigit():
                    counts[word] = int(number)
    failures = [
        line.split(" - ")[0].split(" ", 1)[1]
        for line in output.splitlines()
        if line.startswith(("FAILED ", "ERROR "))
    ]
    return counts, failures


def run_suite(mode: str, argv: list[str], env: dict[str, str], logs: Path) -> Outcome:
    log = logs / f"{mode}.log"
    print(f"{mode}: {shlex.join(argv[2:])} > {log}", flush=True)
    started = time.monotonic()
    with open(log, "w+") as out:
        proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        out.seek(0)
        output = out.read()
    outcome = Outcome(mode, time.monotonic() - started, proc.returncode, log=log)
    outcome.counts, outcome.failures = parse(output)
    return outcome


def table(outcomes: list[Outcome]) -> str:
    header = ["run", "wall", *COUNTED, "exit"]
    rows = [header] + [
        [
            o.mode,
            f"{o.seconds / 60:.1f} min",
            *(str(o.counts.get(c, 0)) for c in COUNTED),
            str(o.returncode),
        ]
        for o in outcomes
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    for o in outcomes:
        lines += [f"{o.mode} failed: {name}" for name in o.failures]
    return "\n".join(lines)


def main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("quiet", "loaded"), help="run just this one")
    parser.add_argument("-k", help="passed to pytest's -k")
    parser.add_argument(
        "--hogs", type=int, default=os.cpu_count() or 2, help="busy loops beside the loaded run"
    )
    parser.add_argument("--logs", type=Path, help="folder for quiet.log and loaded.log")
    opts = parser.parse_args(args)
    # As from a terminal: started in the background by a non-interactive shell, this script
    # would ignore SIGINT, and so would the suite (its Ctrl-C tests would hang).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logs = opts.logs or Path(tempfile.mkdtemp(prefix="suite-load-"))
    logs.mkdir(parents=True, exist_ok=True)
    argv, env = pytest_command(opts.k)
    outcomes: list[Outcome] = []
    if opts.only != "loaded":
        outcomes.append(run_suite("quiet", argv, env, logs))
    if opts.only != "quiet":
        with cpu_hog(opts.hogs):
            outcomes.append(run_suite("loaded", argv, env, logs))
    if opts.only != "quiet":
        print(f"loaded: beside {opts.hogs} busy loops on {os.cpu_count()} cores")
    print(f"logs in {logs}")
    print(table(outcomes))
    return max(o.returncode for o in outcomes)


if __name__ == "__main__":
    sys.exit(main())
