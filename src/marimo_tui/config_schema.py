"""The typed model of `marimo-tui.yaml`: one dataclass per section, a default and a line of help
for every key (`render_config` writes the help above each key).
Loading, checking and environment overrides are `config`'s; this module imports nothing of
marimo_tui, nor yaml.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

CONFIG_NAME = "marimo-tui.yaml"
STATE_DIR = ".marimo-tui"


def _help(text: str, **kwargs: Any) -> Any:
    return field(metadata={"help": text}, **kwargs)


@dataclass
class NotebooksConfig:
    folder: str = _help(
        "Folder holding the project's notebooks, relative to this file.", default="."
    )
    exclude: list[str] = _help(
        "Folder names never searched for notebooks.",
        default_factory=lambda: [
            ".git",
            ".venv",
            "venv",
            "node_modules",
            "__pycache__",
            "__marimo__",
            STATE_DIR,
        ],
    )
    templates: str | None = _help(
        "A folder of your own notebook templates (listed next to the bundled ones).", default=None
    )


@dataclass
class AgentConfig:
    provider: Literal["ollama", "openai", "scripted"] = _help(
        "LLM provider: ollama, openai (any OpenAI-compatible endpoint) or scripted.",
        default="ollama",
    )
    model: str = _help("Model name, e.g. qwen2.5-coder:7b for Ollama.", default="qwen2.5-coder:7b")
    host: str = _help(
        "Provider URL (Ollama's default is http://127.0.0.1:11434).",
        default="http://127.0.0.1:11434",
    )
    api_key_env: str = _help(
        "Name of the environment variable holding the API key (openai provider).",
        default="OPENAI_API_KEY",
    )
    approval: Literal["ask", "auto", "read-only"] = _help(
        "ask: show each edit's diff first; auto: write without asking; read-only: never write.",
        default="ask",
    )
    max_steps: int = _help("Most tool calls the agent may make in one turn.", default=25)
    timeout: float = _help("Seconds one agent turn may take in all.", default=600.0)
    request_timeout: float = _help(
        "Seconds the LLM server may stay silent: before its first token, or between two.",
        default=120.0,
    )
    answer_timeout: float = _help(
        "Seconds one answer may stream in all, however steadily tokens come.", default=300.0
    )
    context_window: int = _help(
        "Tokens of the model's context window (0: learn it from the server, else 8192). "
        "No request is sent larger than this; older history is compacted to fit.",
        default=0,
    )
    max_tokens: int = _help(
        "Most tokens one answer may have (max_tokens / num_predict): a runaway model stops.",
        default=2048,
    )
    temperature: float | None = _help(
        "Sampling temperature sent with each request (unset: the server's default; 0 makes "
        "a model's tool calls steadier).",
        default=None,
    )
    tool_choice: Literal["auto", "required", "none", "omit"] = _help(
        "What to send as tool_choice: auto, required, none, or omit to leave it out.",
        default="auto",
    )
    tool_mode: Literal["auto", "native", "json"] = _help(
        "native: the server's tool calls; json: one JSON object per step, constrained by a "
        "schema (for models without reliable tool calls); auto: native, switching to json when "
        "the server shows native calls do not work.",
        default="auto",
    )
    profile: str = _help(
        "Agent profile to start with (built in: analyst, data-engineer, ml, reporter; "
        "or one of `agents`).",
        default="data-engineer",
    )
    rerun_timeout: float = _help(
        "Seconds an edit waits for marimo's rerun before telling the agent it is still running.",
        default=30.0,
    )


@dataclass
class AgentProfile:
    description: str = _help("One line shown by /agent.", default="")
    system_prompt: str = _help(
        "What this agent is for; added to the built-in rules of marimo notebooks.", default=""
    )
    tools: list[str] = _help("Tools it may use (empty: all).", default_factory=list)
    model: str = _help("Model for this profile (empty: agent.model).", default="")


@dataclass
class MarimoConfig:
    enabled: bool = _help(
        "Run the open notebook in an embedded marimo server and show its outputs.", default=True
    )
    autorun: bool = _help(
        "Rerun affected cells when a notebook changes on disk (false: mark them stale).",
        default=True,
    )
    host: str = _help("Interface the marimo server binds to.", default="127.0.0.1")
    port: int = _help("Port of the marimo server; 0 picks a free one.", default=0)
    token_env: str = _help(
        "Environment variable holding a fixed token for the marimo server, so a browser's link "
        "survives restarts (unset or empty: a random token each start).",
        default="MARIMO_TUI_SIDECAR_TOKEN",
    )
    idle_kernel_timeout: int = _help(
        "Seconds the kernel of a notebook you left (by opening another) lives on before it is "
        "shut down; coming back within them finds its variables. 0: kernels live until the "
        "workbench quits.",
        default=300,
    )
    nice: int = _help(
        "How much lower than the workbench the marimo server and its kernels run (Unix "
        "niceness added, 0-19): raise it when notebooks that compute on every core make the "
        "screen lag; on an idle machine it costs them nothing. 0: the same priority.",
        default=0,
    )
    confine: Literal["auto", "project", "off"] = _help(
        "project: the marimo server and its kernels may write only inside the project, their "
        "own temp folder and marimo's cache (Linux Landlock); off: wherever you may; auto: "
        "project when agent.approval is auto, else off.",
        default="auto",
    )


@dataclass
class DagsterConfig:
    url: str | None = _help(
        "Dagster webserver URL, e.g. http://127.0.0.1:3000 (unset: no Dagster).", default=None
    )
    token_env: str = _help(
        "Environment variable holding a Dagster+ API token (sent as Dagster-Cloud-Api-Token).",
        default="DAGSTER_CLOUD_API_TOKEN",
    )
    poll_interval: float = _help("Seconds between polls of in-flight runs.", default=2.0)
    timeout: float = _help("Seconds to wait for one GraphQL request.", default=10.0)


@dataclass
class Config:
    notebooks: NotebooksConfig = _help("Where notebooks are.", default_factory=NotebooksConfig)
    theme: str = _help("Colour theme of the workbench.", default="marimo-dark")
    editor: str = _help(
        "How `e` edits a cell: `inline` (a modal editor), `$EDITOR`, or a command such as `vim`.",
        default="inline",
    )
    images: Literal["auto", "halfblocks", "sixel", "kitty"] = _help(
        "How the output viewer draws images: auto, halfblocks, sixel or kitty "
        "(auto asks the terminal only when it is known to have graphics).",
        default="auto",
    )
    keys: dict[str, str] = _help(
        "Key bindings by action name, e.g. `edit_cell: ctrl+e`.", default_factory=dict
    )
    agent: AgentConfig = _help("The AI agent.", default_factory=AgentConfig)
    agents: dict[str, AgentProfile] = _help(
        "Agent profiles by name (over the built-in ones): description, system_prompt, tools, "
        "model. `/agent NAME` switches.",
        default_factory=dict,
    )
    marimo: MarimoConfig = _help("The embedded marimo server.", default_factory=MarimoConfig)
    dagster: DagsterConfig = _help("Dagster connection.", default_factory=DagsterConfig)
    pairs: dict[str, str] = _help(
        "Notebook path -> Dagster asset key, e.g. `notebooks/sales.py: sales/report`.",
        default_factory=dict,
    )

    # Where the configuration came from; not keys of the file.
    path: Path | None = field(default=None, compare=False, metadata={"internal": True})
    root: Path = field(default_factory=Path.cwd, compare=False, metadata={"internal": True})

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def notebooks_dir(self) -> Path:
        return (self.root / self.notebooks.folder).resolve()


def public_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def config_keys() -> list[str]:
    """Every key of the file, dotted (`agent.model`), for references and their tests."""
    keys: list[str] = []
    hints = typing.get_type_hints(Config)
    for f in public_fields(Config):
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            keys.extend(f"{f.name}.{sub.name}" for sub in public_fields(tp))
        else:
            keys.append(f.name)
    return keys
