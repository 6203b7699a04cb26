"""How the app shows the agent's work, driven with Pilot: the approval dialog of a long diff at
80x24, turns folded in the tasks pane, the context window in the status bar."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import Button

from marimo_tui.agent import events as ev
from marimo_tui.tasks import TaskStatus
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.tui.screens.approval import ApprovalScreen
from marimo_tui.tui.widgets.status_bar import context_text, tokens_text
from marimo_tui.tui.widgets.tasks_pane import TasksPane
from tests.conftest import HANG
from tests.tui_support import isolate_user_config, make_app, make_project, wait_until

SMALL = (80, 24)
CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


@pytest.fixture(autouse=True)
def _user_config(tmp_path: Path) -> None:
    isolate_user_config(tmp_path)


def app_over(tmp_path: Path) -> WorkbenchApp:
    return make_app(tmp_path, make_project(tmp_path, CELLS), watch=False)


def long_diff(lines: int = 600) -> str:
    head = ["--- a/notebooks/main.py", "+++ b/notebooks/main.py", f"@@ -1,0 +1,{lines} @@"]
    # Every 50th line is a long one (a data literal, say): it must not push anything aside.
    body = [f"+row_{i} = {'[' + '1, ' * 2000 + ']' if i % 50 == 0 else i}" for i in range(lines)]
    return "\n".join(head + body)


# -- the approval dialog -----------------------------------------------------------------------
@pytest.mark.parametrize(("key", "answer"), [("y", "yes"), ("a", "all"), ("n", "no")])
async def test_a_long_diff_scrolls_and_the_answers_stay_on_screen(
    tmp_path: Path, key: str, answer: str
) -> None:
    app = app_over(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        asked = ev.ApprovalAsked("call-1", "edit_cell", "notebooks/main.py", long_diff())
        answered = asyncio.ensure_future(app.agent.approve(asked))
        await wait_until(lambda: isinstance(app.screen, ApprovalScreen), what="the dialog")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)
        whole = Region(0, 0, *SMALL)
        for button in screen.query(Button):
            assert whole.contains_region(button.region), f"{button.id} is off screen"
            assert button.region.height == 3 and button.label.plain.endswith(")")
        diff = screen.diff
        assert app.focused is diff and whole.contains_region(diff.region)
        assert diff.max_scroll_y > 500 and diff.max_scroll_x > 1000  # unwrapped long lines
        # Page keys scroll with an animation: read where each one ends.
        await pilot.press("pagedown", "pagedown")
        await pilot.wait_for_scheduled_animations()
        assert diff.scroll_y >= 2 * (diff.region.height - 2)
        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()
        assert diff.scroll_y == diff.max_scroll_y
        await pilot.press(key)  # the diff has the focus: the dialog's keys still answer
        assert await asyncio.wait_for(answered, HANG) == answer
        await wait_until(lambda: not isinstance(app.screen, ApprovalScreen), what="it closing")


async def test_page_keys_scroll_the_diff_from_the_buttons_and_esc_declines(
    tmp_path: Path,
) -> None:
    app = app_over(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        asked = ev.ApprovalAsked("call-1", "edit_cell", "notebooks/main.py", long_diff())
        answered = asyncio.ensure_future(app.agent.approve(asked))
        await wait_until(lambda: isinstance(app.screen, ApprovalScreen), what="the dialog")
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)
        await pilot.press("tab")
        assert isinstance(app.focused, Button)
        await pilot.press("pagedown")
        await pilot.wait_for_scheduled_animations()
        assert screen.diff.scroll_y > 0
        await pilot.press("pageup")
        await pilot.wait_for_scheduled_animations()
        assert screen.diff.scroll_y == 0
        await pilot.press("escape")
        assert await asyncio.wait_for(answered, HANG) == "no"


async def test_a_short_diff_keeps_the_dialog_small(tmp_path: Path) -> None:
    app = app_over(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-value = 1\n+value = 2"
        answered = asyncio.ensure_future(
            app.agent.approve(ev.ApprovalAsked("c", "edit_cell", "notebooks/main.py", diff))
        )
        await wait_until(lambda: isinstance(app.screen, ApprovalScreen), what="the dialog")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ApprovalScreen)
        assert screen.diff.region.height == 5 and screen.diff.max_scroll_y == 0
        dialog = screen.query_one(".dialog").region
        assert dialog.height < 20
        assert abs(dialog.y - (SMALL[1] - dialog.bottom)) <= 1  # centred
        assert abs(dialog.x - (SMALL[0] - dialog.right)) <= 1
        await pilot.press("y")
        assert await asyncio.wait_for(answered, HANG) == "yes"


# -- turns in the tasks pane -------------------------------------------------------------------
def labels(pane: TasksPane) -> list[str]:
    """The tree's lines as shown (folded nodes hide their children)."""
    return [pane.get_node_at_line(i).label.plain for i in range(pane.last_line + 1)]  # type: ignore[union-attr]


