"""The agent loop end to end: the real `ollama` client against a loopback server speaking
Ollama's protocol, and scripted turns against the real marimo sidecar."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from marimo_tui.agent import events as ev
from marimo_tui.agent.limits import Limits
from marimo_tui.agent.loop import AgentSession
from marimo_tui.agent.profiles import get_profile
from marimo_tui.agent.providers.ollama import OllamaProvider
from marimo_tui.agent.providers.scripted import ScriptedProvider
from marimo_tui.agent.transcripts import Redactor, Transcript, list_conversations, load_messages
from marimo_tui.config import load_config
from marimo_tui.workbench import Workbench
from tests.conftest import HANG
from tests.llm_servers import Call, OllamaServer, Reply
from tests.tui_support import make_project, wait_until

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


def session_over(
    root: Path, provider: object, *, approval: str = "auto", max_steps: int = 25
) -> tuple[AgentSession, list[ev.AgentEvent], Workbench]:
    config = load_config(start=root, environ={})
    wb = Workbench(config)
    wb.current = root / "notebooks" / "main.py"
    events: list[ev.AgentEvent] = []
    transcript = Transcript(root / ".marimo-tui" / "conversations", Redactor(["sk-secret-123"]))
    session = AgentSession(
        wb,
        provider,  # type: ignore[arg-type]
        get_profile(config),
        # A rerun's wait on a busy machine can include the marimo server's cold start.
        limits=Limits(approval=approval, max_steps=max_steps, rerun_timeout=2 * HANG),  # type: ignore[arg-type]
        listener=events.append,
        transcript=transcript,
    )
    return session, events, wb


async def test_text_and_tool_calls_over_the_ollama_protocol(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    path = make_project(tmp_path, CELLS)
    ollama.script(
        Reply(text=["Let me ", "look."], calls=[Call("list_cells", {})]),
        Reply(calls=[Call("edit_cell", {"cell": "source", "code": "value = 21"})]),
        Reply(text=["Done: ", "value is 21 now."]),
    )
    provider = OllamaProvider("qwen2.5-coder:7b", ollama.url)
    session, events, _ = session_over(tmp_path, provider)
    end = await session.run_turn("set value to 21")
    assert end.reason == "finished" and end.steps == 2 and end.writes == 1
    assert "value = 21" in path.read_text()
    text = "".join(e.text for e in events if isinstance(e, ev.TextDelta))
    assert text == "Let me look.Done: value is 21 now."
    # The tool's result went back to the model as a tool message naming the tool.
    second = ollama.chats[1]["messages"]
    tool_messages = [m for m in second if m["role"] == "tool"]
    assert tool_messages[0]["tool_name"] == "list_cells"
    assert json.loads(tool_messages[0]["content"])["cells"][0]["name"] == "source"
    assert second[0]["role"] == "system" and "exactly one cell" in second[0]["content"]
    assert any(t["function"]["name"] == "edit_cell" for t in ollama.chats[0]["tools"])
    assert not any(t["function"]["name"] in ("shell", "bash") for t in ollama.chats[0]["tools"])


async def test_bad_calls_go_back_to_the_model_as_errors(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    path = make_project(tmp_path, CELLS)
    before = path.read_bytes()
    ollama.script(
        Reply(calls=[Call("rm_everything", {"path": "/"})]),
        Reply(calls=[Call("edit_cell", {"cell": "source"})]),  # neither code nor search
        Reply(calls=[Call("add_cell", {"code": "x = 1", "after": 42})]),  # wrong type
        # A small model's call written as text: repaired and run.
        Reply(text='{"name": "read_cell", "arguments": {"cell": "shown"}}'),
        Reply(text="I could not do it."),
    )
    session, events, _ = session_over(tmp_path, OllamaProvider("m", ollama.url))
    end = await session.run_turn("break things")
    assert end.reason == "finished" and end.writes == 0
    results = [e for e in events if isinstance(e, ev.ToolFinished)]
    assert [r.ok for r in results] == [False, False, False, True]
    assert "unknown tool" in results[0].result and "invalid arguments" in results[2].result
    assert any(isinstance(e, ev.AgentWarning) for e in events)
    assert path.read_bytes() == before
    last = [m for m in ollama.chats[-1]["messages"] if m["role"] == "tool"]
    assert len(last) == 4  # every call was answered


async def test_a_big_argument_and_a_disconnect_mid_answer(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    path = make_project(tmp_path, CELLS)
    big = "blob = '" + "x" * 1_000_000 + "'"
    ollama.script(
        Reply(calls=[Call("add_cell", {"code": big})]),
        Reply(text=["All ", "good ", "so ", "far"], disconnect_after=2),
    )
    session, _, _ = session_over(tmp_path, OllamaProvider("m", ollama.url))
    end = await session.run_turn("add a big cell")
    assert end.reason == "error" and "closed the connection" in end.error.lower()
    assert "\n" not in end.error
    assert big in path.read_text()  # the write before the disconnect stands, whole


async def test_model_missing_and_server_down_are_one_line_with_the_fix(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    from tests.llm_servers import Fail, closed_port

    make_project(tmp_path, CELLS)
    ollama.script(Fail(404))
    session, _, _ = session_over(tmp_path, OllamaProvider("nope:1b", ollama.url))
    end = await session.run_turn("hi")
    assert end.reason == "error" and "ollama pull nope:1b" in end.error
    down = OllamaProvider("m", f"http://127.0.0.1:{closed_port()}")
    session, _, _ = session_over(tmp_path, down)
    end = await session.run_turn("hi")
    assert end.reason == "error" and "ollama serve" in end.error


async def test_step_limit_cancel_and_transcript(tmp_path: Path, ollama: OllamaServer) -> None:
    path = make_project(tmp_path, CELLS)
    ollama.script(*[Reply(calls=[Call("list_cells", {})]) for _ in range(3)])
    session, events, _ = session_over(tmp_path, OllamaProvider("m", ollama.url), max_steps=2)
    end = await session.run_turn("loop forever")
    assert end.reason == "step-limit" and end.steps == 2
    # Cancel while the model is answering: nothing written, the file whole.
    before = path.read_bytes()
    ollama.script(Reply(text=["slow "] * 50, chunk_delay=0.1))
    seen = len(events)
    turn = asyncio.ensure_future(session.run_turn("sk-secret-123 is my key; now wait"))
    await wait_until(
        lambda: any(isinstance(e, ev.TextDelta) for e in events[seen:]), what="the first words"
    )
    assert session.cancel()
    end = await turn
    assert end.reason == "cancelled" and path.read_bytes() == before
    saved = list_conversations(tmp_path / ".marimo-tui" / "conversations")
    assert len(saved) == 1 and saved[0].turns == 2
    raw = saved[0].path.read_text()
    assert "sk-secret-123" not in raw and "***" in raw
    messages = load_messages(saved[0].path)
    assert messages[0].role == "user" and messages[0].content == "loop forever"


# -- with the real marimo sidecar ------------------------------------------------------------------
SCRIPT = """
turns:
  - text: "First a plan."
    tool_calls:
      - name: plan
        arguments: {tasks: ["create the notebook", "add the ratio", "fix errors"]}
  - tool_calls:
      - name: create_notebook
        arguments: {path: notebooks/ratio.py, template: blank}
  - tool_calls:
      - name: add_cell
        arguments: {notebook: notebooks/ratio.py, code: "total = 10\\nparts = 0", name: inputs}
  - tool_calls:
      - name: add_cell
        arguments: {notebook: notebooks/ratio.py, code: "ratio = total / parts\\nratio"}
  - tool_calls:
      - name: edit_cell
        arguments: {notebook: notebooks/ratio.py, cell: inputs, search: "parts = 0",
                    replace: "parts = 4"}
  - text: "The ratio is 2.5 now."
