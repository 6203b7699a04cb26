"""The agent log and the approval dialog, driven with Pilot."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Markdown

from marimo_tui.agent.events import (
    ApprovalAsked,
    TaskUpdated,
    TextDelta,
    ToolCalled,
    ToolFinished,
    TurnEnded,
    TurnStarted,
)
from marimo_tui.tui.screens.approval import ApprovalScreen
from marimo_tui.tui.widgets.agent_log import AgentLog, ToolEntry

DIFF = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield AgentLog()

    @property
    def log_widget(self) -> AgentLog:
        return self.query_one(AgentLog)


async def test_streamed_deltas_are_batched_and_rendered_once() -> None:
    words = [f"w{i}" for i in range(2000)]
    # A paragraph break every 100 words: appends must also cross block boundaries.
    deltas = [w + ("\n\n" if i % 100 == 99 else " ") for i, w in enumerate(words)]
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = pilot.app.log_widget
        log.show(TurnStarted("t1", "hi", "coder", "ollama · qwen"))
        started = time.monotonic()
        for i, delta in enumerate(deltas):
            log.show(TextDelta(delta))
            if i % 10 == 9:  # ~2,000 deltas/s: far past any model's speed
                await asyncio.sleep(0.005)
        streaming = time.monotonic() - started
        await log.flush()
        await pilot.pause()
        expected = [" ".join(words[i : i + 100]) for i in range(0, 2000, 100)]
        answers = log.query(Markdown)
        assert len(answers) == 1
        assert answers.first().source == "".join(deltas)
        rendered = log.text().splitlines()
        assert rendered[1:] == expected  # after the turn header, each paragraph exactly once
        # One append per tick at most, plus the final flush; with no batching it would be 2,000.
        assert 2 <= log.flushes <= streaming / 0.05 + 2, (log.flushes, streaming)
        assert log.flushes < 100
        assert log.scroll_y == log.max_scroll_y > 0  # followed the end


async def test_scrolled_up_view_stays_put() -> None:
    async with LogApp().run_test(size=(80, 24)) as pilot:
        log = pilot.app.log_widget
        for i in range(60):
            log.note(f"line {i}")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y > 0
        log.focus()
        await pilot.press("pageup")  # the user scrolls up
        # Page keys scroll with an animation: read where it ends, not a frame on the way.
        await pilot.wait_for_scheduled_animations()
        held = log.scroll_y
        assert held < log.max_scroll_y
        log.note("one more")
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        assert log.scroll_y == held


async def test_tool_entry_lifecycle_and_turn_lines() -> None:
    async with LogApp().run_test(size=(100, 40)) as pilot:
        log = pilot.app.log_widget
        log.user("make x two")
        log.show(TurnStarted("t1", "make x two", "coder", "ollama · qwen"))
        log.show(TextDelta("Let me *edit* it."))
        args = {"path": "notebooks/x.py", "code": "y" * 500}
        log.show(ToolCalled("c1", "edit_cell", args))
        log.show(TaskUpdated("k1", "edit", "running"))
        log.show(ApprovalAsked("c1", "edit_cell", "notebooks/x.py", DIFF))
        entry = log.query_one(ToolEntry)
        assert entry.collapsed
        assert entry.plain_title == "⏸ edit_cell notebooks/x.py · waiting for approval"
        log.show(ToolFinished("c1", "edit_cell", True, "x = 2 [cell 1]", '{"ok": true}', DIFF))
        log.show(TextDelta("Done, now running it."))
        log.show(ToolCalled("c2", "run_cell", '{"cell": "c1"}'))
        log.show(ToolFinished("c2", "run_cell", False, "NameError", "boom\n" * 100))
        log.show(ToolCalled("c3", "read_notebook", {}))
        log.show(TurnEnded("t1", "cancelled", steps=3, writes=1, prompt_tokens=1000))
        await log.flush()
        await pilot.pause()

        text = log.text()
        assert text.startswith("make x two\n● coder · ollama · qwen\nLet me edit it.\n")
        assert "✓ edit_cell notebooks/x.py · x = 2 [cell 1]" in text
        assert "… (300 more characters)" in text
        assert "-x = 1\n+x = 2" in text
        assert "Done, now running it.\n✗ run_cell · NameError" in text
        assert "… 60 more lines" in text  # the result keeps 40 of its 100 lines
        assert "⊘ read_notebook · not finished" in text
        footer = text.splitlines()[-1]
        assert footer.startswith("⊘ cancelled · 3 steps · 1 write · 1,000 tokens (1,000 in, 0 out)")
        assert len(log.query(Markdown)) == 2  # the tool call ended the first answer block
        entries = list(log.query(ToolEntry))
        assert [e.state for e in entries] == ["ok", "failed", "abandoned"]
        assert "[cell 1]" in str(entries[0].query_one("CollapsibleTitle").render())
        await pilot.click(entries[0].query_one("CollapsibleTitle"))
        assert not entries[0].collapsed

        log.clear()
        await pilot.pause()
        assert log.text() == "" and not log.children


async def test_replay_is_labelled_and_errors_are_shown() -> None:
    async with LogApp().run_test() as pilot:
        log = pilot.app.log_widget
        log.show(TurnStarted("t1", "go", "coder", "replay of demo.yaml", replay=True))
        log.note("provider unreachable", "error")
        log.show(TurnEnded("t1", "error", error="connection refused", extra={"elapsed": 1.25}))
        await pilot.pause()
        lines = log.text().splitlines()
        assert lines[0] == "▶ replay of demo.yaml — scripted, not an AI · coder"
        assert lines[1] == "provider unreachable"
        assert lines[2] == "✗ error: connection refused · 0 steps · 0 writes · 1.2s"
        assert log.query_one(".turn-header").has_class("-replay")


@pytest.mark.parametrize(
    ("key", "answer"), [("y", "yes"), ("n", "no"), ("escape", "no"), ("a", "all")]
)
async def test_approval_screen_answers(key: str, answer: str) -> None:
    answers: list[str | None] = []
    async with LogApp().run_test() as pilot:
        pilot.app.push_screen(
            ApprovalScreen(ApprovalAsked("c1", "edit_cell", "notebooks/x.py", DIFF)), answers.append
        )
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, ApprovalScreen)
        shown = " ".join(str(s.render()) for s in screen.query("Label, Static"))
        assert "edit_cell" in shown and "notebooks/x.py" in shown and "+x = 2" in shown
        await pilot.press(key)
        await pilot.pause()
    assert answers == [answer]


async def test_approval_buttons() -> None:
    answers: list[str | None] = []
    async with LogApp().run_test(size=(100, 30)) as pilot:
        pilot.app.push_screen(
            ApprovalScreen(ApprovalAsked("c1", "edit_cell", "", "")), answers.append
        )
        await pilot.pause()
        await pilot.click("#all")
        await pilot.pause()
    assert answers == ["all"]
