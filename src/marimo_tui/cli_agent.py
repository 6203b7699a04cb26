"""The agent's commands: one turn without the UI (`agent`), and the tools served to an
outside agent over MCP (`mcp`). Heavy modules are imported inside the commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from marimo_tui.cli_common import State, fail, pass_state
from marimo_tui.config import ConfigError, load_config
from marimo_tui.launch import EXIT_USAGE


@click.command()
@click.argument("prompt")
@click.option(
    "--notebook",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The notebook to work on (opened, run by marimo, the default for the tools).",
)
@click.option(
    "--provider",
    type=click.Choice(["ollama", "openai", "scripted"]),
    help="LLM provider (default: agent.provider).",
)
@click.option("--model", help="Model (default: the profile's, else agent.model).")
@click.option("--host", help="Provider URL (default: agent.host).")
@click.option(
    "--script",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="YAML script of assistant turns to replay (with --provider scripted).",
)
@click.option(
    "--approval",
    type=click.Choice(["ask", "auto", "read-only"]),
    help="ask (on a terminal) / auto / read-only (default: agent.approval).",
)
@click.option("--max-steps", type=click.IntRange(min=1), help="Most tool calls in the turn.")
@click.option("--agent", "profile", help="Agent profile (default: agent.profile).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON event per line.")
@pass_state
def agent(
    state: State,
    prompt: str,
    notebook: Path | None,
    provider: str | None,
    model: str | None,
    host: str | None,
    script: Path | None,
    approval: str | None,
    max_steps: int | None,
    profile: str | None,
    as_json: bool,
) -> None:
    """Run one agent turn on PROMPT without the UI (marimo reruns the edits).

    Exits 0 when the turn ends normally, 1 when it ends on an error or a limit, 2 for usage
    errors, 130 on Ctrl-C (the turn is cancelled; no write is left half done).
    """
    import asyncio

    from marimo_tui.agent.headless import run_agent
    from marimo_tui.agent.start import Overrides

    if script is not None and provider is None:
        provider = "scripted"
    overrides = Overrides(
        provider=provider,
        model=model,
        host=host,
        script=script,
        approval=approval,  # type: ignore[arg-type]
        max_steps=max_steps,
        profile=profile,
    )
    code = asyncio.run(
        run_agent(state.config(), prompt, overrides, notebook=notebook, as_json=as_json)
    )
    sys.exit(code)


@click.command()
@click.option(
    "--http",
    "http",
    is_flag=True,
    help="Serve streamable HTTP on 127.0.0.1 (bearer token in .marimo-tui/mcp-token) "
    "instead of stdio.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="With --http: the port (0: a free one, named on stderr).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The project folder (default: the one whose marimo-tui.yaml is found upward).",
)
@pass_state
def mcp(state: State, http: bool, port: int, root: Path | None) -> None:
    """Serve the project's cell tools and notebooks to an outside agent over MCP.

    On stdio by default (what an agent's config launches: `marimo-tui mcp`). Edits go through
    the same store as the built-in agent's (atomic, journaled, conflict-checked, inside the
    project) and return marimo's rerun. Stops its marimo server when the client disconnects.
    """
    from marimo_tui.mcp_server.run import run_mcp

    try:
        config = load_config(state.config_path, start=root.resolve() if root else None)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    sys.exit(run_mcp(config, http=http, port=port))
