"""One provider from the configuration's names (`agent.provider`, `agent.model`, …)."""

from __future__ import annotations

import os
from pathlib import Path

from marimo_tui.agent.providers.base import Provider, ProviderError

names = ("ollama", "openai", "scripted")


def make_provider(
    name: str,
    *,
    model: str,
    host: str,
    api_key_env: str = "OPENAI_API_KEY",
    timeout: float = 120.0,
    script: Path | None = None,
) -> Provider:
    """Raises `ProviderError` for an unknown name or a scripted provider without a script."""
    if name == "ollama":
        from marimo_tui.agent.providers.ollama import OllamaProvider

        return OllamaProvider(model, host, timeout)
    if name == "openai":
        from marimo_tui.agent.providers.openai import OpenAIProvider

        key = (os.environ.get(api_key_env) or None) if api_key_env else None
        return OpenAIProvider(model, host, key, timeout, key_env=api_key_env or None)
    if name == "scripted":
        from marimo_tui.agent.providers.scripted import ScriptedProvider

        if script is None:
            raise ProviderError(
                "the scripted provider needs a script to replay", "pass --script FILE.yaml"
            )
        return ScriptedProvider(Path(script))
    raise ProviderError(
        f"unknown provider {name!r}", f"set agent.provider to one of: {', '.join(names)}"
    )
