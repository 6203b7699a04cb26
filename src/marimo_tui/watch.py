"""File watching: watchfiles over the project, as batches of changed notebook paths.

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

    def stop(self) -> None:
        self._stop.set()

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
