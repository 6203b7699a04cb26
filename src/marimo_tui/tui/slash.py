"""Carrying out the chat's slash commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.agent.tools import ToolFailure
from marimo_tui.notebook.errors import NotebookError, StoreError
from marimo_tui.tui.widgets.chat import CommandError, help_text, parse_input

if TYPE_CHECKING:
    from marimo_tui.tui.app import WorkbenchApp


class SlashCommands:
    def __init__(self, app: WorkbenchApp) -> None:
        self.app = app

    def say(self, text: str) -> None:
        self.app.chat.say(text)

    async def handle(self, text: str) -> None:
        try:
            command = parse_input(text)
        except CommandError as exc:
            self.say(str(exc))
            return
        if command is None:
            self.app.agent.submit(text)
            return
        handler = getattr(self, f"do_{command.name}")
        try:
            await handler(command.args)
        except (CommandError, StoreError, NotebookError, ToolFailure, ValueError) as exc:
            self.say(f"/{command.name}: {exc}")

    async def do_help(self, args: list[str]) -> None:
        self.say(
            "commands:\n" + help_text() + "\nkeys: ? lists every key; ctrl+p opens the palette"
        )

    async def do_open(self, args: list[str]) -> None:
        if not args:
            self.app.action_open_notebook()
            return
        wanted = " ".join(args)
        wb = self.app.workbench
        candidates = wb.notebooks
        exact = [
            p
            for p in candidates
            if wb.relative(p) == wanted or p.name == wanted or p.stem == wanted
        ]
        loose = [p for p in candidates if wanted.lower() in wb.relative(p).lower()]
        matches = exact or loose
        if len(matches) == 1:
            self.app.open_notebook(matches[0])
            self.say(f"opened {wb.relative(matches[0])}")
        elif matches:
            names = ", ".join(wb.relative(p) for p in matches[:8])
            raise CommandError(f"{wanted!r} matches several notebooks: {names}")
        else:
            path = wb.store.resolve(wanted)
            if not path.is_file():
                raise CommandError(f"no notebook {wanted!r}; /open alone lists them")
            self.app.open_notebook(path)
            self.say(f"opened {wb.relative(path)}")

    async def do_new(self, args: list[str]) -> None:
        from marimo_tui.notebook.templates import parse_param_args

        if not args:
            raise CommandError("usage: /new PATH [TEMPLATE] [KEY=VALUE…]")
        path = Path(args[0])
        rest = args[1:]
        template = "minimal"
        if rest and "=" not in rest[0]:
            template, rest = rest[0], rest[1:]
        params = parse_param_args(rest)
        wb = self.app.workbench
        target = await wb.create_notebook(path, wb.template(template), params)
        self.app.open_notebook(target)
        self.say(f"created {self.app.workbench.relative(target)} from {template}")

    async def do_undo(self, args: list[str]) -> None:
        # The last agent turn that wrote: an outside agent's (attach mode) or the built-in's.
        undone = await self.app.outside.undo() or await self.app.agent.undo()
        if undone is not None:
            self.say(undone)
            return
        current = self.app.workbench.current
        if current is None:
            raise CommandError("no notebook open")
        self.say(await self.app.workbench.undo(current))

    async def do_agent(self, args: list[str]) -> None:
        agent = self.app.agent
        self.say(agent.switch(args[0]) if args else agent.profiles_text())

    async def do_history(self, args: list[str]) -> None:
        agent = self.app.agent
        self.say(agent.resume(args[0]) if args else agent.history_text())

    async def do_cancel(self, args: list[str]) -> None:
        if not self.app.agent.cancel():
            self.say("the agent is not working")

    async def do_theme(self, args: list[str]) -> None:
        if not args:
            self.app.search_themes()
            return
        name = args[0]
        if name not in self.app.available_themes:
            themes = ", ".join(sorted(self.app.available_themes))
            raise CommandError(f"no theme {name!r}; themes: {themes}")
        self.app.theme = name
        self.say(f"theme {name}")
