"""Putting an agent session together from the config and a caller's overrides: the app and the
headless `marimo-tui agent` build theirs here, so they behave the same."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.agent.limits import Limits
from marimo_tui.agent.loop import AgentSession, Listener
from marimo_tui.agent.profiles import Profile, get_profile
from marimo_tui.agent.providers.base import ChatMessage, Provider
from marimo_tui.agent.tools import Approval, Approver
from marimo_tui.agent.transcripts import Transcript

if TYPE_CHECKING:
    from marimo_tui.config_schema import Config
    from marimo_tui.workbench import Workbench


@dataclass(frozen=True)
class Overrides:
    """What the command line (or a slash command) says over the config."""

    provider: str | None = None
    model: str | None = None
    host: str | None = None
    script: Path | None = None
    approval: Approval | None = None
    max_steps: int | None = None
    profile: str | None = None


def conversations_dir(config: Config) -> Path:
    return config.state_dir / "conversations"


def make_provider(config: Config, profile: Profile, overrides: Overrides) -> Provider:
    from marimo_tui.agent.providers.factory import make_provider as build

    agent = config.agent
    return build(
        overrides.provider or agent.provider,
        model=overrides.model or profile.model or agent.model,
        host=overrides.host or agent.host,
        api_key_env=agent.api_key_env,
        timeout=agent.request_timeout,
        script=overrides.script,
    )


def open_session(
    workbench: Workbench,
    overrides: Overrides,
    *,
    listener: Listener | None = None,
    approver: Approver | None = None,
    resume: Path | None = None,
) -> AgentSession:
    """A new conversation (or `resume`, a saved transcript). Raises KeyError for an unknown
    profile and ProviderError for a provider that cannot be set up."""
    from marimo_tui.agent.transcripts import load_messages

    config = workbench.config
    profile = get_profile(config, overrides.profile)
    provider = make_provider(config, profile, overrides)
    agent = config.agent
    limits = Limits(
        approval=overrides.approval or agent.approval,
        max_steps=overrides.max_steps or agent.max_steps,
        timeout=agent.timeout,
        rerun_timeout=agent.rerun_timeout,
        answer_timeout=agent.answer_timeout,
        max_tokens=agent.max_tokens,
        context_window=agent.context_window,
        tool_choice=agent.tool_choice,
        tool_mode=agent.tool_mode,
        temperature=agent.temperature,
    )
    folder = conversations_dir(config)
    history: list[ChatMessage] = []
    conversation_id = None
    if resume is not None:
        history = load_messages(resume)
        conversation_id = resume.stem
    # The workbench's redactor: it learns the marimo server's token when the server is made,
    # which may be after this (the headless agent opens its session first).
    transcript = Transcript(folder, workbench.redactor, conversation_id, root=config.root)
    return AgentSession(
        workbench,
        provider,
        profile,
        limits=limits,
        listener=listener,
        approver=approver,
        transcript=transcript,
        history=history,
    )


def switch_profile(session: AgentSession, name: str, overrides: Overrides) -> Profile:
    """`/agent NAME`: the profile (and its model, when it names one) from the next turn."""
    config = session.workbench.config
    profile = get_profile(config, name)
    provider = None
    if profile.model and profile.model != session.provider.info.model:
        provider = make_provider(config, profile, replace(overrides, model=None))
    session.switch(profile, provider)
    return profile
