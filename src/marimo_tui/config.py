"""`marimo-tui.yaml`: the configuration in force.

The file is found from the current folder upward (or given with `--config` /
`MARIMO_TUI_CONFIG`); `MARIMO_TUI_<SECTION>_<KEY>` environment variables override it. The typed
model is `config_schema`'s, reading and checking the file `config_parse`'s; `Config`,
`ConfigError` and `YAML_LOADER` can be imported from here too. These modules import nothing
else of marimo_tui.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

from marimo_tui.config_parse import (
    YAML_LOADER,
    ConfigError,
    convert,
    parse_config_text,
    read_config_text,
)
from marimo_tui.config_schema import CONFIG_NAME, Config, public_fields

__all__ = [
    "ENV_CONFIG",
    "ENV_PREFIX",
    "YAML_LOADER",
    "Config",
    "ConfigError",
    "find_config",
    "load_config",
    "render_config",
    "user_config_dir",
]

ENV_PREFIX = "MARIMO_TUI_"
ENV_CONFIG = "MARIMO_TUI_CONFIG"


def find_config(start: Path) -> Path | None:
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


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
        setattr(target, name, convert(tp, value, None, key, var))


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


def user_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/marimo-tui` (default `~/.config/marimo-tui`): user themes live here."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "marimo-tui"
