"""marimo's parse in a worker process: the same answers as in-process, errors as NotebookError,
a dead or stuck worker replaced, the parse done here meanwhile, no process left after stop;
the workbench's analysis of a change on disk goes through it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from marimo_tui.config import load_config
from marimo_tui.notebook import parse_worker
from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.parse_worker import ParseWorker
from marimo_tui.notebook.reader import parse_notebook, parse_source
from marimo_tui.workbench import Workbench

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from notebook_core import generate


def ready(worker: ParseWorker, data: bytes, path: Path) -> None:
    """Parse until the worker answers (its first parses run here while it imports marimo)."""
    deadline = time.monotonic() + 60
    while not worker._ready:
        assert time.monotonic() < deadline, "the worker never got ready"
        worker.parse(data, path)
        time.sleep(0.05)


def test_the_worker_answers_as_marimo_does_here(tmp_path: Path) -> None:
    path = tmp_path / "nb.py"
    data = generate(40).encode()
    worker = ParseWorker(dict(os.environ))
    try:
        ready(worker, data, path)
        assert worker.parse(data, path) == parse_source(data, path)
        known = {c.code for c in parse_source(data, path).parsed.cells[:30]}
        partial = worker.parse(data, path, known)
        assert set(partial.analyses) == {
            c.code for c in partial.parsed.cells if c.code not in known
        }
        # a whole read through it: the same notebook, ids carried over the same way
        first = parse_notebook(data, path, None, worker.parse)
        edited = data.replace(b"range(99)", b"range(98)", 1)
        assert parse_notebook(edited, path, first, worker.parse) == parse_notebook(
            edited, path, first
        )
        for bad in (b"x = (", b"print('no app')\n", b"\x00binary"):
            with pytest.raises(NotebookError) as here:
                parse_source(bad, path)
            with pytest.raises(NotebookError) as there:
                worker.parse(bad, path)
            assert (there.value.reason, there.value.line) == (here.value.reason, here.value.line)
        assert worker.starts == 1
    finally:
        worker.stop()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[ParseWorker, bytes, Path]]:
    """A worker that has answered once, over a 10-cell notebook; stopped afterwards."""
    path = tmp_path / "nb.py"
    data = generate(10).encode()
    worker = ParseWorker(dict(os.environ))
    try:
        ready(worker, data, path)
        assert worker._process is not None
        yield worker, data, path
    finally:
        worker.stop()


def test_a_dead_worker_is_replaced_and_the_parse_runs_here_meanwhile(
    running: tuple[ParseWorker, bytes, Path],
) -> None:
    worker, data, path = running
    process = worker._process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert worker.parse(data, path) == parse_source(data, path)  # answered here
    ready(worker, data, path)
    assert worker.starts == 2 and worker._process is not process
    worker.stop()
    assert worker._process is None


def test_a_silent_worker_is_dropped(
    running: tuple[ParseWorker, bytes, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    worker, data, path = running
    process = worker._process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)
    monkeypatch.setattr(parse_worker, "ANSWER_TIMEOUT", 0.5)
    assert worker.parse(data, path) == parse_source(data, path)
    assert worker._process is None and process.wait(5) is not None


def test_the_workbench_analyses_changes_in_the_worker(tmp_path: Path) -> None:
    (tmp_path / "marimo-tui.yaml").write_text("marimo:\n  enabled: false\n")
    path = tmp_path / "nb.py"
    path.write_text(generate(20))

    async def scenario() -> None:
        workbench = Workbench(load_config(start=tmp_path, environ={}))
        workbench.open(path)
        await workbench.start(watch=True, run=False)
        worker = workbench._parser
        assert worker is not None and workbench.store.parse == worker.parse
        process = worker._process
        assert process is not None
        asked = 0
        ask = worker._ask

        def counting(*args: object) -> object:
            nonlocal asked
            answer = ask(*args)  # type: ignore[arg-type]
            asked += answer is not None
            return answer

        worker._ask = counting  # type: ignore[method-assign,assignment]
        for n in range(200):
            path.write_text(generate(20).replace("range(99)", f"range({n + 1})", 1))
            await asyncio.sleep(0.1)
            if asked:
                break
        assert asked, "no analysis was answered by the worker"
        assert (
            workbench.shown[path]
            .cells[1]
            .code.endswith(f"for k in range({n + 1})]\nm_1 = max(data_1)")
        )
        await workbench.stop()
        assert process.wait(5) is not None

    asyncio.run(scenario())
