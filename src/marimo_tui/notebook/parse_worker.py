"""marimo's parse of a notebook in a process of its own, for the workbench.

marimo's parser is pure Python: a 200-cell file takes ~100 ms of the interpreter, and in the
workbench's process those come out of the UI thread's time too (one GIL), just when the cell
view draws the change and the rerun's outputs. So the workbench parses in a worker process,
started once and niced; its own threads only unpickle the answer (~1 ms). Whenever the worker
cannot answer (still starting, dead, silent too long), the parse runs in-process as before:
nothing ever waits on the worker's health.

    python -m marimo_tui.notebook.parse_worker PARENT_PID NICE

Frames on stdin/stdout: an 8-byte big-endian length, then a pickle (both ends are this module,
over the pipes of a child we started).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import subprocess
import sys
import threading
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import IO, Any

from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.reader import ParsedSource, parse_source

READY = "ready"
ANSWER_TIMEOUT = 10.0  # s: a parse this slow is a stuck worker; it is replaced
MAX_STARTS = 3  # a worker that keeps dying is given up; parsing stays in-process
WARM_UP = (
    b"import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    x = 1\n    return (x,)\n"
)


def _write(stream: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError
    data = stream.read(int.from_bytes(head, "big"))
    return pickle.loads(data)


class ParseWorker:
    """`parse` (a `reader.Parser`) answered by the worker process when it can, else here."""

    def __init__(self, env: Mapping[str, str], nice: int = 5) -> None:
        self.env = dict(env)
        self.nice = nice
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._stopped = False
        self._lock = threading.Lock()  # one request on the pipes at a time

    def start(self) -> None:
        if self._process is not None or self.starts >= MAX_STARTS or self._stopped:
            return
        self.starts += 1
        self._ready = False
        argv = [sys.executable, "-m", __name__, str(os.getpid()), str(self.nice)]
        try:
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self.env,
            )
        except OSError:
            self._process = None

    def stop(self) -> None:
        """For good (not under the lock: a parse under way gets EOF and runs here)."""
        self._stopped = True
        self._drop()

    def _drop(self) -> None:
        process, self._process = self._process, None
        self._ready = False
        if process is None:
            return
        with contextlib.suppress(OSError):
            assert process.stdin is not None
            process.stdin.close()  # the worker's read ends: it exits
        try:
            process.wait(1.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def parse(self, data: bytes, path: Path, known: Collection[str] = ()) -> ParsedSource:
        with self._lock:
            answer = self._ask(data, path, known)
        if answer is None:
            return parse_source(data, path, known)
        if answer[0] == "error":
            raise NotebookError(path, answer[1], answer[2])
        if answer[0] != "ok":  # the worker's parse failed unexpectedly: this one tells how
            return parse_source(data, path, known)
        parsed: ParsedSource = answer[1]
        return parsed

    def _ask(self, data: bytes, path: Path, known: Collection[str]) -> tuple[Any, ...] | None:
        """The worker's answer, or None when it cannot give one now."""
        if self._process is None:
            self.start()  # (a dead one is replaced, up to MAX_STARTS)
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            return None
        try:
            if not self._ready:
                # Not ready yet (importing marimo): this parse runs here; the next asks.
                if not select.select([process.stdout], [], [], 0)[0]:
                    return None
                if _read(process.stdout) != READY:
                    raise EOFError
                self._ready = True
            _write(process.stdin, (data, str(path), frozenset(known)))
            if not select.select([process.stdout], [], [], ANSWER_TIMEOUT)[0]:
                raise TimeoutError
            answer: tuple[Any, ...] = _read(process.stdout)
            return answer
        except (OSError, EOFError, TimeoutError, pickle.UnpicklingError, ValueError):
            self._drop()
            return None


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    # Ready once marimo's parser and compiler are imported (most of the start): one small
    # notebook through the same path, so marimo stays behind `marimo_adapter`.
    parse_source(WARM_UP, Path("warm_up.py"))
    _write(stdout, READY)
    while True:
        try:
            data, path, known = _read(stdin)
        except EOFError:
            return
        try:
            _write(stdout, ("ok", parse_source(data, Path(path), known)))
        except NotebookError as exc:
            _write(stdout, ("error", exc.reason, exc.line))
        except Exception as exc:
            _write(stdout, ("failed", repr(exc)))


def main(argv: list[str]) -> None:
    from marimo_tui.processes import die_with_parent

    die_with_parent(int(argv[0]))
    with contextlib.suppress(OSError):
        os.nice(int(argv[1]))
    # The protocol has stdout to itself: anything printed goes where stderr goes.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main(sys.argv[1:])
