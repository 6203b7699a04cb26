"""marimo-tui.yaml: defaults, validation with file/line/key, environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from marimo_tui.config import load_config, render_config
from marimo_tui.config_parse import ConfigError
from marimo_tui.config_schema import CONFIG_NAME, Config, config_keys


def write(folder: Path, text: str) -> Path:
    path = folder / CONFIG_NAME
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(start=tmp_path, environ={})
    assert config == Config()
    assert config.path is None and config.root == tmp_path.resolve()
    assert config.agent.host == "http://127.0.0.1:11434"
    assert config.dagster.poll_interval == 2.0


def test_found_upward_and_root_is_its_folder(tmp_path: Path) -> None:
    write(tmp_path, "theme: light\nagent:\n  model: llama3.1:8b\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    config = load_config(start=deep, environ={})
    assert config.root == tmp_path.resolve()
    assert (config.theme, config.agent.model) == ("light", "llama3.1:8b")
    assert config.agent.approval == "ask"  # untouched keys keep their defaults


def test_rendered_config_lists_every_key_and_loads_back(tmp_path: Path) -> None:
    text = render_config()
    write(tmp_path, text)
    assert load_config(start=tmp_path, environ={}) == Config()
    data = yaml.safe_load(text)
    flat = [
        f"{k}.{sub}" if isinstance(v, dict) and k not in ("keys", "pairs", "agents") else k
        for k, v in data.items()
        for sub in (v if isinstance(v, dict) and k not in ("keys", "pairs", "agents") else [None])
    ]
    assert flat == config_keys()


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("agent:\n  model: x\n  modle: y\n", 3, "agent.modle", "did you mean model"),
        ("nonsense: 1\n", 1, "nonsense", "unknown key"),
        (
            "agent:\n  approval: yes\n",
            2,
            "agent.approval",
            "one of ask, auto, read-only, got 'yes'",
        ),
        ("agent:\n  max_steps: many\n", 2, "agent.max_steps", "expected an integer"),
        ("marimo:\n  autorun: 1\n", 2, "marimo.autorun", "true or false"),
        ("dagster: [1, 2]\n", 1, "dagster", "expected a mapping"),
        ("pairs:\n  nb.py: [a]\n", 2, "pairs.nb.py", "expected a string"),
        ("agent:\n  model: [x\n", 3, "", "YAML syntax error"),
        ("agent:\n\tmodel: x\n", 2, "", "YAML syntax error"),
    ],
)
def test_mistakes_name_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(start=tmp_path, environ={})
    err = info.value
    assert (err.line, err.key) == (line, key)
    message = str(err)
    assert message.startswith(f"{path}:{line}: ")
    assert words in message and "\n" not in message


def test_environment_overrides(tmp_path: Path) -> None:
    write(tmp_path, "agent:\n  model: from-file\n")
    env = {
        "MARIMO_TUI_AGENT_MODEL": "from-env",
        "MARIMO_TUI_AGENT_MAX_STEPS": "3",
        "MARIMO_TUI_MARIMO_AUTORUN": "false",
        "MARIMO_TUI_DAGSTER_URL": "http://127.0.0.1:3000",
        "MARIMO_TUI_THEME": "high-contrast",
        "MARIMO_TUI_SOMETHING_ELSE": "ignored",
    }
    config = load_config(start=tmp_path, environ=env)
    assert config.agent.model == "from-env"
    assert config.agent.max_steps == 3
    assert config.marimo.autorun is False
    assert config.dagster.url == "http://127.0.0.1:3000"
    assert config.theme == "high-contrast"


def test_bad_environment_values_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"MARIMO_TUI_AGENT_MAX_STEPS: agent\.max_steps"):
        load_config(start=tmp_path, environ={"MARIMO_TUI_AGENT_MAX_STEPS": "lots"})
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(start=tmp_path, environ={"MARIMO_TUI_AGENT_MODLE": "x"})


def test_explicit_path_and_env_var(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.yaml"
    other.write_text("theme: x\n")
    assert load_config(other, environ={}).theme == "x"
    assert load_config(start=tmp_path, environ={"MARIMO_TUI_CONFIG": str(other)}).theme == "x"
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml", environ={})


def test_empty_file_is_all_defaults(tmp_path: Path) -> None:
    write(tmp_path, "# nothing yet\n")
    assert load_config(start=tmp_path, environ={}) == Config()


def test_the_sidecar_token_variable_is_not_read_as_a_config_key(tmp_path: Path) -> None:
    config = load_config(start=tmp_path, environ={"MARIMO_TUI_SIDECAR_TOKEN": "secret"})
    assert config.marimo.token_env == "MARIMO_TUI_SIDECAR_TOKEN"
