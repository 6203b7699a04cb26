"""`marimo-tui.yaml`: a typed model with a default for every key.

The file is found from the current folder upward (or given with `--config` /
`MARIMO_TUI_CONFIG`); `MARIMO_TUI_<SECTION>_<KEY>` environment variables override it. Any
mistake — YAML syntax, an unknown key, a wrong type — is one `ConfigError` naming the file, the
line and the key. This module imports nothing else of marimo_tui.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

CONFIG_NAME = "marimo-tui.yaml"
STATE_DIR = ".marimo-tui"
ENV_PREFIX = "MARIMO_TUI_"
ENV_CONFIG = "MARIMO_TUI_CONFIG"
# libyaml's loader when PyYAML has it: the config is read before the first frame.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


class ConfigError(Exception):
    """One line: file, line and key of the first problem in a configuration."""

    def __init__(self, source: str, message: str, line: int | None = None, key: str = "") -> None:
        self.source, self.line, self.key, self.message = source, line, key, message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")


def public_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def find_config(start: Path) -> Path | None:
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def read_config_text(path: Path) -> str:
    """The file's text; `ConfigError` (with the line) when it is not UTF-8 or not readable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            str(path), f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8", line
        ) from None


def load_config(
    explicit: Path | None = None,
    *,
    start: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The configuration in force: file (explicit, or found upward from `start`) + environment."""
    env = os.environ if environ is None else environ
    start = start or Path.cwd()
    if explicit is None and env.get(ENV_CONFIG):
        explicit = Path(env[ENV_CONFIG])
    path = explicit if explicit is not None else find_config(start)
    if path is not None and not path.is_file():
        raise ConfigError(str(path), "config file not found")
    config = parse_config_text(read_config_text(path), str(path)) if path else Config()
    config.path = path.resolve() if path else None
    config.root = path.resolve().parent if path else start.resolve()
    _apply_env(config, env)
    return config


def parse_config_text(text: str, source: str) -> Config:
    try:
        node = yaml.compose(text, Loader=YAML_LOADER)
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(source, f"YAML syntax error: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, f"YAML error: {exc}") from None
    if node is None or data is None:
        return Config()
    return typing.cast(Config, _convert(Config, data, node, "", source))


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    if origin is list:
        return "a list of " + _describe(typing.get_args(tp)[0]) + "s"
    if origin is dict:
        return "a mapping of names to " + _describe(typing.get_args(tp)[1]) + "s"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _convert(tp: Any, value: Any, node: yaml.Node | None, key: str, source: str) -> Any:
    def fail(message: str) -> ConfigError:
        return ConfigError(source, message, _line(node), key)

    # Name the value as written (`yes`), not as YAML 1.1 read it (`True`).
    shown = repr(node.value) if isinstance(node, yaml.ScalarNode) else repr(value)

    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise fail(f"expected a mapping, got {shown}")
        fields = {f.name: f for f in public_fields(tp)}
        nodes = _mapping_nodes(node)
        kwargs: dict[str, Any] = {}
        hints = typing.get_type_hints(tp)
        for name, item in value.items():
            sub = f"{key}.{name}" if key else str(name)
            if name not in fields:
                close = difflib.get_close_matches(str(name), fields, n=1)
                hint = f"did you mean {close[0]}?" if close else "valid: " + ", ".join(fields)
                raise ConfigError(
                    source, f"unknown key ({hint})", _line(nodes.get(name, node)), sub
                )
            kwargs[name] = _convert(hints[name], item, nodes.get(name), sub, source)
        return tp(**kwargs)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, node, key, source)
            except ConfigError:
                continue
        raise fail(f"expected {_describe(tp)}, got {shown}")
    if origin is Literal:
        if isinstance(value, bool) and isinstance(node, yaml.ScalarNode):
            value = node.value  # `off`, as written, where YAML 1.1 reads False
        if value not in typing.get_args(tp):
            raise fail(f"expected {_describe(tp)}, got {shown}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise fail(f"expected {_describe(tp)}, got {shown}")
        items = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(value)
        (inner,) = typing.get_args(tp)
        return [
            _convert(inner, v, n, f"{key}[{i}]", source)
            for i, (v, n) in enumerate(zip(value, items, strict=False))
        ]
    if origin is dict:
        if not isinstance(value, dict):
            raise fail(f"expected {_describe(tp)}, got {shown}")
        _, inner = typing.get_args(tp)
        nodes = _mapping_nodes(node)
        out = {}
        for k, v in value.items():
            out[str(k)] = _convert(inner, v, nodes.get(k), f"{key}.{k}", source)
        return out
    if tp is bool:
        if not isinstance(value, bool):
            raise fail(f"expected true or false, got {shown}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"expected an integer, got {shown}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"expected a number, got {shown}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise fail(f"expected a string, got {shown} (quote it)")
        return value
    raise fail(f"unsupported type {tp!r}")  # a schema bug, not a user mistake


def _mapping_nodes(node: yaml.Node | None) -> dict[Any, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {yaml.safe_load(yaml.serialize(k)): v for k, v in node.value}


def _apply_env(config: Config, env: Mapping[str, str]) -> None:
    """`MARIMO_TUI_AGENT_MODEL=llama3.1` sets `agent.model`; `MARIMO_TUI_THEME` sets `theme`."""
    hints = typing.get_type_hints(Config)
    sections = {f.name: f for f in public_fields(Config)}
    for var, raw in sorted(env.items()):
        if not var.startswith(ENV_PREFIX) or var == ENV_CONFIG:
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        target: Any = config
        tp: Any = None
        name = ""
        key = ""
        for section, f in sections.items():
            section_type = hints[section]
            if rest == section and not dataclasses.is_dataclass(section_type):
                target, tp, name, key = config, section_type, section, section
                break
            if rest.startswith(section + "_") and dataclasses.is_dataclass(section_type):
                name = rest[len(section) + 1 :]
                target = getattr(config, section)
                key = f"{section}.{name}"
                sub = {f.name for f in public_fields(type(target))}
                if name not in sub:
                    raise ConfigError(
                        var, f"unknown key (valid: {', '.join(sorted(sub))})", None, key
                    )
                tp = typing.get_type_hints(type(target))[name]
                break
        if tp is None:
            continue  # not a configuration variable of ours
        if typing.get_origin(tp) is dict:
            raise ConfigError(
                var, "cannot be set from the environment; use the config file", None, key
            )
        words = typing.get_origin(tp) is Literal and all(
            isinstance(a, str) for a in typing.get_args(tp)
        )
        value: Any = raw if tp is str or tp == (str | None) or words else _yaml_scalar(raw)
        setattr(target, name, _convert(tp, value, None, key, var))


def _yaml_scalar(raw: str) -> Any:
    try:
        return yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        return raw


def render_config(config: Config | None = None) -> str:
    """A commented `marimo-tui.yaml` with every key and its current value."""
    config = config or Config()
    lines = [
        "# marimo-tui configuration. Every key is optional; shown values are the defaults.",
        "# Environment variables override keys: MARIMO_TUI_<SECTION>_<KEY>, e.g.",
        "# MARIMO_TUI_AGENT_MODEL=llama3.1:8b",
        "",
    ]
    for f in public_fields(Config):
        value = getattr(config, f.name)
        lines.append(f"# {f.metadata['help']}")
        if dataclasses.is_dataclass(value):
            lines.append(f"{f.name}:")
            for sub in public_fields(type(value)):
                lines.append(f"  # {sub.metadata['help']}")
                dumped = yaml.safe_dump(
                    {sub.name: getattr(value, sub.name)}, default_flow_style=True, width=1000
                )
                lines.append("  " + dumped.strip()[1:-1])
        else:
            dumped = yaml.safe_dump({f.name: value}, default_flow_style=True, width=1000)
            lines.append(dumped.strip()[1:-1])
        lines.append("")
    return "\n".join(lines)


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


def user_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/marimo-tui` (default `~/.config/marimo-tui`): user themes live here."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "marimo-tui"
