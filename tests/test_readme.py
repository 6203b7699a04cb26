"""The README stays true: its commands exist (with the options it shows), its config reference
lists every key and nothing else, and the screenshot and templates it names are there."""

from __future__ import annotations

import re

import click
import pytest

from marimo_tui.cli import main
from marimo_tui.config_schema import AgentProfile, config_keys, public_fields
from tests.conftest import REPO
from tests.template_support import ALL

README = (REPO / "README.md").read_text(encoding="utf-8")
# `marimo-tui WORD`, not the config file, the extras or the demo folder's name.
COMMAND = re.compile(r"marimo-tui(?![-.\[\w])(?: --config \S+)? ([a-z][a-z-]*)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


def code_snippets() -> list[str]:
    """Inline code spans and the lines of fenced blocks: where the README shows commands."""
    snippets: list[str] = []
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    for block in re.findall(r"```\w*\n(.*?)```", README, re.S):
        snippets.extend(block.splitlines())
    snippets.extend(re.findall(r"`([^`\n]+)`", prose))
    return snippets


def shown_commands() -> list[tuple[str, str]]:
    """(command, the rest of its snippet up to the next command) for each `marimo-tui CMD`."""
    found = []
    for snippet in code_snippets():
        matches = list(COMMAND.finditer(snippet))
        for n, m in enumerate(matches):
            end = matches[n + 1].start() if n + 1 < len(matches) else len(snippet)
            found.append((m.group(1), snippet[m.end() : end]))
    return found


def test_every_command_shown_exists_with_the_options_shown() -> None:
    shown = shown_commands()
    assert len({c for c, _ in shown}) >= 12
    commands = main.commands
    problems = []
    for name, rest in shown:
        if name in ("PATH", "path"):
            continue
        command = commands.get(name)
        if command is None:
            # `marimo-tui [PATH]` and `marimo-tui notebooks/x.py` open the workbench.
            if "/" in name or name.endswith(".py"):
                continue
            problems.append(f"no command {name!r}")
            continue
        options = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
        options |= {"--help", "--config", "--version"}
        for option in OPTION.findall(rest.split(" -- ")[0].split("#")[0]):
            if option not in options:
                problems.append(f"{name}: no option {option}")
    assert problems == []


def test_the_quick_start_is_two_commands_that_dev_py_has() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", quick, re.S)
    lines = [ln.split("#")[0].strip() for ln in block.strip().splitlines()]
    assert lines == ["python3 dev.py demo", "python3 dev.py test"]
    dev = (REPO / "dev.py").read_text()
    assert 'argv[0] not in ("demo", "test")' in dev
    assert "python3 dev.py test" in (REPO / ".ci" / "run").read_text()


def config_reference() -> list[str]:
    section = README.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-zA-Z_.A-Z]+)` \|", section, re.M)


def test_the_config_reference_lists_every_key_and_only_those() -> None:
    listed = config_reference()
    profile_keys = [f"agents.NAME.{f.name}" for f in public_fields(AgentProfile)]
    expected = config_keys() + profile_keys
    assert sorted(listed) == sorted(expected)
    assert len(listed) == len(set(listed))


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_bundled_template_is_described(name: str) -> None:
    assert f"| `{name}` |" in README.split("## Templates", 1)[1].split("\n## ", 1)[0]


def test_the_screenshot_is_an_svg_exported_from_the_app() -> None:
    (path,) = re.findall(r"!\[[^]]*\]\(([^)]+\.svg)\)", README)
    svg = (REPO / path).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and "textualize" in svg
    # It shows the workbench after the guided demo: the four panes and the replayed session.
    for text in ("cells", "chat", "tasks", "runs", "weekly_revenue", "replay"):
        assert text in svg, text


def test_the_keys_shown_exist() -> None:
    from marimo_tui.tui.app import WorkbenchApp
    from marimo_tui.tui.widgets.cell_view import CellView
    from marimo_tui.tui.widgets.runs_pane import RunsPane
    from marimo_tui.tui.widgets.tasks_pane import TasksPane

    def keys(cls: type) -> set[str]:
        return {k.strip() for b in cls.BINDINGS for k in getattr(b, "key", "").split(",")}

    assert {"ctrl+q", "o", "t", "w", "slash", "escape"} <= keys(WorkbenchApp)
    assert {"e", "n", "d", "K", "J", "r", "u", "R", "i", "X", "v", "z"} <= keys(CellView)
    assert {"enter", "l", "r", "x", "a"} <= keys(RunsPane)
    assert {"a", "space", "x", "d"} <= keys(TasksPane)
