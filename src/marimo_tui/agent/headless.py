"""`marimo-tui agent "PROMPT"`: one agent turn without the UI, on the same workbench (and the
marimo sidecar, so edits rerun and the agent sees its errors).

Plain output streams the answer to stdout and one line per tool call to stderr; `--json` prints
one JSON event per line on stdout instead. Exit 0 when the turn ends normally.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from marimo_tui.agent import events as ev
from marimo_tui.agent.loop import Listener
from marimo_tui.agent.providers.base import ProviderError
from marimo_tui.agent.start import Overrides, open_session
from marimo_tui.agent.tools import Answer
from marimo_tui.safe_text import json_safe, one_line, visible

if TYPE_CHECKING:
    from marimo_tui.config_schema import Config

READY_TIMEOUT = 60.0  # s for the marimo server and the notebook's kernel before the turn
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class PlainPrinter:
    """Events as text on a terminal: what the model, the notebook or a server wrote is shown
    with its control characters made visible (`safe_text`), never sent as they are."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self._mid_line = False

    def __call__(self, event: ev.AgentEvent) -> None:
        if isinstance(event, ev.TextDelta):
            self.out.write(visible(event.text))
            self.out.flush()
            self._mid_line = not event.text.endswith("\n")
            return
        self._end_line()
        line = ""
        if isinstance(event, ev.TurnStarted) and event.replay:
            line = f"▶ {event.provider} — scripted, not an AI"
        elif isinstance(event, ev.ToolCalled):
            line = f"⚙ {event.name} {_short(event.arguments)}"
        elif isinstance(event, ev.ToolFinished):
            line = f"  {'✓' if event.ok else '✗'} {event.summary}"
        elif isinstance(event, ev.AgentWarning):
            line = f"! {event.text}"
        elif isinstance(event, ev.TaskUpdated):
            line = f"  task {event.task_id} {event.title}: {event.status}"
        elif isinstance(event, ev.TurnEnded):
            tail = f": {event.error}" if event.error else ""
            line = f"— {event.reason}{tail} · {event.steps} tool calls · {event.writes} writes"
        if line:
            self.err.write(one_line(line) + "\n")
        self.err.flush()

    def _end_line(self) -> None:
        if self._mid_line:
            self.out.write("\n")
            self.out.flush()
            self._mid_line = False


def _short(arguments: object, limit: int = 120) -> str:
    text = (
        json.dumps(arguments, ensure_ascii=False) if not isinstance(arguments, str) else arguments
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_listener(out: TextIO) -> Listener:
    def emit(event: ev.AgentEvent) -> None:
        out.write(json_safe(json.dumps(event.as_json(), ensure_ascii=False, default=str)) + "\n")
        out.flush()

    return emit


async def _ask_on_terminal(asked: ev.ApprovalAsked) -> Answer:
    diff, path = visible(asked.diff), one_line(asked.path)
    sys.stderr.write(f"\n{diff}\nwrite this change to {path}? [y]es / [n]o / [a]ll: ")
    sys.stderr.flush()
    line = await asyncio.to_thread(sys.stdin.readline)
    answer = line.strip().lower()[:1]
    return "yes" if answer == "y" else "all" if answer == "a" else "no"


async def run_agent(
    config: Config,
    prompt: str,
    overrides: Overrides,
    *,
    notebook: Path | None = None,
    as_json: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    from marimo_tui.workbench import Workbench

    out = out or sys.stdout
    err = err or sys.stderr
    listener = _json_listener(out) if as_json else PlainPrinter(out, err)
    if overrides.approval is not None:
        # The approval in force decides more than consent: `auto` confines the marimo kernel
        # by default (`marimo.confine: auto`), and the server starts from this config.
        config = replace(config, agent=replace(config.agent, approval=overrides.approval))
    workbench = Workbench(config)
    if notebook is not None:
        path = notebook if notebook.is_absolute() else (Path.cwd() / notebook)
        if not path.is_file():
            err.write(f"error: no notebook {one_line(str(notebook))}\n")
            return EXIT_USAGE
        workbench.current = workbench.store.resolve(path)
    approver = _ask_on_terminal if sys.stdin.isatty() and not as_json else None
    try:
        session = open_session(workbench, overrides, listener=listener, approver=approver)
    except (KeyError, ProviderError) as exc:
        err.write(f"error: {one_line(str(exc.args[0] if isinstance(exc, KeyError) else exc))}\n")
        return EXIT_USAGE
    await workbench.start(watch=False, run=True)
    loop = asyncio.get_running_loop()
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        session.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, interrupt)
    try:
        runtime = workbench.runtime
        if runtime is not None:
            await runtime.wait_ready(READY_TIMEOUT)
        end = await session.run_turn(prompt)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        await session.provider.aclose()
        await workbench.stop()
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if end.reason == "finished" else EXIT_FAILED
