"""The chat pane: a transcript and an input line.

Plain text goes to the agent; text starting with `/` is a command. The pane only parses and
shows: the app carries messages and commands out.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message

if TYPE_CHECKING:
    from textual.widgets import Input

    from marimo_tui.tui.widgets.agent_log import AgentLog

SLASH_COMMANDS: dict[str, tuple[str, str]] = {
    # name: (arguments, help)
    "open": ("[NOTEBOOK]", "open a notebook (no argument: pick from a list)"),
    "new": ("PATH [TEMPLATE] [KEY=VALUE…]", "create a notebook from a template and open it"),
    "undo": ("", "undo the agent's last turn (all its writes), else the last change"),
    "agent": ("[NAME]", "switch the agent profile (no argument: list them)"),
    "history": ("[N|ID]", "list saved conversations, or resume one"),
    "cancel": ("", "stop the agent's turn (also Esc in the chat)"),
    "theme": ("[NAME]", "switch theme (no argument: pick from a list); saved to the config"),
    "help": ("", "list commands and keys"),
}


@dataclass(frozen=True, slots=True)
class SlashCommand:
    name: str
    args: list[str]


class CommandError(ValueError):
    pass


def parse_input(text: str) -> SlashCommand | None:
    """A slash command, or None for plain text (a message to the agent)."""
    text = text.strip()
    if not text.startswith("/"):
        return None
    try:
        words = shlex.split(text[1:])
    except ValueError as exc:
        raise CommandError(f"cannot read that command: {exc}") from None
    if not words:
        raise CommandError("a command name is missing after '/': try /help")
    name = words[0].lower()
    if name not in SLASH_COMMANDS:
        close = [c for c in SLASH_COMMANDS if c.startswith(name[:2])]
        hint = f" (did you mean /{close[0]}?)" if close else ""
        raise CommandError(f"unknown command /{name}{hint}: try /help")
    return SlashCommand(name, words[1:])


def help_text() -> str:
    width = max(len(f"/{n} {a}") for n, (a, _) in SLASH_COMMANDS.items())
    return "\n".join(f"{f'/{n} {a}'.strip():<{width}}  {h}" for n, (a, h) in SLASH_COMMANDS.items())


class ChatPane(Vertical):
    DEFAULT_CSS = """
    ChatPane { height: 1fr; }
    ChatPane Input { height: 3; }
    """

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def compose(self) -> ComposeResult:
        # The transcript and the input are mounted by `build()` after the first frame: the
        # chat is never what the first frame is for, and they cost a third of its layout.
        return iter(())

    def build(self) -> None:
        from textual.widgets import Input

        from marimo_tui.tui.widgets.agent_log import AgentLog

        if not self.children:
            self.mount(
                AgentLog(id="transcript"),
                # Not select_on_focus: `/` from another pane focuses the input with "/" in it.
                Input(
                    placeholder="ask the agent, or /help for commands",
                    id="chat-input",
                    select_on_focus=False,
                ),
            )

    @property
    def agent_log(self) -> AgentLog:
        from marimo_tui.tui.widgets.agent_log import AgentLog

        self.build()
        return self.query_one("#transcript", AgentLog)

    @property
    def input(self) -> Input:
        from textual.widgets import Input

        self.build()
        return self.query_one(Input)

    def say(self, text: str) -> None:
        """A line from the workbench itself (command results, errors)."""
        self.agent_log.note(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        event.input.clear()
        if text:
            self.agent_log.user(text)
            self.post_message(self.Submitted(text))
