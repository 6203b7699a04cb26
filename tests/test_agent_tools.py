"""The agent's tools over a real workbench and store (no marimo server: these are about what
gets written, refused and reported)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from marimo_tui.agent.events import AgentEvent, ApprovalAsked, TaskUpdated
from marimo_tui.agent.tools import TOOLS, Answer, ToolContext, ToolFailure, dispatch, specs
from marimo_tui.config import load_config
from marimo_tui.workbench import Workbench
from tests.tui_support import make_project, render

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


def workbench(tmp_path: Path) -> tuple[Workbench, Path]:
    path = make_project(tmp_path, CELLS)
    wb = Workbench(load_config(start=tmp_path, environ={}))
    wb.current = path
    return wb, path


def context(
    wb: Workbench, approval: str = "auto", answers: list[Answer] | None = None
) -> tuple[ToolContext, list[AgentEvent]]:
    events: list[AgentEvent] = []
    queue = list(answers or [])

    async def approver(asked: ApprovalAsked) -> Answer:
        return queue.pop(0)

    ctx = ToolContext(wb, "turn-test", events.append, approval=approval, approver=approver)  # type: ignore[arg-type]
    return ctx, events


async def test_reading_tools_describe_cells(tmp_path: Path) -> None:
    wb, _ = workbench(tmp_path)
    ctx, _ = context(wb)
    listed = await dispatch(ctx, "list_cells", {})
    cells = listed.data["cells"]
    assert [c["name"] for c in cells] == ["source", "shown"]
    assert cells[1]["defines"] == ["doubled"] and cells[1]["reads"] == ["value"]
    # Compact: no code, no empty lists, and no server said once rather than once a cell.
    assert "reads" not in cells[0] and "code" not in cells[0] and "status" not in cells[0]
    assert listed.data["status"] == "no marimo server: cells are not run"
    read = await dispatch(ctx, "read_cell", {"cell": "shown"})
    assert read.data["code"] == "doubled = value * 2\ndoubled"
    notebooks = await dispatch(ctx, "list_notebooks", {})
    assert notebooks.data["notebooks"] == ["notebooks/main.py"]


async def test_edits_are_written_journaled_and_undone_as_one_group(tmp_path: Path) -> None:
    wb, path = workbench(tmp_path)
    ctx, _ = context(wb)
    original = path.read_bytes()
    await dispatch(ctx, "list_cells", {})
    added = await dispatch(ctx, "add_cell", {"code": "tripled = value * 3", "after": "source"})
    assert added.data["ok"] and "tripled = value * 3" in path.read_text()
    assert "+tripled = value * 3" in added.diff
    assert set(added.data["cell"]) == {"id"}  # unnamed: no null name
    edited = await dispatch(
        ctx, "edit_cell", {"cell": "shown", "search": "value * 2", "replace": "value * 4"}
    )
    assert "-doubled = value * 2" in edited.diff and "+doubled = value * 4" in edited.diff
    # The model sent the code: the results do not send it back (the diff is for the chat).
    assert "value * 3" not in json.dumps(added.data) and "value * 4" not in json.dumps(edited.data)
    await dispatch(ctx, "rename_cell", {"cell": "#2", "name": "triple"})
    await dispatch(ctx, "move_cell", {"cell": "triple", "position": 3})
    await dispatch(ctx, "delete_cell", {"cell": "source"})
    assert ctx.writes == 5
    assert [c.name for c in wb.store.read(path).cells] == ["shown", "triple"]
    await wb.run_in_store(lambda s: s.undo_group("turn-test"))
    assert path.read_bytes() == original


async def test_bad_arguments_are_refused_before_anything_runs(tmp_path: Path) -> None:
    wb, path = workbench(tmp_path)
    ctx, _ = context(wb)
    before = path.read_bytes()
    with pytest.raises(ToolFailure, match="code"):
        await dispatch(ctx, "add_cell", {})
    with pytest.raises(ToolFailure, match="position"):
        await dispatch(ctx, "move_cell", {"cell": "source", "position": "first"})
    with pytest.raises(ToolFailure, match="unknown tool"):
        await dispatch(ctx, "run_shell", {"command": "rm -rf /"})
    with pytest.raises(ToolFailure, match="Additional properties"):
        await dispatch(ctx, "delete_cell", {"cell": "source", "force": True})
    with pytest.raises(ToolFailure, match="not found"):
        await dispatch(ctx, "edit_cell", {"cell": "source", "search": "nope", "replace": "x"})
    with pytest.raises(ToolFailure, match="no cell"):
        await dispatch(ctx, "delete_cell", {"cell": "missing"})
    assert path.read_bytes() == before and ctx.writes == 0


@pytest.mark.parametrize("target", ["../outside.py", "/tmp/elsewhere.py", "notebooks/link.py"])
async def test_paths_outside_the_project_are_refused(tmp_path: Path, target: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    wb, _ = workbench(project)
    outside = tmp_path / "outside.py"
    outside.write_text(render(CELLS))
    os.symlink(outside, project / "notebooks" / "link.py")
    ctx, _ = context(wb)
    before = outside.read_bytes()
    with pytest.raises(ToolFailure, match="outside the project"):
        await dispatch(ctx, "add_cell", {"notebook": target, "code": "evil = 1"})
    with pytest.raises(ToolFailure, match="outside the project"):
        await dispatch(ctx, "create_notebook", {"path": target})
    assert outside.read_bytes() == before


async def test_read_only_and_declined_edits_write_nothing(tmp_path: Path) -> None:
    wb, path = workbench(tmp_path)
    before = path.read_bytes()
    ctx, _ = context(wb, "read-only")
    with pytest.raises(ToolFailure, match="read-only"):
        await dispatch(ctx, "add_cell", {"code": "x = 1"})
    with pytest.raises(ToolFailure, match="read-only"):
        await dispatch(ctx, "create_notebook", {"path": "notebooks/new.py"})
    ctx, events = context(wb, "ask", ["no"])
    with pytest.raises(ToolFailure, match="declined"):
        await dispatch(ctx, "edit_cell", {"cell": "source", "code": "value = 2"})
    asked = [e for e in events if isinstance(e, ApprovalAsked)]
    assert asked and "-value = 1" in asked[0].diff and "+value = 2" in asked[0].diff
    assert path.read_bytes() == before
    assert not (tmp_path / "notebooks" / "new.py").exists()
    # "all" approves this edit and every later one of the same turn without asking.
    ctx, events = context(wb, "ask", ["all"])
    await dispatch(ctx, "edit_cell", {"cell": "source", "code": "value = 2"})
    await dispatch(ctx, "edit_cell", {"cell": "source", "code": "value = 3"})
    assert len([e for e in events if isinstance(e, ApprovalAsked)]) == 1
    assert "value = 3" in path.read_text()


async def test_a_file_changed_since_the_agent_read_it_is_a_conflict(tmp_path: Path) -> None:
    wb, path = workbench(tmp_path)
    ctx, _ = context(wb)
    await dispatch(ctx, "list_cells", {})
    theirs = render([("source", "value = 10"), *CELLS[1:]])
    path.write_text(theirs)  # the user's editor, between the agent's read and its write
    with pytest.raises(ToolFailure, match="changed on disk since you read it"):
        await dispatch(ctx, "edit_cell", {"cell": "shown", "code": "doubled = value * 5"})
    assert path.read_text() == theirs
    await dispatch(ctx, "list_cells", {})  # read again: now the edit goes through
    await dispatch(ctx, "edit_cell", {"cell": "shown", "code": "doubled = value * 5"})
    assert "value = 10" in path.read_text() and "value * 5" in path.read_text()


async def test_plan_and_update_task_drive_the_task_tree(tmp_path: Path) -> None:
    wb, _ = workbench(tmp_path)
    ctx, events = context(wb)
    ctx.prompt = "Load the sales data and chart revenue per region\nthen export it"
    planned = await dispatch(
        ctx, "plan", {"tasks": ["load data", {"title": "clean", "subtasks": ["drop nulls"]}]}
    )
    ids = [t["id"] for t in planned.data["tasks"]]
    assert len(ids) == 3 and planned.data["tasks"][2]["parent"] == ids[1]
    await dispatch(ctx, "update_task", {"id": ids[0], "status": "running"})
    await dispatch(ctx, "update_task", {"id": ids[0], "status": "done", "note": "42 rows"})
    task = wb.tasks.get(ids[0])
    assert task.status == "done" and task.owner == "agent" and task.elapsed() is not None
    assert [e.status for e in events if isinstance(e, TaskUpdated)][-1] == "done"
    with pytest.raises(ToolFailure, match="no task"):
        await dispatch(ctx, "update_task", {"id": "nope", "status": "done"})
    # The tree is saved under .marimo-tui/ and comes back.
    assert (tmp_path / ".marimo-tui" / "tasks.json").exists()


async def test_a_turns_plan_hangs_under_one_task_for_the_turn(tmp_path: Path) -> None:
    wb, _ = workbench(tmp_path)
    ctx, events = context(wb)
    ctx.prompt = "Load the sales data and chart revenue per region, then export it\nas HTML"
    first = await dispatch(ctx, "plan", {"tasks": ["load", {"title": "chart", "subtasks": ["x"]}]})
    turn = ctx.turn_task
    assert turn is not None
    node = wb.tasks.get(turn)
    assert node.owner == "agent" and node.status == "running" and node.parent is None
    assert node.title == "Load the sales data and chart revenue per region, then…"
    load, chart, sub = first.data["tasks"]
    assert wb.tasks.get(load["id"]).parent == turn and wb.tasks.get(chart["id"]).parent == turn
    assert "parent" not in load and sub["parent"] == chart["id"]
    # The turn's task is told to the view like the others, before its children.
    told = [e.task_id for e in events if isinstance(e, TaskUpdated)]
    assert told[0] == turn
    # A second plan of the same turn joins it; one under a task of the plan goes there.
    await dispatch(ctx, "plan", {"tasks": ["export"]})
    await dispatch(ctx, "plan", {"tasks": ["check the chart"], "parent": chart["id"]})
    assert [t.title for t in wb.tasks.children(turn)] == ["load", "chart", "export"]
    assert [t.title for t in wb.tasks.children(None)].count(node.title) == 1
    with pytest.raises(ToolFailure, match="no task"):
        await dispatch(ctx, "plan", {"tasks": ["y"], "parent": "a999"})
    # Another turn gets a task of its own; an empty prompt is titled "turn".
    other, _ = context(wb)
    await dispatch(other, "plan", {"tasks": ["again"]})
    assert other.turn_task not in (None, turn) and wb.tasks.get(other.turn_task).title == "turn"


async def test_create_notebook_from_a_template(tmp_path: Path) -> None:
    wb, _ = workbench(tmp_path)
    ctx, _ = context(wb)
    made = await dispatch(ctx, "create_notebook", {"path": "notebooks/fresh.py"})
    assert made.data["notebook"] == "notebooks/fresh.py"
    assert (tmp_path / "notebooks" / "fresh.py").exists() and wb.current == (
        tmp_path / "notebooks" / "fresh.py"
    )
    with pytest.raises(ToolFailure, match="already exists"):
        await dispatch(ctx, "create_notebook", {"path": "notebooks/fresh.py"})
    with pytest.raises(ToolFailure, match="no template"):
        await dispatch(ctx, "create_notebook", {"path": "notebooks/x.py", "template": "nope"})


async def test_list_templates_tells_what_create_notebook_can_start_from(
    tmp_path: Path,
) -> None:
    wb, _ = workbench(tmp_path)
    ctx, _ = context(wb)
    listed = await dispatch(ctx, "list_templates", {})
    by_name = {t["name"]: t for t in listed.data["templates"]}
    explore = by_name["explore-data"]
    assert explore["description"].startswith("Profile a CSV or Parquet table")
    assert explore["sample_data"] == ["sales.csv"] and "data" in explore["params"]
    assert "params" not in by_name["blank"] and "sample_data" not in by_name["blank"]
    # One template: its parameters' defaults and help too.
    (one,) = (await dispatch(ctx, "list_templates", {"name": "explore-data"})).data["templates"]
    assert {k: v for k, v in one.items() if k != "params"} == {
        k: v for k, v in explore.items() if k != "params"
    }
    (data,) = [p for p in one["params"] if p["name"] == "data"]
    assert data["default"] == "data/sales.csv" and data["help"]
    assert [p["name"] for p in one["params"]] == explore["params"]
    with pytest.raises(ToolFailure, match=r"no template 'nope'; templates: .*blank"):
        await dispatch(ctx, "list_templates", {"name": "nope"})
    # The catalogue is not in create_notebook's schema: that is the same in every request.
    (spec,) = [s for s in specs() if s.name == "create_notebook"]
    assert "explore-data" not in json.dumps(spec.wire())
    made = await dispatch(
        ctx, "create_notebook", {"path": "notebooks/look.py", "template": "explore-data"}
    )
    assert made.data["sample_data"] == ["notebooks/data/sales.csv"]
    assert (tmp_path / "notebooks" / "data" / "sales.csv").is_file()
    assert all("code" not in c and "status" not in c for c in made.data["cells"])


def test_every_tool_has_a_valid_schema_and_no_shell() -> None:
    from jsonschema import Draft202012Validator

    for spec in specs(dagster=True):
        Draft202012Validator.check_schema(dict(spec.parameters))
        assert spec.wire()["function"]["name"] == spec.name
    assert not {"shell", "bash", "exec", "run_command"} & set(TOOLS)


def test_the_registry_keeps_every_name_others_import() -> None:
    from marimo_tui.agent import tool_base, tools

    for name in ("Approval", "Approver", "Answer", "ToolContext", "ToolFailure", "ToolOutcome"):
        assert getattr(tools, name) is getattr(tool_base, name)
    assert callable(tools.dispatch) and callable(tools.specs) and callable(tools.validate)
