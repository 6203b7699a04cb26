"""File watching: watchfiles over the project, as batches of changed notebook paths.

Besides the project's recursive watch, the open notebook's own folder is watched alone (not
recursively): a batch of the project's watch is only handed over after a quiet step, and the
tree is never quiet while work goes on — our logs grow under `.marimo-tui/`, and a marimo the
user runs beside us rewrites its session cache under `__marimo__/` — so the open notebook's
changes would wait on those. Its
folder's watch sees them at once; the project's watch sees them again a little later, which
costs a read and a hash (`Workbench.reload` skips content it has shown).

Batches go into an unbounded queue, so a change that arrives while the workbench is busy waits
its turn instead of being dropped. The consumer reads each path's state on disk when it gets to
it, so coalescing several batches loses nothing: the file's latest content is what counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from marimo_tui.notebook.atomic import TMP_SUFFIX
from marimo_tui.notebook.file_kind import special_kind

# What watchfiles said happened is not kept: by the time a change is handled the file may have
# changed again, so the kind is what the disk says then.
ChangeKind = Literal["modified", "deleted"]

# watchfiles groups events until none arrived for STEP_MS (or DEBOUNCE_MS passed): an editor's
# save (temp file, rename) lands in one batch, yet a change shows within a frame or two.
STEP_MS = 15
DEBOUNCE_MS = 400
FOLLOW_STEP_MS = 5  # the open notebook's folder: only its own saves make events there
IGNORED_DIRS = (".marimo-tui", "__marimo__", "__pycache__", ".ipynb_checkpoints")


@dataclass(frozen=True, slots=True)
class FileChange:
    path: Path
    kind: ChangeKind


def coalesce(batches: Sequence[Sequence[Path]]) -> list[FileChange]:
    """One change per path, in first-seen order; the kind is what the disk says now."""
    order = dict.fromkeys(path for batch in batches for path in batch)
    return [FileChange(p, "modified" if p.exists() else "deleted") for p in order]


class ProjectWatcher:
    """Watches `root` for changes to `.py` files; run `run()` as a task, `stop()` to end it."""

    def __init__(
        self,
        root: Path,
        ignore: Sequence[Path] = (),
        on_special: Callable[[Path, str], None] | None = None,
    ) -> None:
        self.root = root
        self.ignore = tuple(ignore)
        self.on_special = on_special  # told once of each `.py` name that is not a file
        self.special: dict[Path, str] = {}
        self.queue: asyncio.Queue[list[Path]] = asyncio.Queue()
        self._stop = asyncio.Event()
        self.followed: Path | None = None
        self._follow_stop = asyncio.Event()
        self._follower: asyncio.Task[None] | None = None

    def stop(self) -> None:
        self._stop.set()
        self._follow_stop.set()

    def follow(self, path: Path | None) -> None:
        """Watch the folder of `path` (the open notebook) alone too, for `path`'s changes."""
        if path == self.followed or self._stop.is_set():
            return
        self._follow_stop.set()
        self.followed = path
        if path is None:
            return
        self._follow_stop = asyncio.Event()
        self._follower = asyncio.ensure_future(self._follow(path, self._follow_stop))
        self._follower.add_done_callback(_quietly)

    async def _follow(self, path: Path, stop: asyncio.Event) -> None:
        import watchfiles

        wanted = str(path)
        async for _ in watchfiles.awatch(
            path.parent,
            watch_filter=lambda _change, changed: changed == wanted,
            recursive=False,
            step=FOLLOW_STEP_MS,
            debounce=DEBOUNCE_MS,
            stop_event=stop,
        ):
            # Saves only: a rename or a deletion is the project's watch's to tell, since it
            # sees both names of a rename in one batch (and a FIFO or a folder in its place).
            if path.is_file():
                self.queue.put_nowait([path])

    async def run(self) -> None:
        import watchfiles

        class _Filter(watchfiles.PythonFilter):
            ignore_dirs = (*watchfiles.DefaultFilter.ignore_dirs, *IGNORED_DIRS)

        watch_filter = _Filter(ignore_paths=self.ignore)
        async for changes in watchfiles.awatch(
            self.root,
            watch_filter=watch_filter,
            step=STEP_MS,
            debounce=DEBOUNCE_MS,
            stop_event=self._stop,
        ):
            batch = []
            for path in sorted(Path(p) for _, p in changes if not p.endswith(TMP_SUFFIX)):
                kind = special_kind(path)  # a FIFO or a folder named x.py: never read
                if kind is None:
                    batch.append(path)
                elif path not in self.special:
                    self.special[path] = kind
                    if self.on_special is not None:
                        self.on_special(path, kind)
            if batch:
                self.queue.put_nowait(batch)

    async def next_changes(self) -> list[FileChange]:
        """Wait for a batch, then take every batch already waiting too."""
        batches = [await self.queue.get()]
        while not self.queue.empty():
            batches.append(self.queue.get_nowait())
        return coalesce(batches)


def _quietly(task: asyncio.Task[None]) -> None:
    """The follower is a shortcut: if its folder goes away (or cannot be watched), the
    project's watch still sees the notebook's changes."""
    if not task.cancelled():
        task.exception()
