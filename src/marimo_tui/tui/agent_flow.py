"""The agent in the app: chat messages become turns, turn events go to the chat pane, edits
ask through the approval dialog, Esc cancels, `/undo`, `/agent` and `/history` act on it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from marimo_tui.agent import events as ev
from marimo_tui.agent.start import Overrides

if TYPE_CHECKING:
    from pathlib import Path

    from marimo_tui.agent.loop import AgentSession
    from marimo_tui.agent.tools import Answer
    from marimo_tui.tui.app import WorkbenchApp


class AgentFlows:
    def __init__(self, app: WorkbenchApp, overrides: Overrides | None = None) -> None:
        self.app = app
        self.overrides = overrides or Overrides()
        self.session: AgentSession | None = None

    # -- the session -------------------------------------------------------------------------
    def _session(self) -> AgentSession | None:
        """The conversation, set up on first use; a provider that cannot be set up is one
        line in the chat (e.g. the scripted provider without a script)."""
        if self.session is None:
            self.session = self._open(None)
        return self.session

    def _open(self, resume: Path | None) -> AgentSession | None:
        from marimo_tui.agent.providers.base import ProviderError
        from marimo_tui.agent.start import open_session

        try:
            session = open_session(
                self.app.workbench,
                self.overrides,
                listener=self.show,
                approver=self.approve,
                resume=resume,
            )
        except (KeyError, ProviderError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
            self.app.chat.agent_log.note(f"agent: {message}", "error")
            return None
        self.app.status.set_service("model", session.provider.info.label)
        self._show_window(session)
        return session

    def _show_window(self, session: AgentSession) -> None:
        """The window in the status bar before the first request: asked of the server now
        (or taken from the config), so the user sees what the agent has to work with."""
        self.app.status.clear_context()
        if session.provider.info.replay:
            return  # a script has no window

        async def learn() -> None:
            budget = await session.context()
            if session is self.session:
                self.app.status.set_context(budget.window, budget.source, None, True)

        self.app.run_guarded(learn(), group="agent-window")

    @property
    def busy(self) -> bool:
        return self.session is not None and self.session.busy

    # -- turns -------------------------------------------------------------------------------
    def submit(self, prompt: str) -> None:
        if self.busy:
            self.app.chat.agent_log.note("the agent is still working: Esc cancels it", "warning")
            return
        session = self._session()
        if session is None:
            return
        self.app.run_guarded(self._turn(session, prompt), group="agent")

    def autoplay(self) -> None:
        """A replay whose script has a `prompt:` plays by itself: that prompt is sent as if
        the user typed it (the chat shows it as theirs, the turns as a replay)."""
        from marimo_tui.agent.providers.scripted import ScriptedProvider

        session = self._session()
        if session is None or not isinstance(session.provider, ScriptedProvider):
            return
        if session.provider.prompt and not self.busy:
            self.app.chat.agent_log.user(session.provider.prompt)
            self.submit(session.provider.prompt)

    async def _turn(self, session: AgentSession, prompt: str) -> None:
        await session.run_turn(prompt)

    def cancel(self) -> bool:
        if self.session is not None and self.session.cancel():
            self.app.chat.agent_log.note(
                "cancelled: nothing more will be written this turn", "warning"
            )
            return True
        return False

    def show(self, event: ev.AgentEvent) -> None:
        """An agent's event in the views (the built-in agent's, or an outside one's)."""
        if isinstance(event, ev.TaskUpdated):
            return  # the task tree hears of it from the workbench's own task events
        if isinstance(event, ev.ContextUsed):
            # Each request's fill level: the status bar's to show, not the conversation's.
            self.app.status.set_context(
                event.window, event.source, event.prompt_tokens, event.estimated, event.compacted
            )
            return
        self.app.chat.agent_log.show(event)
        if isinstance(event, ev.TurnEnded) and event.reason == "error":
            self.app.notify(f"agent: {event.error}", severity="error", timeout=8)

    async def approve(self, asked: ev.ApprovalAsked) -> Answer:
        """The user's answer from the approval dialog (any agent's write)."""
        from marimo_tui.tui.screens.approval import ApprovalScreen

        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

        def done(result: str | None) -> None:
            if not answer.done():
                answer.set_result(result)

        self.app.push_screen(ApprovalScreen(asked), callback=done)
        try:
            result = await answer
        except asyncio.CancelledError:
            # Esc on the chat cancelled the turn while the dialog was up: close it (unless
            # the app is closing, its screens gone).
            screens = self.app.screen_stack
            if screens and isinstance(screens[-1], ApprovalScreen):
                screens[-1].dismiss("no")
            raise
        return "yes" if result == "yes" else "all" if result == "all" else "no"

    # -- commands ----------------------------------------------------------------------------
    async def undo(self) -> str | None:
        """Undo the agent's last turn; None when it wrote nothing (the caller falls back)."""
        if self.session is None or self.session.last_turn is None:
            return None
        done = await self.session.undo_last_turn()
        return "undid the agent's last turn: " + "; ".join(done)

    def profiles_text(self) -> str:
        from marimo_tui.agent.profiles import profiles

        current = self.session.profile.name if self.session is not None else None
        current = current or self.overrides.profile or self.app.workbench.config.agent.profile
        lines = []
        for name, profile in sorted(profiles(self.app.workbench.config).items()):
            mark = "▸" if name == current else " "
            lines.append(f"{mark} {name}: {profile.description}")
        return "agents (/agent NAME switches):\n" + "\n".join(lines)

    def switch(self, name: str) -> str:
        from marimo_tui.agent.start import switch_profile

        if self.busy:
            raise ValueError("the agent is working: switch after this turn (Esc cancels it)")
        session = self._session()
        if session is None:
            raise ValueError("the agent could not be set up (see above)")
        try:
            profile = switch_profile(session, name, self.overrides)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        self.overrides = Overrides(**{**self.overrides.__dict__, "profile": name})
        self.app.status.set_service("model", session.provider.info.label)
        self._show_window(session)  # another model may have another window
        return f"agent {profile.name}: {profile.description}"

    def history_text(self) -> str:
        from marimo_tui.agent.start import conversations_dir
        from marimo_tui.agent.transcripts import list_conversations

        found = list_conversations(conversations_dir(self.app.workbench.config))
        if not found:
            return "no saved conversations yet"
        lines = [f"{i}. {c.id}  {c.title}  ({c.turns} turns)" for i, c in enumerate(found[:20], 1)]
        return "conversations (/history N resumes one):\n" + "\n".join(lines)

    def resume(self, which: str) -> str:
        from marimo_tui.agent.start import conversations_dir
        from marimo_tui.agent.transcripts import list_conversations

        if self.busy:
            raise ValueError("the agent is working: resume after this turn (Esc cancels it)")
        found = list_conversations(conversations_dir(self.app.workbench.config))
        chosen = None
        if which.isdigit() and 1 <= int(which) <= len(found):
            chosen = found[int(which) - 1]
        else:
            chosen = next((c for c in found if c.id == which or c.id.startswith(which)), None)
        if chosen is None:
            raise ValueError(f"no conversation {which!r}: /history lists them")
        session = self._open(chosen.path)
        if session is None:
            raise ValueError("the agent could not be set up (see above)")
        self.session = session
        log = self.app.chat.agent_log
        log.clear()
        for message in session.messages:
            if message.role == "user":
                log.user(message.content)
            elif message.role == "assistant" and message.content:
                log.answer(message.content)
        return f"resumed {chosen.id}: {chosen.title} ({len(session.messages)} messages)"
