"""The workbench facade: owns the store, the watcher and the task tree; publishes events.

Views (the Textual app, a headless run) subscribe and call its coroutines. Everything happens
on one asyncio loop; marimo's parser and the store's writes run in a worker thread, one at a
time, so the loop never blocks for longer than a quick read of a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Coroutine
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from marimo_tui.config_schema import Config
from marimo_tui.events import (
    Cause,
    Event,
    Level,
    NotebookBroken,
    NotebookLoaded,
    NotebookRemoved,
    NotebooksListed,
    Notice,
    ServiceState,
    TaskChanged,
)
from marimo_tui.notebook.errors import NotebookError, StoreError
from marimo_tui.notebook.model import Notebook, display_path, text_hash
from marimo_tui.notebook.reader import preview_notebook, read_bytes
from marimo_tui.redaction import Redactor, redactor_for

if TYPE_CHECKING:
    from marimo_tui.notebook.parse_worker import ParseWorker
    from marimo_tui.notebook.store import EditResult, NotebookStore
    from marimo_tui.notebook.templates import Template
    from marimo_tui.runtime.manager import Runtime
    from marimo_tui.tasks import Task, TaskTree
    from marimo_tui.watch import FileChange, ProjectWatcher

# The store, the task tree, the watcher and project discovery are imported on first use: the
# first frame needs only the quick read of one notebook.

PARSE_NICE = 10  # marimo's parse of a change on disk yields the CPU to the UI and the kernels
T = TypeVar("T")
Listener = Callable[[Event], None]

# A line that starts a cell at the top level of a notebook file.
_CELL_START = re.compile(r"^(@app\.|with app\.setup|app\._unparsable_cell\()")


class Workbench:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = config.root
        self.notebooks: list[Path] = []
        self._skipped: list[tuple[Path, str]] = []  # `.py` names that are FIFOs, devices…
        self.current: Path | None = None
        self.shown: dict[Path, Notebook] = {}  # the version each view shows, quick or analysed
        self._listeners: list[Listener] = []
        self._io = asyncio.Lock()  # one store operation at a time, in a worker thread
        self._analysing: dict[Path, asyncio.Task[None]] = {}
        self._stale: set[Path] = set()
        self._watcher: ProjectWatcher | None = None
        self.runtime: Runtime | None = None  # the marimo sidecar and the open notebook's session
        # Made before anything starts, so every secret is known before anything can print it
        # (the marimo server adds its token when it is made).
        self.redactor: Redactor = redactor_for(config)
        self._background: set[asyncio.Task[None]] = set()
        # A view sets this to hold marimo's analysis of a change until the quick read of it
        # is on screen: the analysis thread would otherwise share the GIL with that frame.
        self.before_analysis: Callable[[], Awaitable[None]] | None = None
        self._parser: ParseWorker | None = None  # marimo's parse, out of our process

    @cached_property
    def store(self) -> NotebookStore:
        from marimo_tui.notebook.store import NotebookStore

        store = NotebookStore(self.root, self.config.state_dir)
        if self._parser is not None:
            store.parse = self._parser.parse
        return store

    @cached_property
    def tasks(self) -> TaskTree:
        from marimo_tui.tasks import TaskTree

        path = self.config.state_dir / "tasks.json"
        return TaskTree(
            path, self._task_changed, self.root, lambda line: self.notice(line, "warning")
        )

    def relative(self, path: Path) -> str:
        return display_path(path, self.root)

    def _previous(self, path: Path) -> Notebook | None:
        """The store's last model of `path`, without creating the store for it."""
        store: NotebookStore | None = self.__dict__.get("store")
        return store.cached(path) if store is not None else None

    # -- events ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def publish(self, event: Event) -> None:
        if isinstance(event, Notice) and self.redactor.found_in(event.text):
            event = Notice(self.redactor(event.text), event.level)  # (errors quote their cause)
        for listener in list(self._listeners):
            listener(event)

    def notice(self, text: str, level: Level = "info") -> None:
        self.publish(Notice(text, level))

    def _task_changed(self, task: Task, removed: bool) -> None:
        self.publish(TaskChanged(task, removed))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- lifecycle ---------------------------------------------------------------------------
    def first_notebook(self) -> Path | None:
        """The notebook to open when given a folder: the first one found, cheaply."""
        from marimo_tui.project import discover_notebooks

        found = discover_notebooks(self.config, self._skipped)
        self.notebooks = found
        return found[0] if found else None

    def quick_open(self, path: Path) -> Notebook | None:
        """The notebook from a quick read, synchronously: what the first frame shows."""
        path = path.resolve()  # the user's own choice: the store confines what gets written
        self.current = path
        try:
            nb = preview_notebook(read_bytes(path), path, self._previous(path))
        except NotebookError:
            return None
        if nb is not None:
            self.shown[path] = nb
        return nb

    async def start(self, *, watch: bool = True, run: bool = True) -> None:
        from marimo_tui.project import discover_notebooks
        from marimo_tui.watch import ProjectWatcher

        if self.tasks.load_error:
            self.notice(self.tasks.load_error, "warning")
        if not self.notebooks:
            self.notebooks = await asyncio.to_thread(discover_notebooks, self.config, self._skipped)
        for path, kind in self._skipped:
            self._special_file(path, kind)
        self.publish(NotebooksListed(tuple(self.notebooks)))
        if watch:  # following the disk: marimo's parse of each change leaves the UI's GIL
            from marimo_tui.notebook.parse_worker import ParseWorker
            from marimo_tui.redaction import child_env

            self._parser = ParseWorker(child_env(self.config), nice=PARSE_NICE)
            self._parser.start()
            if "store" in self.__dict__:
                self.store.parse = self._parser.parse
        if self.current is not None:
            self._schedule_analysis(self.current, "open")
        if run and self.config.marimo.enabled:
            from marimo_tui.runtime.manager import Runtime

            self.runtime = Runtime(self.config, self.publish, self.tasks, self.redactor)
            self.runtime.start()
            if self.current is not None:
                self.runtime.open(self.current)
        if watch:
            self._watcher = ProjectWatcher(
                self.root, ignore=[self.config.state_dir], on_special=self._special_file
            )
            self._watcher.follow(self.current)
            self._spawn(self._watch())
            self._spawn(self._follow())

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        if self.runtime is not None:
            await self.runtime.stop()
        if self._parser is not None:
            await asyncio.to_thread(self._parser.stop)
        for task in [*self._background, *self._analysing.values()]:
            task.cancel()
        for task in [*self._background, *self._analysing.values()]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if "store" in self.__dict__:  # (only when something was written or read through it)
            # Files our writes moved aside are settled: an editor that kept writing into one
            # after our swap has its bytes journaled as a conflict, not lost.
            try:
                await asyncio.to_thread(self.store.sweep)
            except Exception as exc:
                self.notice(f"could not settle displaced files: {exc}", "warning")

    async def _watch(self) -> None:
        from marimo_tui.tasks import TaskStatus

        assert self._watcher is not None
        job = self.tasks.add(
            "file watcher", owner="system", status=TaskStatus.RUNNING, detail=str(self.root)
        )
        self.publish(ServiceState("watcher", "watching"))
        try:
            await self._watcher.run()
        except Exception as exc:  # the watcher dying must not take the app with it
            self.tasks.set_status(job.id, TaskStatus.FAILED, f"{type(exc).__name__}: {exc}")
            self.publish(ServiceState("watcher", "stopped", ok=False))
            self.notice(f"file watcher stopped: {exc}; changes on disk are not followed", "error")
            return
        self.tasks.set_status(job.id, TaskStatus.DONE)
        self.publish(ServiceState("watcher", "off"))

    async def _follow(self) -> None:
        assert self._watcher is not None
        while True:
            changes = await self._watcher.next_changes()
            try:
                self.on_changes(changes)
            except Exception as exc:  # one bad event must not stop following the others
                self.notice(f"could not follow a change on disk: {exc}", "error")

    # -- following the disk ------------------------------------------------------------------
    def on_changes(self, changes: list[FileChange]) -> None:
        """Apply a coalesced batch of changes: notebook list, then the open notebook."""
        from marimo_tui.project import looks_like_notebook

        listed = set(self.notebooks)
        gone = [c.path for c in changes if c.kind == "deleted" and c.path in listed]
        present = [c.path for c in changes if c.kind != "deleted"]
        new = [
            p for p in present if p not in listed and self._in_scope(p) and looks_like_notebook(p)
        ]
        # A file that was a notebook and no longer creates an App leaves the list.
        dropped = [
            p for p in present if p in listed and not looks_like_notebook(p) and p != self.current
        ]
        if gone or new or dropped:
            keep = [p for p in self.notebooks if p not in gone and p not in dropped]
            self.notebooks = sorted({*keep, *new})
            self.publish(NotebooksListed(tuple(self.notebooks)))
        if self.current in gone:
            self._current_removed(self.current, new)
        elif self.current is not None and self.current in present:
            self.reload(self.current)

    def _special_file(self, path: Path, kind: str) -> None:
        if path.suffix == ".py" and self._in_scope(path):
            self.notice(f"{self.relative(path)} is {kind}, not a notebook: skipped", "warning")

    def _in_scope(self, path: Path) -> bool:
        folder = self.config.notebooks_dir
        parts = path.relative_to(folder).parts if path.is_relative_to(folder) else None
        return parts is not None and not any(
            p in self.config.notebooks.exclude or p.startswith(".") for p in parts[:-1]
        )

    def _current_removed(self, path: Path, added: list[Path]) -> None:
        last = self.shown.get(path)
        renamed = None
        if last is not None and last.base_hash:
            for candidate in added:
                with contextlib.suppress(OSError):
                    if text_hash(candidate.read_bytes()) == last.base_hash:
                        renamed = candidate
                        break
        self.publish(NotebookRemoved(path, renamed))
        if renamed is not None:
            self.notice(
                f"{self.relative(path)} was renamed to {self.relative(renamed)}: following it"
            )
            self.open(renamed)
        else:
            self.notice(
                f"{self.relative(path)} was deleted on disk; its last version "
                "stays on screen (undo restores it)",
                "warning",
            )

    def reload(self, path: Path, cause: Cause = "disk") -> None:
        """Show the file's current content now (quick read), then analyse it in the background."""
        try:
            data = read_bytes(path)
        except NotebookError as exc:
            self.notice(str(exc), "error")
            return
        shown = self.shown.get(path)
        if shown is not None and shown.base_hash == text_hash(data):
            analysing = self._analysing.get(path)
            if not shown.pending or (cause == "disk" and analysing and not analysing.done()):
                if cause != "disk":  # e.g. reopening: show what we have, nothing to parse
                    self.publish(NotebookLoaded(path, shown, analysed=True, cause=cause))
                # Our own write coming back, a touch that changed nothing, or the second
                # report of a change (see `watch`) whose analysis is under way.
                return
        try:
            nb = preview_notebook(data, path, self._previous(path))
        except NotebookError:
            nb = None
        if nb is not None:
            self.shown[path] = nb
            self.publish(NotebookLoaded(path, nb, analysed=not nb.pending, cause=cause))
        self._schedule_analysis(path, cause)

    def open(self, path: Path) -> None:
        path = self.store.resolve(path)
        self.current = path
        if self._watcher is not None:
            self._watcher.follow(path)
        self.reload(path, "open")
        if self.runtime is not None:
            self.runtime.open(path)

    def _schedule_analysis(self, path: Path, cause: Cause) -> None:
        self._stale.add(path)
        running = self._analysing.get(path)
        if running is None or running.done():
            self._analysing[path] = asyncio.ensure_future(self._analyse(path, cause))

    async def _analyse(self, path: Path, cause: Cause) -> None:
        if self.before_analysis is not None:
            await self.before_analysis()
        while path in self._stale:
            self._stale.discard(path)
            try:
                nb = await self.run_in_store(lambda s: s.read(path))
            except NotebookError as exc:
                if path in self._stale or not path.exists():
                    continue  # changed again, or deleted: the watcher tells of it
                self._broken(path, exc)
                continue
            except Exception as exc:
                self.notice(f"could not read {self.relative(path)}: {exc}", "error")
                continue
            # A file deleted while it was read is the watcher's to tell: announcing it loaded
            # (or broken) after that would take back what the view says ("deleted on disk").
            if path not in self._stale and path.exists():
                self.shown[path] = nb
                self.publish(NotebookLoaded(path, nb, analysed=True, cause=cause))

    def _broken(self, path: Path, exc: NotebookError) -> None:
        index = None
        if exc.line is not None:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                lines = path.read_text(encoding="utf-8").splitlines()[: exc.line]
                starts = sum(1 for line in lines if _CELL_START.match(line))
                index = starts - 1 if starts else None
        self.publish(NotebookBroken(path, exc.reason, exc.line, index))

    # -- the store ---------------------------------------------------------------------------
    async def run_in_store(self, operation: Callable[[NotebookStore], T]) -> T:
        async with self._io:
            return await asyncio.to_thread(operation, self.store)

    async def edit(self, operation: Callable[[NotebookStore], EditResult]) -> EditResult:
        """Run one store edit; the view shows its result at once (the watcher's echo is
        recognised by its hash and skipped). Store errors propagate to the caller."""
        result = await self.run_in_store(operation)
        nb = result.notebook
        self.shown[nb.path] = nb
        self.publish(NotebookLoaded(nb.path, nb, analysed=True, cause="edit"))
        return result

    async def undo(self, path: Path) -> str:
        entry = await self.run_in_store(lambda s: s.undo(path))
        self.reload(path, "undo")
        return f"undid {entry.op} on {entry.path}"

    def template(self, name: str) -> Template:
        """A template by name, bundled or the project's; StoreError naming them all if none."""
        from marimo_tui.notebook.templates import discover_templates
        from marimo_tui.project import template_folders

        found = discover_templates(template_folders(self.config))
        if name not in found:
            raise StoreError(f"no template {name!r}; templates: {', '.join(found)}")
        return found[name]

    async def create_notebook(
        self, path: Path, template: Template, params: dict[str, str], *, group: str | None = None
    ) -> Path:
        """Create `path` from a template, with the template's sample data next to it."""
        from marimo_tui.notebook.templates import DATA_FOLDER, copy_sample_data, instantiate
        from marimo_tui.notebook.write_paths import inside_root

        if path.suffix != ".py":
            path = path.with_suffix(".py")
        target = self.store.resolve(
            path if path.is_absolute() else self.config.notebooks_dir / path
        )
        text = instantiate(template, params)
        if template.data:  # refused before anything is written: the data goes inside too
            inside_root(target.parent / DATA_FOLDER, self.root)
        target.parent.mkdir(parents=True, exist_ok=True)

        def create(store: NotebookStore) -> Notebook:
            with store.grouped(group) if group else contextlib.nullcontext():
                return store.create(target, text, op=f"new:{template.name}")

        await self.run_in_store(create)
        try:
            await asyncio.to_thread(copy_sample_data, template, target.parent, self.root)
        except OSError as exc:
            raise StoreError(f"cannot copy the sample data of {template.name}: {exc}") from None
        if target not in self.notebooks:
            self.notebooks = sorted({*self.notebooks, target})
            self.publish(NotebooksListed(tuple(self.notebooks)))
        return target
