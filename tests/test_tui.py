"""The workbench app driven with Pilot over real files, the real store and the real watcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import TextArea

from marimo_tui.tui.screens.cell_editor import CellEditorScreen, ConflictScreen
from marimo_tui.tui.screens.dialogs import ConfirmScreen, PromptScreen
from marimo_tui.tui.screens.keys import KeysScreen
from tests.tui_support import (
    CHAIN,
    analysed,
    isolate_user_config,
    make_app,
    make_project,
    render,
    wait_until,
    write_like_an_editor,
)

WIDE = (200, 50)


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


def codes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.cell.code for b in app.cell_view.blocks]


def palette_offers(app, wanted: str) -> bool:  # type: ignore[no-untyped-def]
    """The command palette is open, done searching, with `wanted` highlighted: enter picks it
    (before its search shows a list, enter does nothing)."""
    screen = app.screen
    if not isinstance(screen, CommandPalette):
        return False
    group = CommandPalette._GATHER_COMMANDS_GROUP
    if any(w.group == group and not w.is_finished for w in app.workers):
        return False
    options = screen.query_one(CommandList)
    index = options.highlighted
    if index is None:
        return False
    return wanted in str(options.get_option_at_index(index).prompt).lower()


async def test_first_frame_comes_from_the_quick_read_then_marimo_fills_in(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path, watch=False)
    assert app.initial is not None and app.initial.pending  # no marimo on this path
    async with app.run_test(size=WIDE) as pilot:
        assert [c.code for c in app.cell_view.cells()] == [code for _, code in CHAIN]
        await wait_until(lambda: analysed(app), what="marimo's analysis")
        await pilot.pause()
        total = app.cell_view.notebook.find("total")  # type: ignore[union-attr]
        assert total is not None and total.defs == {"total"} and total.refs == {"numbers", "sum"}
        assert "defines total · reads numbers" in app.cell_view.screen_text()


async def test_keyboard_and_mouse_navigation_with_folding(tmp_path: Path) -> None:
    app = make_app(tmp_path, make_project(tmp_path), watch=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        view = app.cell_view
        assert view.selected_index == 0
        await pilot.press("j", "down")
        assert view.selected_index == 2
        await pilot.press("k")
        assert view.selected_index == 1
        await pilot.press("end")
        assert view.selected_index == len(CHAIN) - 1
        await pilot.press("home")
        assert view.selected_index == 0
        # Selecting `total` highlights the cell it reads from and the cells that read it.
        view.select_id(view.notebook.find("total").id)  # type: ignore[union-attr]
        await pilot.pause()
        nb = view.notebook
        assert nb is not None
        assert view._parents == {nb.find("numbers").id}  # type: ignore[union-attr]
        assert view._children == {nb.cells[3].id, nb.find("report").id}  # type: ignore[union-attr]
        before = view.virtual_size.height
        await pilot.press("enter")
        assert view.virtual_size.height == before  # one-line cell: folded is one line too
        await pilot.press("j")  # the two-line cell
        await pilot.press("enter")
        assert view.virtual_size.height == before - 1
        assert "2 lines folded" in view.screen_text()
        await pilot.press("enter")
        assert view.virtual_size.height == before
        # A click on the first cell's header selects it.
        top = view.blocks[0].top - view.scroll_offset.y
        await pilot.click(view, offset=(5, top))
        assert view.selected_index == 0


async def test_follows_disk_changes_and_keeps_the_selection(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        view = app.cell_view
        view.select_id(view.notebook.find("report").id)  # type: ignore[union-attr]
        await pilot.pause()
        selected = view.selected_id
        # Another tool inserts two cells at the top and edits `total`.
        cells = [("_", "import os"), ("_", "cwd = os.getcwd()"), *CHAIN]
        cells[4] = ("total", "total = sum(numbers) + 1")
        write_like_an_editor(path, render(cells))
        await wait_until(lambda: len(view.blocks) == len(cells), what="the new version")
        assert view.selected_id == selected
        assert view.selected is not None and view.selected.name == "report"
        assert "total = sum(numbers) + 1" in codes(app)
        await wait_until(lambda: analysed(app))
        assert view.selected_id == selected


async def test_a_burst_of_writes_ends_on_the_last_version(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path)
    async with app.run_test(size=WIDE):
        await wait_until(lambda: analysed(app))
        for i in range(20):
            cells = list(CHAIN)
            cells[1] = ("numbers", f"numbers = list(range({i}))")
            write_like_an_editor(path, render(cells))
        await wait_until(
            lambda: "numbers = list(range(19))" in codes(app) and analysed(app),
            what="the last write",
        )


async def test_a_broken_file_shows_the_error_and_recovers(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path)
    async with app.run_test(size=WIDE):
        await wait_until(lambda: analysed(app))
        view = app.cell_view
        good = path.read_text()

        def total_error() -> str | None:
            cell = view.notebook.find("total") if view.notebook else None
            return cell.error if cell else None

        # A syntax error inside one cell: marimo keeps the rest; the error sits on that cell.
        write_like_an_editor(path, good.replace("total = sum(numbers)", "total = sum(numbers"))
        await wait_until(lambda: total_error() is not None, what="the cell's error")
        assert "never closed" in str(total_error())
        assert "syntax error" in view.screen_text() and "✗ SyntaxError" in view.screen_text()
        # A file that no longer parses at all: the last good version stays, with the reason.
        write_like_an_editor(path, good.replace("app = marimo.App()", "app = marimo.App("))
        await wait_until(lambda: view.broken is not None, what="the parse error")
        assert view.broken is not None and "line 4" in view.broken[1]
        assert len(view.blocks) == len(CHAIN)
        assert "does not parse" in str(view.border_subtitle)
        assert "never closed" in view.screen_text()
        write_like_an_editor(path, good.replace("sum(numbers)", "sum(numbers) * 3"))
        await wait_until(lambda: view.broken is None and analysed(app), what="recovery")
        assert "total = sum(numbers) * 3" in codes(app) and total_error() is None


async def test_new_deleted_and_renamed_notebooks(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path)
    async with app.run_test(size=WIDE):
        await wait_until(lambda: analysed(app))
        wb = app.workbench
        other = tmp_path / "notebooks" / "other.py"
        other.write_text(render([("_", "x = 1")]))
        await wait_until(lambda: other in wb.notebooks, what="the new notebook listed")
        (tmp_path / "notebooks" / "plain.py").write_text("print('not a notebook')\n")
        renamed = tmp_path / "notebooks" / "renamed.py"
        path.rename(renamed)
        await wait_until(lambda: wb.current == renamed, what="following the rename")
        assert path not in wb.notebooks and renamed in wb.notebooks
        assert tmp_path / "notebooks" / "plain.py" not in wb.notebooks
        other_text = other.read_text()
        app.open_notebook(other)
        await wait_until(lambda: [b.cell.code for b in app.cell_view.blocks] == ["x = 1"])
        other.unlink()
        await wait_until(lambda: "deleted" in str(app.cell_view.border_subtitle))
        assert [b.cell.code for b in app.cell_view.blocks] == ["x = 1"]  # still on screen
        assert other_text


async def test_switching_notebooks_keeps_each_selection(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    other = tmp_path / "notebooks" / "other.py"
    other.write_text(render([("_", "a = 1"), ("_", "b = a + 1"), ("_", "c = b + 1")]))
    app = make_app(tmp_path, path, watch=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        await pilot.press("j", "j", "j")
        assert app.cell_view.selected_index == 3
        app.open_notebook(other)
        await wait_until(lambda: app.cell_view.notebook.path == other)  # type: ignore[union-attr]
        await pilot.press("end")
        app.open_notebook(path)
        await wait_until(lambda: app.cell_view.notebook.path == path)  # type: ignore[union-attr]
        assert app.cell_view.selected_index == 3
        app.open_notebook(other)
        await wait_until(lambda: app.cell_view.notebook.path == other)  # type: ignore[union-attr]
        assert app.cell_view.selected_index == 2


async def test_notebook_picker_opens_the_chosen_notebook(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    other = tmp_path / "notebooks" / "zeta.py"
    other.write_text(render([("_", "zeta = 1")]))
    app = make_app(tmp_path, path, watch=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app) and len(app.workbench.notebooks) == 2)
        await pilot.press("o")
        await wait_until(lambda: isinstance(app.screen, CommandPalette), what="the picker")
        await pilot.press(*"zeta")
        await wait_until(lambda: palette_offers(app, "zeta"), what="zeta in the picker")
        await pilot.press("enter")
        await wait_until(lambda: app.workbench.current == other)
        await wait_until(lambda: codes(app) == ["zeta = 1"])


async def test_edit_a_cell_inline_and_undo(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        original = path.read_text()
        await pilot.press("j", "j", "e")
        await wait_until(lambda: isinstance(app.screen, CellEditorScreen))
        app.screen.query_one(TextArea).text = "total = sum(numbers) / 2"
        await pilot.press("ctrl+s")
        await wait_until(lambda: "total = sum(numbers) / 2" in path.read_text(), what="the save")
        await wait_until(lambda: "total = sum(numbers) / 2" in codes(app))
        assert app.cell_view.selected is not None and app.cell_view.selected.name == "total"
        await pilot.press("u")
        await wait_until(lambda: path.read_text() == original, what="the undo")
        await wait_until(lambda: "total = sum(numbers)" in codes(app))
        assert app.cell_view.selected is not None and app.cell_view.selected.name == "total"


@pytest.mark.parametrize("choice", ["m", "t"])
async def test_conflict_dialog_keeps_both_versions(tmp_path: Path, choice: str) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path, watch=False)  # the change under us goes unseen until save
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        await pilot.press("j", "j", "e")
        await wait_until(lambda: isinstance(app.screen, CellEditorScreen))
        theirs = path.read_text().replace("total = sum(numbers)", "total = sum(numbers) - 1")
        write_like_an_editor(path, theirs)
        app.screen.query_one(TextArea).text = "total = 42"
        await pilot.press("ctrl+s")
        await wait_until(lambda: isinstance(app.screen, ConflictScreen), what="the dialog")
        screen = app.screen
        assert isinstance(screen, ConflictScreen)
        assert screen.mine == "total = 42" and screen.theirs == "total = sum(numbers) - 1"
        conflicts = list((tmp_path / ".marimo-tui" / "conflicts").iterdir())
        assert len(conflicts) == 1 and "total = 42" in conflicts[0].read_text()
        await pilot.press(choice)
        if choice == "m":
            await wait_until(lambda: "total = 42" in path.read_text(), what="keep mine")
            assert "sum(numbers) - 1" not in path.read_text()
        else:
            await wait_until(
                lambda: any(
                    "kept the version on disk" in str(n.message) for n in app._notifications
                ),
                what="keep theirs",
            )
            assert path.read_text() == theirs


async def test_add_delete_move_and_rename(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        view = app.cell_view
        await pilot.press("n")
        await wait_until(lambda: isinstance(app.screen, CellEditorScreen))
        app.screen.query_one(TextArea).text = "fresh = 1"
        await pilot.press("ctrl+s")
        await wait_until(lambda: "fresh = 1" in codes(app), what="the new cell")
        assert codes(app).index("fresh = 1") == 1
        await wait_until(lambda: view.selected is not None and view.selected.code == "fresh = 1")
        await pilot.press("J")
        await wait_until(lambda: codes(app).index("fresh = 1") == 2, what="move down")
        await pilot.press("K")
        await wait_until(lambda: codes(app).index("fresh = 1") == 1, what="move up")
        await pilot.press("r")
        await wait_until(lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"renamed_cell", "enter")
        await wait_until(lambda: "def renamed_cell(" in path.read_text(), what="rename")
        await pilot.press("d")
        await wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(lambda: "fresh = 1" not in path.read_text(), what="delete")
        assert len(view.blocks) == len(CHAIN)


async def test_slash_commands_new_open_theme_help_and_unknown(tmp_path: Path) -> None:
    path = make_project(tmp_path, agent="{host: 'http://127.0.0.1:9'}")  # nothing listens
    app = make_app(tmp_path, path, watch=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))

        def chat_busy() -> bool:
            return any(w.group == "chat" and not w.is_finished for w in app.workers)

        async def send(text: str) -> str:
            """Send a line; return the log once the command said something back."""
            log = app.chat.agent_log
            before = len(log.children)
            field = app.chat.input
            field.focus()
            field.value = text
            await pilot.press("enter")
            # Its own line, then at least one line in answer, from a command that has finished.
            await wait_until(
                lambda: len(log.children) >= before + 2 and not chat_busy(),
                what=f"the answer to {text!r}",
            )
            return log.text()

        assert "/open" in await send("/help")
        assert "unknown command /frobnicate" in await send("/frobnicate")
        await send("please fix my notebook")  # to the agent: its server is down, one line
        await wait_until(lambda: "cannot reach Ollama" in app.chat.agent_log.text())
        await wait_until(lambda: not app.agent.busy, what="the turn's end")
        out = await send("/new sales parameterized title=Sales")
        target = tmp_path / "notebooks" / "sales.py"
        assert "created notebooks/sales.py" in out and target.is_file()
        await wait_until(lambda: app.workbench.current == target)
        assert "no notebook" in await send("/open nothing-like-this")
        await send("/open main")
        await wait_until(lambda: app.workbench.current == path)
        assert "no theme" in await send("/theme nope")
        await send("/theme marimo-light")
        assert app.theme == "marimo-light"
        await wait_until(
            lambda: "theme: marimo-light" in (tmp_path / "marimo-tui.yaml").read_text(),
            what="the theme saved",
        )


async def test_theme_from_palette_is_saved_and_user_themes_load(tmp_path: Path) -> None:
    themes = tmp_path / "xdg" / "marimo-tui" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.yaml").write_text("name: mine\nprimary: '#ff00ff'\ndark: true\n")
    (themes / "broken.yaml").write_text("primary: [\n")
    path = make_project(tmp_path, theme="high-contrast")
    app = make_app(tmp_path, path, watch=False)
    async with app.run_test(size=WIDE) as pilot:
        assert app.theme == "high-contrast"
        assert {"marimo-dark", "marimo-light", "high-contrast", "solarized-dusk", "mine"} <= set(
            app.available_themes
        )
        await pilot.press("ctrl+p")
        await wait_until(lambda: isinstance(app.screen, CommandPalette), what="the palette")
        commands = app.screen
        await pilot.press(*"theme")
        await wait_until(lambda: palette_offers(app, "theme"), what="the theme command")
        await pilot.press("enter")
        await wait_until(
            lambda: isinstance(app.screen, CommandPalette) and app.screen is not commands,
            what="the list of themes",
        )
        await pilot.press(*"mine")
        await wait_until(lambda: palette_offers(app, "mine"), what="the theme mine")
        await pilot.press("enter")
        await wait_until(lambda: app.theme == "mine")
        await wait_until(lambda: "theme: mine" in (tmp_path / "marimo-tui.yaml").read_text())
        assert "folder: notebooks" in (tmp_path / "marimo-tui.yaml").read_text()


async def test_tasks_add_check_off_and_delete(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    app = make_app(tmp_path, path)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        tasks = app.workbench.tasks
        await wait_until(lambda: any(t.owner == "system" for t in tasks), what="watcher job")
        app.tasks_pane.focus()
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"check totals", "enter")
        await wait_until(lambda: any(t.title == "check totals" for t in tasks))
        task = next(t for t in tasks if t.title == "check totals")
        node = app.tasks_pane._task_nodes[task.id]
        app.tasks_pane.move_cursor(node)
        await pilot.press("space")
        await wait_until(lambda: tasks.get(task.id).status == "done")
        saved = (tmp_path / ".marimo-tui" / "tasks.json").read_text()
        assert "check totals" in saved and '"done"' in saved
        await pilot.press("d")
        await wait_until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(lambda: task.id not in {t.id for t in tasks})


async def test_narrow_layout_shows_one_pane_and_switches(tmp_path: Path) -> None:
    app = make_app(tmp_path, make_project(tmp_path), watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: analysed(app))
        visible = lambda: [p.id for p in app.query(".pane") if p.display]  # noqa: E731
        assert app.query_one("#panes").has_class("-narrow")
        assert visible() == ["cells"]
        await pilot.press("2")
        assert visible() == ["chat"]
        await pilot.press("ctrl+right")
        assert visible() == ["tasks"]
        await pilot.press("ctrl+right", "ctrl+right")
        assert visible() == ["cells"]
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        assert app.query_one("#panes").has_class("-stacked") and len(visible()) == 4
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert app.query_one("#panes").has_class("-wide") and len(visible()) == 4
    # Closed, its last screen gone: a focus event still on its way (a dialog closing as the
    # app quits) or a binding checked is nothing; one such event once failed the app's exit.
    assert app.screen_stack == []
    app.on_descendant_focus(None)
    assert app.check_action("focus_chat", ()) is False


async def test_keys_are_remappable_and_listed(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    (tmp_path / "marimo-tui.yaml").write_text(
        "notebooks:\n  folder: notebooks\nkeys:\n  edit_cell: ctrl+e\n  no_such_action: x\n"
    )
    app = make_app(tmp_path, path, watch=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        await pilot.press("ctrl+e")
        await wait_until(lambda: isinstance(app.screen, CellEditorScreen))
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, CellEditorScreen))
        await pilot.press("question_mark")
        await wait_until(lambda: isinstance(app.screen, KeysScreen))
        rows = app.screen.rows  # type: ignore[attr-defined]
        assert ("cells", "ctrl+e", "Edit  [edit_cell]") in rows


async def test_an_unexpected_error_in_a_flow_is_one_notice_not_a_crash(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    (tmp_path / "notebooks" / "blocker").write_text("a file, not a folder\n")
    app = make_app(tmp_path, path, watch=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_until(lambda: analysed(app))
        app.chat.input.focus()
        app.chat.input.value = "/new blocker/inside"  # mkdir under a file: an OSError
        await pilot.press("enter")
        await wait_until(
            lambda: any("chat failed" in str(n.message) for n in app._notifications),
            what="the failure notice",
        )
        assert app.is_running and (tmp_path / "notebooks" / "blocker").read_text()
        app.cell_view.focus()
        await pilot.press("down")  # still responsive
        assert app.cell_view.selected_index == 1


def test_a_service_line_shows_its_state_and_a_task_its_failure() -> None:
    from marimo_tui.tasks import Task, TaskStatus
    from marimo_tui.tui.widgets.tasks_pane import task_label

    running = TaskStatus.RUNNING
    kernels = Task("k", "marimo kernels", running, owner="system", detail="2 live · 104 MB")
    assert "2 live · 104 MB" in task_label(kernels).plain
    step = Task("s", "add a chart", running, owner="agent", detail="notes for the model")
    assert "notes" not in task_label(step).plain
    failed = Task("s", "add a chart", TaskStatus.FAILED, owner="agent", detail="no such cell")
    assert "no such cell" in task_label(failed).plain