def titles(pane: TasksPane) -> list[str]:
    """The lines without their timings."""
    return [label.split("  ")[0] for label in labels(pane)]


async def test_finished_turns_fold_and_the_latest_stays_open(tmp_path: Path) -> None:
    app = app_over(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: app.query(TasksPane), what="the tasks pane")
        tasks, pane = app.workbench.tasks, app.tasks_pane

        def turn(prompt: str, steps: list[str], done: int) -> str:
            """What the plan tool and the loop do for one turn."""
            node = tasks.add(prompt, owner="agent", status=TaskStatus.RUNNING)
            made = [tasks.add(s, owner="agent", parent=node.id).id for s in steps]
            for task_id in made[:done]:
                tasks.set_status(task_id, TaskStatus.DONE)
            return node.id

        first = turn("load the sales data", ["read the csv", "clean it", "plot it"], 3)
        await pilot.pause()
        assert titles(pane)[1:] == ["✓ read the csv", "✓ clean it", "✓ plot it"]
        tasks.set_status(first, TaskStatus.DONE)
        await pilot.pause()
        assert len(labels(pane)) == 4, "the latest turn stays open when it finishes"
        assert labels(pane)[0].startswith("✓ load the sales data  3/3 done")

        second = turn("add a chart", ["pick columns", "draw"], 1)
        await pilot.pause()
        shown = labels(pane)
        assert shown[0].startswith("✓ load the sales data  3/3 done · ")  # folded: one line
        assert shown[1].startswith("● add a chart  1/2 done")
        assert titles(pane)[2:] == ["✓ pick columns", "○ draw"]
        tasks.set_status(second, TaskStatus.FAILED, "the model gave up")
        await pilot.pause()
        assert labels(pane)[1].startswith("✗ add a chart  1/2 done")
        assert labels(pane)[1].endswith("the model gave up")

        # The user opens the old turn again (Tree's own enter); nothing folds it behind them.
        pane.focus()
        pane.move_cursor(pane._task_nodes[first])
        await pilot.press("enter")
        assert len(labels(pane)) == 7
        turn("and a table", ["make it"], 0)
        await pilot.pause()
        shown = labels(pane)
        assert titles(pane)[1] == "✓ read the csv", "a turn the user opened stays open"
        assert shown[4].startswith("✗ add a chart  1/2 done")  # folded now: one line
        assert shown[5].startswith("● and a table  0/1 done") and len(shown) == 7
        draw = next(t for t in tasks if t.title == "draw")
        tasks.remove(draw.id)  # the user deletes a task of the old turn: its count follows
        await pilot.pause()
        assert labels(pane)[4].startswith("✗ add a chart  1/1 done")