"""


async def test_create_hit_an_error_fix_it_and_undo_the_turn(tmp_path: Path) -> None:
    make_project(tmp_path, CELLS)
    script = tmp_path / "script.yaml"
    script.write_text(SCRIPT)
    session, events, wb = session_over(tmp_path, ScriptedProvider(script))
    await wb.start(watch=False, run=True)
    try:
        end = await session.run_turn("make a ratio notebook")
    finally:
        await wb.stop()
    assert end.reason == "finished", end
    results = {e.call_id: e for e in events if isinstance(e, ev.ToolFinished)}
    calls = [e for e in events if isinstance(e, ev.ToolCalled)]
    by_name = {c.name: results[c.call_id] for c in calls}
    failing = json.loads(results[calls[3].call_id].result)
    assert any("ZeroDivisionError" in e["error"] for e in failing["errors"]), failing
    fixed = json.loads(by_name["edit_cell"].result)
    assert fixed["settled"] and fixed["errors"] == [], fixed
    assert "ratio" in str(fixed["reran"]) or fixed["reran"]
    target = tmp_path / "notebooks" / "ratio.py"
    assert "parts = 4" in target.read_text()
    assert session.last_turn == end.turn
    undone = await session.undo_last_turn()
    assert len(undone) == 4 and not target.exists()
    titles = [t.title for t in wb.tasks if t.owner == "agent"][:2]
    assert titles == ["make a ratio notebook", "create the notebook"]  # the turn, its plan


def test_headless_agent_prints_json_events(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = make_project(tmp_path, CELLS)
    script = tmp_path / "script.yaml"
    script.write_text(
        "turns:\n"
        "  - tool_calls:\n"
        "      - {name: edit_cell, arguments: {cell: source, code: 'value = 5'}}\n"
        "  - text: 'value is 5'\n"
    )
    done = cli(
        "agent",
        "set value to 5",
        "--notebook",
        path,
        "--script",
        script,
        "--approval",
        "auto",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "turn_started" and events[0]["replay"] is True and kinds[-1] == "done"
    assert {"tool_call", "tool_result", "text"} <= set(kinds)
    result = json.loads(next(e for e in events if e["type"] == "tool_result")["result"])
    assert result["ok"] and result["settled"] and result["errors"] == []
    assert "value = 5" in path.read_text()
    # read-only: the same edit is refused, the file stays, and the turn still ends normally.
    refused = cli(
        "agent",
        "again",
        "--notebook",
        path,
        "--script",
        script,
        "--approval",
        "read-only",
    )
    assert refused.returncode == 0 and "read-only" in refused.stderr
    bad = cli("agent", "hi", "--provider", "scripted")
    assert bad.returncode == 2 and "script" in bad.stderr


SLOW_EDIT = """
turns:
  - tool_calls:
      - {name: edit_cell, arguments: {cell: source, code: "value = 2"}}
  - text: "never reached"
"""


async def test_esc_while_marimo_reruns_a_write_leaves_it_known_and_undoable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Esc after the write landed, while the tool waits for marimo's rerun (held open here:
    a long cell): the model is told the write is on disk, and /undo reverts it."""
    from marimo_tui.agent import tool_base

    rerunning = asyncio.Event()

    async def long_rerun(*_args: object) -> dict[str, object]:
        rerunning.set()
        await asyncio.sleep(3600)
        return {}

    monkeypatch.setattr(tool_base, "wait_for_rerun", long_rerun)
    path = make_project(tmp_path, CELLS)
    before = path.read_text()
    script = tmp_path / "script.yaml"
    script.write_text(SLOW_EDIT)
    session, _, _ = session_over(tmp_path, ScriptedProvider(script))
    turn = asyncio.ensure_future(session.run_turn("make it slow"))
    await asyncio.wait_for(rerunning.wait(), HANG)
    assert "value = 2" in path.read_text() and session.cancel()
    end = await turn
    assert end.reason == "cancelled" and end.writes == 1
    (result,) = [m for m in session.messages if m.role == "tool"]
    assert "it was written" in result.content and "not run" not in result.content
    assert session.last_turn == end.turn
    await session.undo_last_turn()
    assert path.read_text() == before
