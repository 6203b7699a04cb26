"""The agent against a real llama.cpp `llama-server` (Gemma 3 270M; see llama_support.py): a
tool-call round trip, a resumed conversation with tool calls, a structured-output turn, a window
too small for the prompt, a runaway stopped by max_tokens, and doctor's checks. The model is a
270M base model: these check the wire and the loop, not the quality of what it writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from marimo_tui.agent import events as ev
from marimo_tui.agent.limits import Limits
from marimo_tui.agent.loop import AgentSession
from marimo_tui.agent.profiles import get_profile
from marimo_tui.agent.providers.base import ChatMessage, ToolCall
from marimo_tui.agent.providers.openai import OpenAIProvider
from marimo_tui.agent.tools import TOOLS
from marimo_tui.agent.transcripts import Redactor, Transcript, load_messages
from marimo_tui.config import load_config
from marimo_tui.notebook.reader import read_notebook
from marimo_tui.workbench import Workbench
from tests.conftest import Runner, cli_env
from tests.llama_support import REQUEST_TIMEOUT, LlamaServer
from tests.tui_support import make_project

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]


def few_shot() -> list[ChatMessage]:
    """A history in which the agent already read two cells: the tiny model then calls again."""
    out: list[ChatMessage] = []
    for n, cell in enumerate(("source", "shown"), 1):
        call = ToolCall(f"fs{n}", "read_cell", {"cell": cell})
        out += [
            ChatMessage("user", f"Read cell {cell}."),
            ChatMessage("assistant", "", (call,)),
            ChatMessage(
                "tool", json.dumps({"code": "value = 1"}), tool_call_id=f"fs{n}", name="read_cell"
            ),
        ]
    return out


def session(
    root: Path,
    server: LlamaServer,
    *,
    history: list[ChatMessage] | None = None,
    transcript: Transcript | None = None,
    profile: str | None = None,
    **limits: Any,
) -> tuple[AgentSession, list[ev.AgentEvent], Path]:
    path = root / "notebooks" / "main.py"
    if not path.exists():
        make_project(root, CELLS)
    config = load_config(start=root, environ={})
    wb = Workbench(config)
    wb.current = path
    events: list[ev.AgentEvent] = []
    limits.setdefault("temperature", 0)  # the same answers every run
    agent = AgentSession(
        wb,
        OpenAIProvider("gemma", server.base, timeout=REQUEST_TIMEOUT),
        get_profile(config, profile),
        limits=Limits(approval="auto", **limits),
        listener=events.append,
        history=history,
        transcript=transcript,
    )
    return agent, events, path


async def test_a_tool_call_round_trip_and_a_resumed_conversation(
    tmp_path: Path, llama_server: LlamaServer
) -> None:
    transcript = Transcript(tmp_path / "conversations", Redactor([]))
    agent, events, path = session(
        tmp_path,
        llama_server,
        history=few_shot(),
        transcript=transcript,
        tool_choice="required",
        max_steps=1,
        max_tokens=96,
    )
    before = path.read_bytes()
    end = await agent.run_turn("Read cell source.")
    called = [e for e in events if isinstance(e, ev.ToolCalled)]
    finished = [e for e in events if isinstance(e, ev.ToolFinished)]
    assert called and called[0].name in TOOLS, (end, events)
    assert finished[0].ok, finished[0].result
    # A native call, streamed as tool_calls deltas: not text the loop had to repair.
    assert not any(isinstance(e, ev.AgentWarning) and "as text" in e.text for e in events)
    assert end.reason in ("finished", "step-limit") or "cut off" in end.error, end
    used = [e for e in events if isinstance(e, ev.ContextUsed) and not e.estimated]
    assert used and used[0].window == 4096 and used[0].source == "llama-server /props"
    await agent.provider.aclose()

    # Resumed from its transcript: the assistant turns with tool calls go back to the server
    # (content "", never null) and it answers.
    assert transcript.path is not None
    history = load_messages(transcript.path)
    assert any(m.tool_calls for m in history)
    again, events, _ = session(tmp_path, llama_server, history=history, max_tokens=24)
    end = await again.run_turn("Thanks. Now say done.")
    assert end.reason in ("finished", "step-limit") or "cut off" in end.error, end
    assert "HTTP" not in end.error
    await again.provider.aclose()
    assert path.read_bytes() == before or read_notebook(path).cells  # still a notebook


@pytest.mark.parametrize("mode", ["json", "auto"])
async def test_a_structured_output_turn_runs_end_to_end(
    tmp_path: Path, llama_server_gguf_template: LlamaServer, mode: str
) -> None:
    """The GGUF's own template has no tools: JSON steps held to the schema by the grammar,
    asked for (`json`) or chosen because /props says the template cannot call tools."""
    agent, events, path = session(
        tmp_path,
        llama_server_gguf_template,
        profile="small",
        tool_mode=mode,
        max_steps=3,
        max_tokens=320,
    )
    end = await agent.run_turn("Read the cell named source, then answer with its code.")
    warned = any(isinstance(e, ev.AgentWarning) and "JSON steps" in e.text for e in events)
    assert warned == (mode == "auto") and agent.json_mode
    assert end.reason in ("finished", "step-limit"), end
    called = [e for e in events if isinstance(e, ev.ToolCalled)]
    results = [e for e in events if isinstance(e, ev.ToolFinished)]
    allowed = set(get_profile(agent.workbench.config, "small").tools)
    for call, result in zip(called, results, strict=True):
        assert call.name in allowed  # the schema admits only the profile's tools
        assert "invalid arguments" not in result.result and "not valid JSON" not in result.result
    read_notebook(path)  # whatever it did, the notebook still parses
    await agent.provider.aclose()


async def test_a_window_too_small_for_the_prompt_is_one_line(
    tmp_path: Path, llama_server_small: LlamaServer
) -> None:
    agent, _, path = session(tmp_path, llama_server_small)
    before = path.read_bytes()
    end = await agent.run_turn("Please look at my notebook. " * 120)
    assert end.reason == "error" and "\n" not in end.error
    assert "window is 2,048 tokens (llama-server /props)" in end.error
    assert path.read_bytes() == before
    await agent.provider.aclose()


async def test_runaway_output_stops_at_max_tokens(
    tmp_path: Path, llama_server: LlamaServer
) -> None:
    agent, _, path = session(tmp_path, llama_server, profile="small", max_tokens=24)
    before = path.read_bytes()
    end = await agent.run_turn("Count from 1 to 500, one number a line, and nothing else.")
    assert end.reason == "error" and end.error.startswith("answer cut off (max_tokens 24)")
    assert end.completion_tokens <= 24 and path.read_bytes() == before
    await agent.provider.aclose()


@pytest.mark.parametrize("mode", ["native", "json"])
def test_doctor_reads_the_window_and_tries_one_tool_call(
    cli: Runner, tmp_path: Path, llama_server_gguf_template: LlamaServer, mode: str
) -> None:
    env = cli_env(
        MARIMO_TUI_AGENT_PROVIDER="openai",
        MARIMO_TUI_AGENT_HOST=llama_server_gguf_template.url,  # no /v1: the provider's rule
        MARIMO_TUI_AGENT_MODEL="gemma",
        MARIMO_TUI_AGENT_TOOL_MODE=mode,
    )
    checks = {c["name"]: c for c in json.loads(cli("doctor", "--json", env=env).stdout)["checks"]}
    assert checks["llm"]["ok"], checks["llm"]
    assert checks["window"]["detail"] == "4,096 tokens (llama-server /props)"
    tools = checks["tools"]
    if mode == "json":
        assert tools["ok"] and "structured JSON steps work" in tools["detail"], tools
    else:
        # This template drops tools: the model cannot call one, and doctor says what to do.
        assert not tools["ok"] and "agent.tool_mode: json" in tools["hint"], tools


def test_doctor_on_llama_server_set_up_as_ollama_says_to_switch(
    cli: Runner, llama_server: LlamaServer
) -> None:
    env = cli_env(MARIMO_TUI_AGENT_HOST=llama_server.url)
    checks = {c["name"]: c for c in json.loads(cli("doctor", "--json", env=env).stdout)["checks"]}
    assert "not Ollama but an OpenAI-compatible server (llama-server)" in checks["ollama"]["detail"]
    assert checks["ollama"]["hint"] == "set agent.provider: openai"
