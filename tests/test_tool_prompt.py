"""The fixed part of every request — system prompt plus tool schemas — is small and the same
bytes every time: a 4k window must hold it with room to work, and servers reuse their KV cache
only for a byte-identical prefix."""

from __future__ import annotations

import json
import subprocess
import sys

from marimo_tui.agent.profiles import BUILT_IN, MARIMO_RULES, Profile
from marimo_tui.agent.tools import TOOLS, specs

FIXED_CHARS = 8_000  # ≈ 2,000 tokens counted as characters / 4


def fixed_prompt(profile: Profile, *, dagster: bool = False) -> str:
    """The system prompt and the tools as sent on the wire."""
    tools = specs(list(profile.tools) or None, dagster=dagster)
    return profile.system_prompt + json.dumps([t.wire() for t in tools])


def test_the_default_profiles_fixed_prompt_fits_in_2000_tokens() -> None:
    default = BUILT_IN["data-engineer"]
    assert len(fixed_prompt(default)) <= FIXED_CHARS, len(fixed_prompt(default))
    # With Dagster's three tools too.
    assert len(fixed_prompt(default, dagster=True)) <= FIXED_CHARS
    for profile in BUILT_IN.values():
        assert len(fixed_prompt(profile, dagster=True)) <= FIXED_CHARS, profile.name


def test_specs_are_byte_identical_across_calls_and_processes() -> None:
    def wire() -> str:
        return json.dumps([t.wire() for t in specs(dagster=True)])

    first = wire()
    assert wire() == first
    assert [t.name for t in specs()] == list(TOOLS)  # a fixed order, Dagster's last
    assert [t.name for t in specs(dagster=True)][-3:] == [
        "list_assets",
        "launch_asset",
        "run_status",
    ]
    assert json.dumps([t.wire() for t in specs(["edit_cell", "list_cells"])]) == json.dumps(
        [t.wire() for t in specs(["list_cells", "edit_cell"])]
    )
    # Another interpreter (another hash seed) builds the same bytes.
    script = (
        "import json; from marimo_tui.agent.tools import specs; "
        "print(json.dumps([t.wire() for t in specs(dagster=True)]), end='')"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert other.stdout == first


def test_the_rules_small_models_break_are_still_told() -> None:
    rules = MARIMO_RULES
    for rule in (
        "exactly one cell",  # one definition per global name
        "last expression is its output",
        "list_cells before editing",
        "fix failures",
        "`plan`",
        "`update_task`",
        "no shell",
    ):
        assert rule in rules, rule
    small = BUILT_IN["small"].system_prompt
    for rule in ("one cell only", "last expression is its output", "list_cells first", "No shell"):
        assert rule in small, rule


def test_the_small_profile_offers_six_tools_and_a_shorter_prompt() -> None:
    small = BUILT_IN["small"]
    default = BUILT_IN["data-engineer"]
    offered = [t.name for t in specs(list(small.tools), dagster=True)]
    assert offered == [
        "list_cells",
        "read_cell",
        "read_outputs",
        "add_cell",
        "edit_cell",
        "delete_cell",
    ]
    assert len(small.system_prompt) < len(default.system_prompt) / 2
    assert len(fixed_prompt(small, dagster=True)) < len(fixed_prompt(default)) / 2
    # Its prompt names no tool it does not have.
    for name in set(TOOLS) - set(small.tools):
        assert name not in small.system_prompt, name


def test_a_configured_profile_over_small_keeps_its_rules() -> None:
    from marimo_tui.agent.profiles import _from_config
    from marimo_tui.config_schema import AgentProfile

    custom = _from_config("small", AgentProfile(system_prompt="Use polars."), BUILT_IN["small"])
    assert custom.rules == BUILT_IN["small"].rules and custom.tools == BUILT_IN["small"].tools
    assert custom.system_prompt.endswith("Use polars.\n")
    fresh = _from_config("mine", AgentProfile(system_prompt="Be brief."), None)
    assert fresh.rules == MARIMO_RULES and fresh.tools == ()
