"""The open notebook's own watch (`ProjectWatcher.follow`): its saves come at once, without
waiting for the project's tree to be quiet, and only its saves (renames and deletions are the
project's watch's, which sees both names of a rename in one batch)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from marimo_tui.watch import FileChange, ProjectWatcher
from tests.conftest import HANG


async def next_changes(watcher: ProjectWatcher) -> list[FileChange]:
    return await asyncio.wait_for(watcher.next_changes(), HANG)


async def nothing_comes(watcher: ProjectWatcher, seconds: float = 0.5) -> None:
    await asyncio.sleep(seconds)
    assert watcher.queue.empty(), watcher.queue.get_nowait()


async def test_the_open_notebook_s_saves_come_while_the_tree_never_rests(tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    (tmp_path / "__marimo__" / "session").mkdir(parents=True)
    notebooks.mkdir()
    path = notebooks / "a.py"
    path.write_text("x = 1\n")
    noise = tmp_path / "__marimo__" / "session" / "a.py.json"
    stop = threading.Event()

    def churn() -> None:  # as marimo's session cache and our logs do while kernels run
        n = 0
        while not stop.wait(0.002):
            n += 1
            noise.write_text(str(n))

    watcher = ProjectWatcher(tmp_path)  # its recursive watch would wait for a quiet step
    churner = threading.Thread(target=churn, daemon=True)
    churner.start()
    try:
        watcher.follow(path)
        await asyncio.sleep(0.3)  # the follower's watch is set up in its thread
        path.write_text("x = 2\n")
        assert await next_changes(watcher) == [FileChange(path, "modified")]
    finally:
        stop.set()
        churner.join()
        watcher.stop()


async def test_the_follower_tells_saves_only_and_moves_with_the_open_notebook(
    tmp_path: Path,
) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, second = tmp_path / "one" / "a.py", tmp_path / "two" / "b.py"
    first.write_text("x = 1\n")
    second.write_text("y = 1\n")
    watcher = ProjectWatcher(tmp_path)  # the project's own watch does not run here
    try:
        watcher.follow(first)
        await asyncio.sleep(0.3)
        first.write_text("x = 2\n")
        assert await next_changes(watcher) == [FileChange(first, "modified")]
        (tmp_path / "one" / "other.py").write_text("z = 1\n")  # not the open notebook
        first.rename(tmp_path / "one" / "renamed.py")  # not a save
        await nothing_comes(watcher)
        watcher.follow(second)
        await asyncio.sleep(0.3)
        (tmp_path / "one" / "renamed.py").write_text("x = 3\n")
        second.write_text("y = 2\n")
        assert await next_changes(watcher) == [FileChange(second, "modified")]
        await nothing_comes(watcher)
    finally:
        watcher.stop()
