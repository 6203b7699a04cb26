"""One action table for keys, palette and keys screen; workbench events as typed messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.actions import parse
from textual.command import CommandPalette

from marimo_tui.events import KernelChanged, Notice, TaskChanged
from marimo_tui.tasks import Task
from marimo_tui.tui.actions import (
    ACTIONS,
    APP_BINDINGS,
    CELL_BINDINGS,
    RUNS_BINDINGS,
    TASK_BINDINGS,
)
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.widgets.cell_view import CellView
from marimo_tui.tui.widgets.runs_pane import RunsPane
from marimo_tui.tui.widgets.tasks_pane import TasksPane
from tests.test_tui import palette_offers
from tests.tui_support import analysed, isolate_user_config, make_app, make_project, wait_until

WIDE = (200, 50)
OWNERS = {"app": WorkbenchApp, "cells": CellView, "tasks": TasksPane, "runs": RunsPane}


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


def test_every_action_names_a_method_of_its_pane_and_ids_are_unique() -> None:
    ids = [a.id for a in ACTIONS]
    assert len(ids) == len(set(ids))
    for action in ACTIONS:
        name, _args = parse(action.action)[1:]
        assert hasattr(OWNERS[action.where], f"action_{name}"), action.id
        assert action.keys or action.title, f"{action.id} can be reached neither way"
    bound = {b.id for b in (*APP_BINDINGS, *CELL_BINDINGS, *TASK_BINDINGS, *RUNS_BINDINGS)}
    assert bound == {a.id for a in ACTIONS if a.keys}
    assert WorkbenchApp.BINDINGS == APP_BINDINGS and CellView.BINDINGS == CELL_BINDINGS
    assert RunsPane.BINDINGS == RUNS_BINDINGS and TasksPane.BINDINGS == TASK_BINDINGS


async def test_the_palette_offers_the_table_and_runs_the_same_action_as_the_key(
    tmp_path: Path,
) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path, watch=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {a.title for a in ACTIONS if a.title and a.where != "runs"} <= titles  # no Dagster
        view = app.cell_view
        await pilot.press("ctrl+p")
        await wait_until(lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press(*"fold or unfold all")
        await wait_until(lambda: palette_offers(app, "fold or unfold all"), what="the command")
        await pilot.press("enter")
        await wait_until(lambda: all(b.folded for b in view.blocks), what="every cell folded")
        await pilot.press("z")  # the key of the same action
        await wait_until(lambda: not any(b.folded for b in view.blocks), what="unfolded")


async def test_events_reach_the_panes_that_follow_them_and_a_pane_bug_is_one_notice(
    tmp_path: Path,
) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path, watch=False, run=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        wb = app.workbench
        wb.publish(TaskChanged(Task(id="t1", title="follow me")))
        await wait_until(lambda: "t1" in app.tasks_pane._task_nodes, what="the task in the tree")
        wb.publish(Notice("hello from the workbench"))
        await wait_until(
            lambda: any("hello from" in str(n.message) for n in app._notifications),
            what="the notice",
        )

        def broken(*_: object) -> None:
            raise RuntimeError("a view bug")

        app.cell_view.set_kernel = broken  # type: ignore[method-assign]
        assert wb.current is not None
        wb.publish(KernelChanged(wb.current, None, None))  # type: ignore[arg-type]
        await wait_until(
            lambda: any("display error" in str(n.message) for n in app._notifications),
            what="the display error",
        )
        assert app.is_running
        await pilot.press("down")  # still responsive
        wb.publish(KernelChanged(tmp_path / "other.py", None, None))  # type: ignore[arg-type]
        await pilot.pause()
        errors = [n for n in app._notifications if "display error" in str(n.message)]
        assert len(errors) == 1, "an event about another notebook reached the view"


def test_a_burst_of_kernel_changes_is_one_message_until_the_pane_takes_it(tmp_path: Path) -> None:
    from marimo_tui.runtime.kernel_state import KernelState
    from marimo_tui.tui import workbench_messages as wm

    class Pane:
        def __init__(self) -> None:
            self.posted: list[object] = []

        def on_workbench_kernel_changed(self, message: object) -> None: ...

        def post_message(self, message: object) -> bool:
            self.posted.append(message)
            return True

    pane, kernel, path = Pane(), KernelState(), tmp_path / "nb.py"
    for cell_id in ("a", "b", None, "c"):
        wm.deliver(KernelChanged(path, kernel, cell_id), path, [pane])  # type: ignore[list-item]
    (first,) = pane.posted
    assert isinstance(first, wm.KernelChanged) and first.cell_ids == ["a", "b", None, "c"]
    first.taken = True  # the pane began with it: what comes next is a new message
    wm.deliver(KernelChanged(path, kernel, "d"), path, [pane])  # type: ignore[list-item]
    wm.deliver(KernelChanged(path, KernelState(), "e"), path, [pane])  # type: ignore[list-item]
    assert [m.cell_ids for m in pane.posted[1:]] == [["d"], ["e"]]  # type: ignore[attr-defined]
