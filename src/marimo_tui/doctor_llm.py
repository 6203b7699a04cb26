"""`doctor`'s checks of the LLM: the server, the model, its context window and one real tool
call — through the agent's own provider, so doctor and the agent agree on hosts and dialect."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from marimo_tui.config_schema import Config
from marimo_tui.doctor_base import Check, get_json, reason

if TYPE_CHECKING:
    from marimo_tui.agent.providers.base import Provider


def check_llm(config: Config, *, probe: bool = True) -> list[Check]:
    agent = config.agent
    if agent.provider == "scripted":
        return [Check("llm", None, "scripted provider: replays a script, no LLM needed")]
    from marimo_tui.agent.providers.base import ProviderError
    from marimo_tui.agent.providers.factory import make_provider

    try:
        provider = make_provider(
            agent.provider,
            model=agent.model,
            host=agent.host,
            api_key_env=agent.api_key_env,
            timeout=agent.request_timeout,
        )
    except ProviderError as exc:
        return [Check("llm", False, exc.message, exc.fix)]
    return asyncio.run(_checks(config, provider, probe))


async def _checks(config: Config, provider: Provider, probe: bool) -> list[Check]:
    try:
        if provider.info.name == "openai":
            checks = await asyncio.to_thread(_openai_server, config, provider)
        else:
            checks = await asyncio.to_thread(_ollama_server, config, provider)
        if all(c.ok for c in checks):
            checks.append(await _window(config, provider))
            if probe:
                checks.append(await _tools(config, provider))
        return checks
    finally:
        await provider.aclose()


def _openai_server(config: Config, provider: Provider) -> list[Check]:
    agent = config.agent
    base = str(provider.info.extra["base_url"])  # the provider's own `/v1` rule
    key = os.environ.get(agent.api_key_env, "")
    headers = {"Authorization": f"Bearer {key}"} if key else None
    try:
        data = get_json(f"{base}/models", headers)
    except Exception as exc:
        return [
            Check(
                "llm",
                False,
                f"OpenAI-compatible endpoint {base}: {reason(exc)}",
                f"start the server or set agent.host (key from ${agent.api_key_env})",
            )
        ]
    names = {str(m.get("id")) for m in _listed(data, "data") if m.get("id")}
    ok = agent.model in names or not names
    if not ok and len(names) == 1 and _openai_instead(base) == "llama-server":
        # llama-server serves its one model under any name it is asked for.
        (served,) = names
        return [Check("llm", True, f"{base}: llama-server serving {served}")]
    return [
        Check(
            "llm",
            ok,
            f"{base}: model {agent.model} {'available' if ok else 'not listed'}",
            "" if ok else f"set agent.model to one of: {', '.join(sorted(map(str, names)))}",
        )
    ]


def _ollama_server(config: Config, provider: Provider) -> list[Check]:
    agent = config.agent
    host = str(provider.info.extra["host"])
    try:
        data: Any = get_json(f"{host}/api/tags")
    except Exception as exc:
        other = _openai_instead(host)
        if other:
            return [
                Check(
                    "ollama",
                    False,
                    f"{host} is not Ollama but an OpenAI-compatible server ({other})",
                    "set agent.provider: openai",
                )
            ]
        return [
            Check(
                "ollama",
                False,
                f"not reachable at {host} ({reason(exc)})",
                "start it with `ollama serve`, or set agent.host",
            )
        ]
    names = {str(m.get("name") or m.get("model")) for m in _listed(data, "models")}
    wanted = agent.model if ":" in agent.model else f"{agent.model}:latest"
    ok = agent.model in names or wanted in names
    return [
        Check("ollama", True, f"reachable at {host} ({len(names)} models)"),
        Check(
            "model",
            ok,
            f"{agent.model} {'present' if ok else 'not pulled'}",
            "" if ok else f"ollama pull {agent.model}",
        ),
    ]


def _listed(data: object, key: str) -> list[dict[str, Any]]:
    """The objects listed under `key` in a server's answer; none when it is shaped otherwise."""
    items = data.get(key) if isinstance(data, dict) else None
    return [m for m in items if isinstance(m, dict)] if isinstance(items, list) else []


def _openai_instead(host: str) -> str:
    """What answers at an Ollama host that is not Ollama: llama-server, or another /v1 API."""
    from marimo_tui.agent.providers.openai_request import api_base, server_root

    base = api_base(host)
    for url, what in ((f"{server_root(base)}/props", "llama-server"), (f"{base}/models", "/v1")):
        try:
            get_json(url)
        except Exception:
            continue
        return what
    return ""


async def _window(config: Config, provider: Provider) -> Check:
    configured = config.agent.context_window
    if configured > 0:
        return Check("window", True, f"{configured:,} tokens (agent.context_window)")
    try:
        found = await asyncio.wait_for(provider.window(), 10)
    except Exception:
        found = None
    if found is None:
        return Check(
            "window",
            True,
            "8,192 tokens (default: the server does not say)",
            "set agent.context_window to the model's window",
        )
    return Check("window", True, f"{found.tokens:,} tokens ({found.source})")


async def _tools(config: Config, provider: Provider) -> Check:
    from marimo_tui.agent.probe import probe_tools

    agent = config.agent
    result = await probe_tools(
        provider, json_mode=agent.tool_mode == "json", tool_choice=agent.tool_choice
    )
    return Check("tools", result.ok, result.detail, result.hint)
