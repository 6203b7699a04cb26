"""Every server's dialect, on loopback servers speaking Ollama's and OpenAI's protocols: bounded
answers, tool_choice, the window sent as num_ctx, a cut-off answer, a silent close, a stream
that never ends, missing usage — each one line, the turn ends cleanly, the notebook untouched."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from marimo_tui.agent import events as ev
from marimo_tui.agent.limits import Limits
from marimo_tui.agent.loop import AgentSession
from marimo_tui.agent.profiles import get_profile
from marimo_tui.agent.providers.base import Provider
from marimo_tui.agent.providers.ollama import OllamaProvider
from marimo_tui.agent.providers.openai import OpenAIProvider
from marimo_tui.config import load_config
from marimo_tui.workbench import Workbench
from tests.llm_servers import Call, Fail, OllamaServer, OpenAIServer, Raw, Reply
from tests.tui_support import make_project, wait_until

CELLS = [("source", "value = 1"), ("shown", "doubled = value * 2\ndoubled")]
CALL = '{"name": "read_cell", "arguments": {"cell": "source"}}'


def session(
    root: Path, provider: Provider, **limits: Any
) -> tuple[AgentSession, list[ev.AgentEvent], Path]:
    path = make_project(root, CELLS)
    config = load_config(start=root, environ={})
    wb = Workbench(config)
    wb.current = path
    events: list[ev.AgentEvent] = []
    agent = AgentSession(
        wb,
        provider,
        get_profile(config),
        limits=Limits(approval="auto", **limits),
        listener=events.append,
    )
    return agent, events, path


async def test_openai_body_bounds_the_answer_and_sends_tool_choice(
    tmp_path: Path, openai: OpenAIServer
) -> None:
    openai.script(Reply(text="hi"), Reply(text="hi"), Reply(text="hi"))
    for choice in ("auto", "required", "omit"):
        agent, _, _ = session(
            tmp_path / choice,
            OpenAIProvider("m", openai.url),
            tool_choice=choice,
            max_tokens=300,
            context_window=4096,
        )
        assert (await agent.run_turn("hello")).reason == "finished"
    bodies = openai.chats
    assert [b.get("tool_choice") for b in bodies] == ["auto", "required", None]
    assert all(b["max_tokens"] == 300 and b["tools"] for b in bodies)


async def test_ollama_gets_the_window_as_num_ctx_and_a_bound_as_num_predict(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    ollama.script(Reply(text="hi"))
    agent, events, _ = session(
        tmp_path, OllamaProvider("m", ollama.url), context_window=6000, max_tokens=512
    )
    await agent.run_turn("hello")
    assert ollama.chats[0]["options"] == {"num_ctx": 6000, "num_predict": 512}
    used = [e for e in events if isinstance(e, ev.ContextUsed)]
    assert used[0].window == 6000 and used[0].source == "agent.context_window"
    assert used[0].estimated and not used[-1].estimated  # then the server's own count


async def test_a_cut_off_answer_ends_the_turn_with_one_line(
    tmp_path: Path, openai: OpenAIServer
) -> None:
    openai.script(
        Reply(calls=[Call("add_cell", '{"code": "x = [1, 2, ')], done_reason="length"),
    )
    agent, _, path = session(tmp_path, OpenAIProvider("m", openai.url), max_tokens=64)
    before = path.read_bytes()
    end = await agent.run_turn("add a cell")
    assert end.reason == "error" and end.error.startswith("answer cut off (max_tokens 64)")
    assert "\n" not in end.error and end.steps == 0
    assert path.read_bytes() == before  # the half-written call never ran


async def test_a_silent_close_is_explained_and_auto_mode_retries_as_json_steps(
    tmp_path: Path, openai: OpenAIServer
) -> None:
    openai.script(Raw([], content_type="text/event-stream"))
    agent, _, _ = session(tmp_path, OpenAIProvider("m", openai.url), tool_mode="native")
    end = await agent.run_turn("hello")
    assert "closed without answering" in end.error and "tool calls" in end.error
    assert "agent.tool_mode: json" in end.error and "\n" not in end.error

    openai.script(
        Raw([], content_type="text/event-stream"),
        Reply(text='{"tool": "read_cell", "arguments": {"cell": "source"}}'),
        Reply(text='{"answer": "It holds value = 1."}'),
    )
    agent, events, _ = session(tmp_path / "auto", OpenAIProvider("m", openai.url))
    end = await agent.run_turn("what is in source?")
    assert end.reason == "finished" and end.steps == 1
    warnings = [e.text for e in events if isinstance(e, ev.AgentWarning)]
    assert any("structured JSON steps" in w for w in warnings)
    retry, last = openai.chats[-2:]
    assert "tools" not in retry and retry["response_format"]["type"] == "json_schema"
    assert [m["role"] for m in last["messages"]] == ["system", "user", "assistant", "user"]
    assert last["messages"][-1]["content"].startswith("Result of read_cell:")
    shown = "".join(e.text for e in events if isinstance(e, ev.TextDelta))
    assert shown == "It holds value = 1."  # the answer, not the JSON around it


async def test_a_stream_that_never_ends_stops_at_the_answer_timeout(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    ollama.script(Reply(text=["word "] * 400, chunk_delay=0.01))
    agent, _, path = session(tmp_path, OllamaProvider("m", ollama.url), answer_timeout=0.5)
    before = path.read_bytes()
    end = await agent.run_turn("talk")
    assert end.reason == "error" and "agent.answer_timeout (0.5 s)" in end.error
    assert path.read_bytes() == before


async def test_missing_usage_is_estimated_and_said_so(tmp_path: Path, openai: OpenAIServer) -> None:
    openai.script(Reply(text="hello there", usage=None))
    agent, events, _ = session(tmp_path, OpenAIProvider("m", openai.url))
    end = await agent.run_turn("hi")
    assert end.prompt_tokens > 100 and end.completion_tokens > 0
    assert end.extra.get("estimated_tokens") is True
    assert all(e.estimated for e in events if isinstance(e, ev.ContextUsed))


@pytest.mark.parametrize(
    "text",
    [
        CALL.replace('"', "&#34;"),
        f"<|python_tag|>{CALL}<|eom_id|>",
        f"<start_of_turn>model\n[TOOL_CALLS][{CALL}]",
    ],
)
async def test_escaped_and_template_wrapped_calls_are_repaired(
    tmp_path: Path, ollama: OllamaServer, text: str
) -> None:
    ollama.script(Reply(text=text), Reply(text="done"))
    agent, events, _ = session(tmp_path, OllamaProvider("m", ollama.url))
    end = await agent.run_turn("read source")
    results = [e for e in events if isinstance(e, ev.ToolFinished)]
    assert end.reason == "finished" and [r.ok for r in results] == [True]


async def test_broken_arguments_go_back_as_written_not_as_empty(
    tmp_path: Path, openai: OpenAIServer
) -> None:
    openai.script(Reply(calls=[Call("read_cell", "{cell: source")]), Reply(text="sorry"))
    agent, _, _ = session(tmp_path, OpenAIProvider("m", openai.url))
    await agent.run_turn("read it")
    assistant = next(m for m in openai.chats[1]["messages"] if m.get("tool_calls"))
    sent = json.loads(assistant["tool_calls"][0]["function"]["arguments"])
    assert sent == {"unparsed_arguments": "{cell: source"} and assistant["content"] == ""


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (Fail(500, "llama_decode failed"), "HTTP 500: llama_decode failed"),
        (
            Fail(400, "the request exceeds the available context size"),
            "refused a prompt larger than its window",
        ),
    ],
)
async def test_server_errors_are_one_line(
    tmp_path: Path, openai: OpenAIServer, response: Fail, expected: str
) -> None:
    openai.script(response)
    agent, _, path = session(tmp_path, OpenAIProvider("m", openai.url))
    before = path.read_bytes()
    end = await agent.run_turn("hi")
    assert end.reason == "error" and expected in end.error and "\n" not in end.error
    assert path.read_bytes() == before


async def test_no_request_exceeds_the_window_over_many_turns(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    """Five turns of large read results in a 4k window: every request fits, compaction is
    rare and large, and between compactions each request extends the one before."""
    big = [Call("read_outputs", {}), Call("list_cells", {})]
    script = []
    for _ in range(5):
        script += [Reply(calls=big), Reply(calls=big), Reply(text="ok")]
    ollama.script(*script)
    agent, events, _ = session(
        tmp_path, OllamaProvider("m", ollama.url), context_window=4096, max_tokens=512
    )
    for n in range(5):
        end = await agent.run_turn(f"look again, pass {n} " + "and explain " * 40)
        assert end.reason == "finished", end.error
    used = [e for e in events if isinstance(e, ev.ContextUsed) and e.estimated]
    assert len(used) == 15 and max(e.prompt_tokens for e in used) <= 4096 - 512
    compactions = [e for e in used if e.compacted]
    assert 1 <= len(compactions) <= 5
    for before, after, event in zip(ollama.chats, ollama.chats[1:], used[1:], strict=False):
        if not event.compacted:
            assert after["messages"][: len(before["messages"])] == before["messages"]


@pytest.mark.parametrize(
    ("num_ctx", "trained", "window", "source"),
    [
        (6144, 32768, 6144, "ollama /api/show num_ctx"),
        (None, 32768, 8192, "default (model trained for 32768 tokens)"),
        (None, 4096, 4096, "ollama /api/show context_length"),
    ],
)
async def test_the_window_is_learned_from_ollama(
    tmp_path: Path,
    ollama: OllamaServer,
    num_ctx: int | None,
    trained: int,
    window: int,
    source: str,
) -> None:
    ollama.num_ctx, ollama.trained = num_ctx, trained
    ollama.script(Reply(text="hi"))
    agent, events, _ = session(tmp_path, OllamaProvider("m", ollama.url))
    await agent.run_turn("hello")
    used = next(e for e in events if isinstance(e, ev.ContextUsed))
    assert (used.window, used.source) == (window, source)
    assert ollama.chats[0]["options"]["num_ctx"] == window  # never Ollama's silent 4k


async def test_a_model_without_tools_gets_json_steps_from_the_first_request(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    ollama.capabilities = ("completion",)  # what Ollama says of e.g. gemma3 or codellama
    ollama.script(
        Reply(text='{"tool": "read_cell", "arguments": {"cell": "source"}}'),
        Reply(text='{"answer": "value = 1"}'),
    )
    agent, events, _ = session(tmp_path, OllamaProvider("m", ollama.url))
    end = await agent.run_turn("what is in source?")
    assert end.reason == "finished" and end.steps == 1
    first = ollama.chats[0]
    assert not first.get("tools") and first["format"]["anyOf"]  # the client sends "tools": null
    assert any(
        isinstance(e, ev.AgentWarning) and "cannot call tools natively" in e.text for e in events
    )


async def test_undo_waits_for_the_turn_and_a_resumed_call_without_result_is_answered(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    from marimo_tui.agent.history import answered
    from marimo_tui.agent.providers.base import ChatMessage, ToolCall
    from marimo_tui.agent.tools import ToolFailure

    # A conversation saved while a call ran (the app was quit): the call gets a result.
    call = ToolCall("c1", "read_cell", {"cell": "source"})
    history = [ChatMessage("user", "read it"), ChatMessage("assistant", "", (call,))]
    fixed = answered(history)
    assert fixed[-1].role == "tool" and fixed[-1].tool_call_id == "c1"
    assert answered(fixed) == fixed  # a whole conversation is left as it is

    ollama.script(Reply(text=["slow "] * 50, chunk_delay=0.02))
    agent, _, _ = session(tmp_path, OllamaProvider("m", ollama.url))
    running = asyncio.ensure_future(agent.run_turn("talk"))
    await wait_until(lambda: agent.busy, what="the turn")  # then a second of streaming
    with pytest.raises(ToolFailure, match="the agent is working"):
        await agent.undo_last_turn()
    await running


async def test_a_server_that_does_not_say_its_window_gets_the_default(
    tmp_path: Path, openai: OpenAIServer
) -> None:
    """No `/props`, no `max_model_len`: the turn runs on the default window, and says so."""
    openai.models = []
    openai.script(Reply(text="hi"))
    agent, events, _ = session(tmp_path, OpenAIProvider("m", openai.url))
    end = await agent.run_turn("hello")
    assert end.reason == "finished"
    used = next(e for e in events if isinstance(e, ev.ContextUsed))
    assert (used.window, used.source) == (8192, "default")