async def test_old_turns_do_not_push_the_current_plan_off_screen(tmp_path: Path) -> None:
    app = app_over(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await wait_until(lambda: app.query(TasksPane), what="the tasks pane")
        await pilot.press("3")  # the narrow layout shows one pane at a time
        tasks, pane = app.workbench.tasks, app.tasks_pane
        for n in range(40):
            node = tasks.add(f"turn {n}", owner="agent", status=TaskStatus.RUNNING)
            for step in ("look", "edit", "check"):
                tasks.add(f"{step} {n}", owner="agent", parent=node.id, status=TaskStatus.DONE)
            tasks.set_status(node.id, TaskStatus.DONE)
        current = tasks.add("the current turn", owner="agent", status=TaskStatus.RUNNING)
        steps = [tasks.add(f"step {i}", owner="agent", parent=current.id) for i in range(4)]
        await pilot.pause()
        await pilot.pause()
        assert pane.last_line == 40 + 1 + 4 - 1  # 40 folded turns, the current one and its plan
        top, height = pane.scroll_offset.y, pane.scrollable_content_region.height
        for task in (current, *steps):
            line = pane._task_nodes[task.id].line
            assert top <= line < top + height, f"{task.title} is off screen"


# -- the context window in the status bar -------------------------------------------------------
def test_context_text() -> None:
    assert [tokens_text(n) for n in (850, 1000, 2969, 8192, 10240, 32768, 131072)] == [
        "850",
        "1k",
        "2.9k",
        "8k",
        "10k",
        "32k",
        "128k",
    ]
    assert context_text(8192, "ollama /api/show", None, True) == "ctx 8k (ollama /api/show)"
    assert context_text(8192, "config", 2969, True) == "ctx ~2.9k/8k 36%"
    assert context_text(8192, "config", 7400, False, 3) == "ctx 7.2k/8k 90% · compacted"


async def test_context_used_goes_to_the_status_bar_not_the_chat(tmp_path: Path) -> None:
    app = app_over(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(lambda: app.chat.agent_log is not None, what="the chat")
        status = app.status
        status.set_service("model", "ollama · qwen2.5-coder:7b")
        app.agent.show(ev.ContextUsed(8192, "llama-server /props", 2969))
        await pilot.pause()
        assert "model: ollama · qwen2.5-coder:7b │ ctx ~2.9k/8k 36%" in status.text
        assert "ctx ~2.9k/8k 36%" in str(status.render())
        assert status.context is not None and status.context[1] == ""
        log_before = app.chat.agent_log.text()
        app.agent.show(ev.ContextUsed(8192, "llama-server /props", 7400, False, compacted=2))
        await pilot.pause()
        assert "ctx 7.2k/8k 90% · compacted" in status.text
        assert status.context is not None and status.context[1] == "$warning"
        assert "ctx" not in app.chat.agent_log.text() and app.chat.agent_log.text() == log_before
        status.set_context(4096, "agent.context_window", None, True)
        assert "ctx 4k (agent.context_window)" in status.text


async def test_the_window_the_server_reports_shows_when_the_agent_starts(tmp_path: Path) -> None:
    """An Ollama model whose Modelfile sets num_ctx 6144: the status bar says so as soon as
    the conversation opens, then how full each request was."""
    from marimo_tui.agent.start import Overrides
    from marimo_tui.config import load_config
    from marimo_tui.workbench import Workbench
    from tests.llm_servers import OllamaServer, Reply

    with OllamaServer() as server:
        server.num_ctx = 6144
        server.script(Reply(text="Hello.", usage=(1500, 3)))
        path = make_project(tmp_path, CELLS)
        wb = Workbench(load_config(start=tmp_path, environ={}))
        overrides = Overrides(provider="ollama", host=server.url, model="test-model")
        app = WorkbenchApp(wb, wb.quick_open(path), run=False, agent=overrides)
        async with app.run_test(size=(200, 50)) as pilot:
            await wait_until(lambda: app.chat.agent_log is not None, what="the chat")
            app.chat.input.focus()
            app.chat.input.value = "hi"
            await pilot.press("enter")
            await wait_until(lambda: "ctx 1.5k/6k 24%" in app.status.text, what="the count")
            assert server.chats[0]["options"]["num_ctx"] == 6144


async def test_every_dialog_is_centred(tmp_path: Path) -> None:
    """Dialogs share one base whose CSS centres them (a rule naming `ModalScreen` in a
    subclass's scoped CSS never matched, and they opened in the top-left corner)."""
    from marimo_tui.tui.screens.dialogs import ConfirmScreen, PromptScreen
    from marimo_tui.tui.screens.keys import KeysScreen

    app = app_over(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        for screen in (
            ConfirmScreen("Delete cell #2?"),
            PromptScreen("New notebook", "notebooks/x.py"),
            KeysScreen([("q", "quit", "Quit")]),
        ):
            app.push_screen(screen)
            await pilot.pause()
            dialog = screen.query_one(".dialog").region
            assert abs(dialog.x - (SMALL[0] - dialog.right)) <= 1, type(screen).__name__
            assert abs(dialog.y - (SMALL[1] - dialog.bottom)) <= 1, type(screen).__name__
            app.pop_screen()


async def test_a_narrow_status_bar_keeps_the_notebook_the_window_and_what_is_wrong(
    tmp_path: Path,
) -> None:
    app = app_over(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.status
        status.set(project="demo-project")
        status.set_service("marimo", "ready")
        status.set_service("watcher", "watching")
        status.set_service("model", "openai · gemma")
        status.set_service("dagster", "off")
        status.set_context(4096, "llama-server /props", 1700, False)
        await pilot.pause()
        shown = str(status.render())
        # At 80 columns the narrow layout's pane hint, the notebook and the window fit; the
        # healthy services, the project and then the model's name give way.
        assert shown == "1-4 or ctrl+→: panes │ notebooks/main.py (2 cells) │ ctx 1.7k/4k 42%"
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        shown = str(status.render())
        assert "model: openai · gemma │ ctx 1.7k/4k 42%" in shown and len(shown) <= 118, shown
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "watcher: watching" in status.text  # all of it, where there is room
        status.set_service("dagster", "disconnected", ok=False)  # what is wrong stays
        await pilot.pause()
        shown = str(status.render())
        assert "dagster: disconnected ✗" in shown and "ctx 1.7k/4k" in shown, shown


async def test_turns_of_earlier_sessions_are_in_the_pane_folded(tmp_path: Path) -> None:
    """tasks.json keeps the agent's turns: a new workbench shows them, finished ones folded,
    and a turn whose agent was stopped mid-way is no longer shown as running."""
    from marimo_tui.tasks import TaskTree

    make_project(tmp_path, CELLS)
    tree = TaskTree(tmp_path / ".marimo-tui" / "tasks.json")
    old = tree.add("make a chart", owner="agent", status=TaskStatus.RUNNING)
    tree.add("load the data", parent=old.id, owner="agent", status=TaskStatus.PENDING)
    tree.set_status(old.id, TaskStatus.DONE)
    cut = tree.add("fix the join", owner="agent", status=TaskStatus.RUNNING)
    tree.add("read the error", parent=cut.id, owner="agent", status=TaskStatus.RUNNING)
    app = app_over(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.chat.agent_log is not None, what="the chat")
        await pilot.pause()
        shown = titles(app.tasks_pane)
        assert shown[:2] == ["✓ make a chart", "⊘ fix the join"], shown
        assert "load the data" not in " ".join(shown)  # folded: an older, finished turn
        assert app.workbench.tasks.get(cut.id).detail == "interrupted"


async def test_on_a_narrow_terminal_every_answer_button_is_on_screen(tmp_path: Path) -> None:
    app = app_over(tmp_path)
    async with app.run_test(size=(64, 20)) as pilot:
        answered = asyncio.ensure_future(
            app.agent.approve(ev.ApprovalAsked("c", "edit_cell", "nb.py", long_diff(50)))
        )
        await wait_until(lambda: isinstance(app.screen, ApprovalScreen), what="the dialog")
        await pilot.pause()
        screen = app.screen
        dialog = screen.query_one(".dialog").region
        for button in screen.query(Button):
            assert dialog.contains_region(button.region), (button.label, button.region, dialog)
        await pilot.press("a")
        assert await asyncio.wait_for(answered, HANG) == "all"
