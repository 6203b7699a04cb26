"""The headless backend in-process (no marimo server: these are about turns, tools offered and
what leaves): `undo` by turn, Dagster's tools only when configured, secrets redacted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from marimo_tui.agent.tools import DAGSTER, ToolOutcome, specs
from marimo_tui.config import load_config
from marimo_tui.mcp_server.headless_backend import HeadlessProject
from marimo_tui.mcp_server.results import outcome_result
from marimo_tui.redaction import Redactor
from tests.tui_support import make_project

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


async def started(root: Path, **config: str) -> HeadlessProject:
    make_project(root, CELLS, **config)
    project = HeadlessProject(load_config(start=root, environ={}))
    await project.start(run=False)
    return project


async def test_undo_reverts_the_last_turn_a_turn_ending_at_plan(tmp_path: Path) -> None:
    project = await started(tmp_path)
    path = tmp_path / "notebooks" / "main.py"
    client = await project.open("claude-code")
    try:
        original = path.read_bytes()
        first = await client.call("add_cell", {"code": "a = 1"})
        assert not first.is_error, first.text
        await client.call("add_cell", {"code": "b = 2"})
        after_first_turn = path.read_bytes()
        planned = await client.call("plan", {"tasks": ["tidy"]})
        assert not planned.is_error, planned.text
        await client.call("edit_cell", {"cell": "shown", "search": "* 2", "replace": "* 3"})
        assert path.read_bytes() != after_first_turn

        undone = await client.call("undo", {})
        assert not undone.is_error and len(undone.data["undone"]) == 1
        assert path.read_bytes() == after_first_turn  # only the turn after the plan
        undone = await client.call("undo", {})
        assert len(undone.data["undone"]) == 2
        assert path.read_bytes() == original
        assert (await client.call("undo", {})).is_error
        # Undo changed the file under the agent: its next edit reads it again, no conflict.
        again = await client.call("edit_cell", {"cell": "shown", "code": "doubled = 4"})
        assert not again.is_error, again.text
        journal = project.workbench.store.journal.entries()
        groups = {e.group for e in journal if e.op != "undo"}  # (undoing is not a turn's write)
        assert len(groups) == 3 and all(str(g).startswith("claude-code-") for g in groups)
    finally:
        await project.close()


async def test_dagsters_tools_are_offered_only_when_it_is_configured(tmp_path: Path) -> None:
    plain = await started(tmp_path / "plain")
    names = [s.name for s in await (await plain.open("x")).list_tools()]
    assert names == [s.name for s in specs()] + ["undo"]
    assert not set(DAGSTER) & set(names)
    await plain.close()
    paired = await started(tmp_path / "paired", dagster="{url: 'http://127.0.0.1:9'}")
    names = [s.name for s in await (await paired.open("x")).list_tools()]
    assert set(DAGSTER) <= set(names)
    await paired.close()


async def test_a_result_leaves_with_every_secret_redacted(tmp_path: Path) -> None:
    secret = "s3cr3t-value-0123456789"
    redact = Redactor([secret])
    outcome = ToolOutcome(
        {"ok": True, "errors": [{"cell": "leak", "error": f"KeyError: {secret}"}]},
        f"edited leak · printed {secret}",
    )
    result = outcome_result(outcome, redact)
    assert secret not in result.text and secret not in repr(result.data)
    assert "***" in result.text and "failing cells:\n- leak: KeyError: ***" in result.text


async def test_reading_a_notebook_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = await started(tmp_path / "project")
    (tmp_path / "secret.py").write_text("import marimo\napp = marimo.App()\n")
    client = await project.open("x")
    try:
        for path in ("../secret.py", str(tmp_path / "secret.py"), "notebooks/missing.py"):
            try:
                await client.read_notebook(path)
            except ValueError:
                continue
            raise AssertionError(f"{path} was read")
        text = await client.read_notebook("notebooks/main.py")
        assert text.startswith("# notebooks/main.py · 2 cells")
    finally:
        await project.close()


def test_the_headless_project_answers_for_the_client_as_auto(tmp_path: Path) -> None:
    make_project(tmp_path, CELLS, agent="{approval: ask}")
    config = load_config(start=tmp_path, environ={})
    assert config.agent.approval == "ask"
    project = HeadlessProject(replace(config))
    # The outside client asks its user; the kernels are confined as for `auto`.
    assert project.config.agent.approval == "auto"


def test_the_tools_marked_read_only_exist_and_write_nothing() -> None:
    from marimo_tui.agent.tools import TOOLS
    from marimo_tui.mcp_server.server import READ_ONLY

    known = {**TOOLS, **DAGSTER}
    assert set(READ_ONLY) <= set(known)
    assert not [name for name in READ_ONLY if known[name].writes]
