"""The LLM providers on the wire: the real `ollama` client and httpx against loopback servers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from marimo_tui.agent.providers.base import (
    ChatMessage,
    Delta,
    Done,
    Provider,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
)
from marimo_tui.agent.providers.factory import make_provider, names
from marimo_tui.agent.providers.ollama import OllamaProvider
from marimo_tui.agent.providers.openai import OpenAIProvider
from marimo_tui.agent.providers.openai_request import api_base
from marimo_tui.agent.providers.scripted import ScriptedProvider
from marimo_tui.agent.repair import calls_in_text, parse_arguments
from tests.llm_servers import Call, Fail, OllamaServer, OpenAIServer, Raw, Reply, closed_port

KNOWN = {"read_cell", "edit_cell", "list_cells"}
HELLO = [ChatMessage("user", "hello")]
READ_CELL = ToolSpec(
    "read_cell",
    "Read one cell.",
    {
        "type": "object",
        "properties": {"id": {"type": "string", "description": "The cell's id."}},
        "required": ["id"],
    },
)
HISTORY = [
    ChatMessage("system", "You edit notebooks."),
    ChatMessage("user", "read cell a1"),
    ChatMessage(
        "assistant",
        "",
        tool_calls=(
            ToolCall("call_1", "read_cell", {"id": "a1"}),
            ToolCall("call_2", "read_cell", '{"id": "b2",}'),  # as a small model sent it
        ),
    ),
    ChatMessage("tool", "x = 1", tool_call_id="call_1", name="read_cell"),
    ChatMessage("tool", "y = 2", tool_call_id="call_2", name="read_cell"),
]


async def collect(
    provider: Provider, messages: list[ChatMessage] = HELLO, tools: list[ToolSpec] | None = None
) -> tuple[list[Delta], ProviderError | None]:
    """Every delta until the end or the error, as the loop keeps them."""
    out: list[Delta] = []
    try:
        async for delta in provider.stream(messages, tools or []):
            out.append(delta)
    except ProviderError as exc:
        return out, exc
    finally:
        await provider.aclose()
    return out, None


def texts(deltas: list[Delta]) -> list[str]:
    return [d.text for d in deltas if isinstance(d, TextDelta)]


def calls(deltas: list[Delta]) -> list[ToolCall]:
    return [d.call for d in deltas if isinstance(d, ToolCallDelta)]


# -- Ollama -------------------------------------------------------------------------------


async def test_ollama_streams_text_as_several_deltas(ollama: OllamaServer) -> None:
    ollama.script(Reply(text=["Hel", "lo", " there"], usage=(30, 3)))
    deltas, error = await collect(OllamaProvider("qwen", ollama.url))
    assert error is None
    assert deltas == [
        TextDelta("Hel"),
        TextDelta("lo"),
        TextDelta(" there"),
        Usage(30, 3, None, 0.001),  # the loopback server's prompt_eval_duration: 1000 ns
        Done("stop"),
    ]
    (chat,) = ollama.chats
    assert chat["model"] == "qwen" and chat["stream"] is True
    assert chat["messages"] == [{"role": "user", "content": "hello"}]


async def test_ollama_request_wire_format(ollama: OllamaServer) -> None:
    ollama.script(Reply(text="ok"))
    _, error = await collect(OllamaProvider("qwen", ollama.url), HISTORY, [READ_CELL])
    assert error is None
    chat = ollama.chats[0]
    assert chat["tools"] == [READ_CELL.wire()]
    assert chat["tools"][0]["type"] == "function"
    system, user, assistant, first, second = chat["messages"]
    assert system == {"role": "system", "content": "You edit notebooks."}
    assert user == {"role": "user", "content": "read cell a1"}
    assert assistant["tool_calls"] == [
        {"function": {"name": "read_cell", "arguments": {"id": "a1"}}},
        {"function": {"name": "read_cell", "arguments": {"id": "b2"}}},  # repaired: an object
    ]
    assert first == {"role": "tool", "content": "x = 1", "tool_name": "read_cell"}
    assert second["tool_name"] == "read_cell"


async def test_ollama_native_tool_calls(ollama: OllamaServer) -> None:
    ollama.script(
        Reply(
            text="Reading.",
            calls=[Call("read_cell", {"id": "a1"}), Call("edit_cell", {"id": "a1", "code": "1"})],
        )
    )
    deltas, error = await collect(OllamaProvider("qwen", ollama.url), tools=[READ_CELL])
    assert error is None
    assert texts(deltas) == ["Reading."]
    assert calls(deltas) == [
        ToolCall("call_1", "read_cell", {"id": "a1"}),
        ToolCall("call_2", "edit_cell", {"id": "a1", "code": "1"}),
    ]
    assert deltas[-1] == Done("stop")


async def test_ollama_unknown_tool_is_delivered(ollama: OllamaServer) -> None:
    ollama.script(Reply(calls=[Call("format_disk", {"now": True})]))
    deltas, error = await collect(OllamaProvider("qwen", ollama.url), tools=[READ_CELL])
    assert error is None
    assert calls(deltas) == [ToolCall("call_1", "format_disk", {"now": True})]


async def test_ollama_missing_model(ollama: OllamaServer) -> None:
    ollama.script(Fail(404))
    deltas, error = await collect(OllamaProvider("qwen2.5-coder:7b", ollama.url))
    assert deltas == [] and error is not None
    assert "qwen2.5-coder:7b is not in Ollama" in error.message
    assert "ollama pull qwen2.5-coder:7b" in error.fix


async def test_ollama_server_down() -> None:
    host = f"http://127.0.0.1:{closed_port()}"
    _, error = await collect(OllamaProvider("qwen", host, timeout=5))
    assert error is not None
    assert error.message == f"cannot reach Ollama at {host}"
    assert "ollama serve" in error.fix


async def test_ollama_disconnect_keeps_the_text_before_it(ollama: OllamaServer) -> None:
    ollama.script(Reply(text=["one ", "two ", "three"], disconnect_after=2))
    deltas, error = await collect(OllamaProvider("qwen", ollama.url))
    assert texts(deltas) == ["one ", "two "]
    assert error is not None and "closed the connection mid-answer" in error.message


async def test_ollama_stream_without_done_is_incomplete(ollama: OllamaServer) -> None:
    ollama.script(Reply(text=["one ", "two"], finish=False))
    deltas, error = await collect(OllamaProvider("qwen", ollama.url))
    assert texts(deltas) == ["one ", "two"]
    assert error is not None and "mid-answer" in error.message


async def test_ollama_timeout(ollama: OllamaServer) -> None:
    ollama.script(Reply(text="late", delay=5))
    started = time.monotonic()
    _, error = await collect(OllamaProvider("qwen", ollama.url, timeout=0.2))
    assert time.monotonic() - started < 3
    assert error is not None
    assert error.message == "Ollama did not answer within 0.2 s"
    assert "agent.request_timeout" in error.fix


async def test_ollama_timeout_between_chunks_keeps_text(ollama: OllamaServer) -> None:
    ollama.script(Reply(text=["fast ", "slow"], chunk_delay=5))
    deltas, error = await collect(OllamaProvider("qwen", ollama.url, timeout=0.2))
    assert texts(deltas) == ["fast "]
    assert error is not None and "did not answer within" in error.message


async def test_ollama_http_error_shows_server_text(ollama: OllamaServer) -> None:
    ollama.script(Fail(500, "llama runner process has terminated: " + "x" * 500))
    _, error = await collect(OllamaProvider("qwen", ollama.url))
    assert error is not None
    assert "HTTP 500: llama runner process has terminated" in error.message
    assert len(error.message) < 300 and "\n" not in str(error)


async def test_ollama_error_line_mid_stream(ollama: OllamaServer) -> None:
    line = {"model": "qwen", "message": {"role": "assistant", "content": "Hi"}, "done": False}
    ollama.script(Raw([json.dumps(line) + "\n", '{"error": "out of memory"}\n']))
    deltas, error = await collect(OllamaProvider("qwen", ollama.url))
    assert texts(deltas) == ["Hi"]
    assert error is not None and "out of memory" in error.message


async def test_ollama_malformed_line(ollama: OllamaServer) -> None:
    ollama.script(Raw(['{"model": "qwen", "message": {"role": "assist\n']))
    _, error = await collect(OllamaProvider("qwen", ollama.url))
    assert error is not None and "cannot read" in error.message


async def test_ollama_broken_call_in_text_is_delivered_raw_and_repaired(
    ollama: OllamaServer,
) -> None:
    # Ollama hands back as text what it could not parse as a call; the loop repairs it.
    raw = 'I will read it.\n```json\n{"name": "read_cell", "arguments": {"id": "a1",},}\n```'
    ollama.script(Reply(text=[raw[:20], raw[20:]]))
    deltas, error = await collect(OllamaProvider("qwen", ollama.url))
    assert error is None and calls(deltas) == []
    rest, found = calls_in_text("".join(texts(deltas)), KNOWN)
    assert rest == "I will read it."
    assert found == [ToolCall("text_call_1", "read_cell", {"id": "a1"})]


async def test_ollama_string_arguments_fail_cleanly(ollama: OllamaServer) -> None:
    # Ollama's server always sends objects; the ollama client (0.6) rejects a string. The turn
    # must end with a readable error, not a pydantic traceback.
    ollama.script(Reply(text="Hm.", calls=[Call("read_cell", '{"id": "a1"')]))
    _, error = await collect(OllamaProvider("qwen", ollama.url))
    assert error is not None
    assert "cannot read" in error.message and "arguments" in error.message


async def test_ollama_one_megabyte_round_trip(ollama: OllamaServer) -> None:
    big = "".join(f"row_{i} = {i!r}\n" for i in range(80_000))
    assert len(big) > 1_000_000
    ollama.script(Reply(calls=[Call("edit_cell", {"id": "a1", "code": big})]))
    history = [*HISTORY[:3], ChatMessage("tool", big, tool_call_id="call_1", name="read_cell")]
    started = time.monotonic()
    deltas, error = await collect(OllamaProvider("qwen", ollama.url), history, [READ_CELL])
    assert time.monotonic() - started < 5
    assert error is None
    assert calls(deltas) == [ToolCall("call_1", "edit_cell", {"id": "a1", "code": big})]
    assert ollama.chats[0]["messages"][-1]["content"] == big


async def test_ollama_answers_several_turns_on_one_provider(ollama: OllamaServer) -> None:
    ollama.script(Reply(text="one"), Reply(text="two"))
    provider = OllamaProvider("qwen", ollama.url)
    first = [d async for d in provider.stream(HELLO, [])]
    second, error = await collect(provider)
    assert texts(first) == ["one"] and texts(second) == ["two"] and error is None
    assert ollama.remaining == 0


# -- OpenAI-compatible ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/"])
async def test_openai_streams_text_and_usage(openai: OpenAIServer, suffix: str) -> None:
    openai.script(Reply(text=["Hel", "lo"], usage=(40, 2)))
    provider = OpenAIProvider("gpt-x", openai.url + suffix, "sk-test-key")
    deltas, error = await collect(provider)
    assert error is None
    assert deltas == [TextDelta("Hel"), TextDelta("lo"), Usage(40, 2), Done("stop")]
    (request,) = [r for r in openai.requests if r.path == "/v1/chat/completions"]
    assert request.headers["authorization"] == "Bearer sk-test-key"
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["model"] == "gpt-x"


def test_api_base() -> None:
    assert api_base("http://h:8080") == "http://h:8080/v1"
    assert api_base("http://h:8080/") == "http://h:8080/v1"
    assert api_base("https://openrouter.ai/api/v1/") == "https://openrouter.ai/api/v1"
    assert api_base("localhost:8080") == "http://localhost:8080/v1"


async def test_openai_tool_calls_split_across_chunks(openai: OpenAIServer) -> None:
    first = {"id": "a1", "code": "x = {'a': [1, 2, 3]}\nprint(x)"}
    openai.script(
        Reply(calls=[Call("edit_cell", first, id="call_A"), Call("read_cell", {"id": "b2"})])
    )
    deltas, error = await collect(OpenAIProvider("m", openai.url, None), tools=[READ_CELL])
    assert error is None
    assert calls(deltas) == [
        ToolCall("call_A", "edit_cell", json.dumps(first)),  # the raw JSON text
        ToolCall("call_loopback_1", "read_cell", '{"id": "b2"}'),
    ]
    assert deltas[-1] == Done("tool_calls")
    assert "authorization" not in openai.requests[0].headers


async def test_openai_request_wire_format(openai: OpenAIServer) -> None:
    openai.script(Reply(text="ok"))
    _, error = await collect(OpenAIProvider("m", openai.url, None), HISTORY, [READ_CELL])
    assert error is None
    chat = openai.chats[0]
    assert chat["tools"] == [READ_CELL.wire()]
    system, _, assistant, first, second = chat["messages"]
    assert system == {"role": "system", "content": "You edit notebooks."}
    assert assistant["content"] == ""  # llama-cpp-python answers HTTP 500 to a null
    assert [(c["id"], c["type"], c["function"]) for c in assistant["tool_calls"]] == [
        ("call_1", "function", {"name": "read_cell", "arguments": '{"id": "a1"}'}),
        ("call_2", "function", {"name": "read_cell", "arguments": '{"id": "b2"}'}),  # repaired
    ]
    assert first == {"role": "tool", "content": "x = 1", "tool_call_id": "call_1"}
    assert second["tool_call_id"] == "call_2"


async def test_openai_refused_key_never_shows_it(openai: OpenAIServer) -> None:
    key = "sk-very-secret-0123456789"
    openai.script(Fail(401, f"Incorrect API key provided: {key}"))
    provider = OpenAIProvider("m", openai.url, key, key_env="MY_KEY")
    _, error = await collect(provider)
    assert error is not None
    assert "refused the API key" in error.message and "$MY_KEY" in error.fix
    assert key not in str(error) and key not in repr(provider)


async def test_openai_missing_model(openai: OpenAIServer) -> None:
    openai.script(Fail(404))
    _, error = await collect(OpenAIProvider("nope", openai.url, None))
    assert error is not None
    assert "has no model nope" in error.message and "does not exist" in error.message
    assert "agent.model" in error.fix


async def test_openai_http_error_shows_server_message(openai: OpenAIServer) -> None:
    openai.script(Fail(503, "Loading model, try again in a minute"))
    _, error = await collect(OpenAIProvider("m", openai.url, None))
    assert error is not None
    assert error.message.endswith("HTTP 503: Loading model, try again in a minute")


async def test_openai_server_down() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    _, error = await collect(OpenAIProvider("m", url, None))
    assert error is not None and "cannot reach" in error.message and url in error.message


async def test_openai_disconnect_keeps_the_text_before_it(openai: OpenAIServer) -> None:
    openai.script(Reply(text=["one ", "two ", "three"], disconnect_after=2))
    deltas, error = await collect(OpenAIProvider("m", openai.url, None))
    assert texts(deltas) == ["one ", "two "]
    assert error is not None and "closed the connection mid-answer" in error.message


async def test_openai_stream_without_done_is_incomplete(openai: OpenAIServer) -> None:
    openai.script(Reply(text=["one"], finish=False))
    deltas, error = await collect(OpenAIProvider("m", openai.url, None))
    assert texts(deltas) == ["one"]
    assert error is not None and "mid-answer" in error.message


async def test_openai_stops_at_done(openai: OpenAIServer) -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}
    events = [f"data: {json.dumps(chunk)}\n\n", ": keep-alive comment\n\n", "data: [DONE]\n\n"]
    openai.script(Raw([*events, "data: {not json after the end\n\n"]))
    deltas, error = await collect(OpenAIProvider("m", openai.url, None))
    assert error is None
    assert deltas == [TextDelta("hi"), Done("stop")]


async def test_openai_malformed_event(openai: OpenAIServer) -> None:
    openai.script(Raw(['data: {"choices": [\n\n'], content_type="text/event-stream"))
    _, error = await collect(OpenAIProvider("m", openai.url, None))
    assert error is not None and "not JSON" in error.message


async def test_openai_timeout(openai: OpenAIServer) -> None:
    openai.script(Reply(text="late", delay=5))
    _, error = await collect(OpenAIProvider("m", openai.url, None, timeout=0.2))
    assert error is not None and "did not answer within 0.2 s" in error.message


# -- scripted -------------------------------------------------------------------------------

SCRIPT = """\
turns:
  - text: "I'll read  the cell."
    tool_calls:
      - name: read_cell
        arguments: {id: a1}
      - name: edit_cell
        arguments: '{"id": "a1",}'
  - text: Done.
"""


async def test_scripted_replays_turns_then_ends(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(SCRIPT)
    provider = ScriptedProvider(path)
    assert provider.info.replay and provider.info.label == "replay of demo.yaml"
    first, error = await collect(provider)
    assert error is None
    assert "".join(texts(first)) == "I'll read  the cell."
    assert len(texts(first)) == 4
    assert [(c.name, c.arguments) for c in calls(first)] == [
        ("read_cell", {"id": "a1"}),
        ("edit_cell", '{"id": "a1",}'),
    ]
    assert first[-2:] == [Usage(0, 0), Done("tool_calls")]
    second, _ = await collect(provider)
    assert texts(second) == ["Done."] and second[-1] == Done("stop")
    over, _ = await collect(provider)
    assert "replay of demo.yaml has ended" in "".join(texts(over)) and over[-1] == Done("stop")


async def test_scripted_paces_words(tmp_path: Path) -> None:
    path = tmp_path / "pace.yaml"
    path.write_text("turns:\n  - text: one two three four five\n")
    started = time.monotonic()
    deltas, _ = await collect(ScriptedProvider(path, tokens_per_second=200))
    assert len(texts(deltas)) == 5 and time.monotonic() - started >= 0.02


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("turns:\n\t- text: hi\n", "(line 2) is not valid YAML"),
        ("turns: nope\n", "needs a top-level `turns:` list"),
        ("- text: hi\n", "needs a top-level `turns:` list"),
        ("turns:\n  - text: hi\n  - txt: typo\n", "(line 3): turn 2 has unknown key 'txt'"),
        ("turns:\n  - text: 42\n", "(line 2): turn 1: `text:` must be a string"),
        ("turns: []\nprompts: hi\n", "(line 2): unknown top-level key 'prompts'"),
        ("turns:\n  - needs: launch_asset\n", "`needs:` must be a list of tool names"),
        ("turns:\n  - tool_calls:\n      - arguments: {}\n", "turn 1, tool call 1 needs a `name:`"),
        (
            "turns:\n  - tool_calls:\n      - {name: x, arguments: [1]}\n",
            "`arguments:` must be a mapping or a string",
        ),
    ],
)
def test_scripted_bad_file(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(ProviderError) as caught:
        ScriptedProvider(path)
    assert str(path) in caught.value.message and expected in caught.value.message


async def test_scripted_results_conditions_and_prompt(tmp_path: Path) -> None:
    path = tmp_path / "tour.yaml"
    path.write_text(
        "prompt: Chart it\n"
        "turns:\n"
        "  - tool_calls:\n"
        "      - {name: plan, arguments: {tasks: [a, b]}}\n"
        "  - needs: [launch_asset]\n"
        "    text: launching\n"
        "  - unless: [launch_asset]\n"
        "    tool_calls:\n"
        "      - name: update_task\n"
        '        arguments: {id: "${plan.tasks.1.id}", note: "after ${plan.tasks.0.id}", n: 1}\n'
        "  - tool_calls:\n"
        "      - {name: run_status, arguments: {run_id: '${launch_asset.run_id}'}}\n"
    )
    provider = ScriptedProvider(path)
    assert provider.prompt == "Chart it"
    await collect(provider)
    plan_result = ChatMessage(
        "tool", '{"tasks": [{"id": "t1"}, {"id": "t2"}]}', tool_call_id="replay_1_1", name="plan"
    )
    offered = [ToolSpec("update_task", "", {}), ToolSpec("run_status", "", {})]
    # The turn that needs launch_asset is skipped (not offered); the `unless` one plays, with
    # the plan's task ids filled in (a whole-string reference keeps the value as it is).
    deltas, error = await collect(provider, [*HELLO, plan_result], offered)
    assert error is None and texts(deltas) == []
    (call,) = calls(deltas)
    assert call.arguments == {"id": "t2", "note": "after t1", "n": 1}
    # A reference to a result that never came is one clear error, not a wrong call.
    _, error = await collect(provider, [*HELLO, plan_result], offered)
    assert error is not None and "${launch_asset.run_id} is not in the results so far" in str(
        error.message
    )


def test_scripted_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="cannot read replay script"):
        ScriptedProvider(tmp_path / "missing.yaml")


# -- factory -------------------------------------------------------------------------------


async def test_factory(
    tmp_path: Path, openai: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert names == ("ollama", "openai", "scripted")
    ollama = make_provider("ollama", model="m", host="http://127.0.0.1:1", timeout=1, script=None)
    assert ollama.info.label == "ollama · m"
    with pytest.raises(ProviderError, match="needs a script"):
        make_provider("scripted", model="m", host="", api_key_env="X", timeout=1, script=None)
    with pytest.raises(ProviderError, match="unknown provider"):
        make_provider("claude", model="m", host="", api_key_env="X", timeout=1, script=None)
    path = tmp_path / "s.yaml"
    path.write_text("turns: []\n")
    assert make_provider("scripted", model="m", host="", script=path).info.replay
    monkeypatch.setenv("LOOPBACK_KEY", "sk-from-env")
    provider = make_provider(
        "openai", model="m", host=openai.url, api_key_env="LOOPBACK_KEY", timeout=5, script=None
    )
    openai.script(Reply(text="ok"))
    _, error = await collect(provider)
    assert error is None
    assert openai.requests[0].headers["authorization"] == "Bearer sk-from-env"


# -- repair --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"id": "a1"}, {"id": "a1"}),
        ('{"id": "a1"}', {"id": "a1"}),
        (json.dumps(json.dumps({"id": "a1"})), {"id": "a1"}),  # encoded twice
        ('```json\n{"id": "a1"}\n```', {"id": "a1"}),
        ('{"id": "a1", "n": [1, 2,],}', {"id": "a1", "n": [1, 2]}),
        ("{'id': 'a1', 'ok': true, 'none': null}", {"id": "a1", "ok": True, "none": None}),
        ("{'text': 'it is true that null is false'}", {"text": "it is true that null is false"}),
        ('Arguments: {"id": "a1"} as asked.', {"id": "a1"}),
        ("", {}),
        ("   \n", {}),
    ],
)
def test_parse_arguments(raw: object, expected: dict[str, object]) -> None:
    assert parse_arguments(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[1, 2]", "must be a JSON object, not a list"),
        ('"just text"', "must be a JSON object, not a string"),
        ("42", "must be a JSON object, not a number"),
        ('{"id": "a1"', "not valid JSON"),
        ('{"id":\n "a1" 5}', "line 2 column 7"),
        ("print('hi')", "not valid JSON"),
    ],
)
def test_parse_arguments_rejects(raw: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_arguments(raw)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "rest", "found"),
    [
        (
            'Reading.\n{"name": "read_cell", "arguments": {"id": "a1"}}',
            "Reading.",
            [("read_cell", {"id": "a1"})],
        ),
        (
            'Sure.\n```json\n{"name": "read_cell", "parameters": {"id": "a1"}}\n```\nThen more.',
            "Sure.\n\nThen more.",
            [("read_cell", {"id": "a1"})],
        ),
        (
            '<tool_call>\n{"name": "read_cell", "arguments": {"id": "a1"}}\n</tool_call>\n'
            '<tool_call>{"name": "edit_cell", "arguments": {"id": "a1", "code": "1"}}</tool_call>',
            "",
            [("read_cell", {"id": "a1"}), ("edit_cell", {"id": "a1", "code": "1"})],
        ),
        (
            '[{"name": "read_cell", "arguments": {"id": "a1"}}, '
            '{"type": "function", "function": {"name": "list_cells", "arguments": "{}"}}]',
            "",
            [("read_cell", {"id": "a1"}), ("list_cells", "{}")],
        ),
        (
            'ok {"tool": "read_cell", "args": {"id": "a1"}} done',
            "ok  done",
            [("read_cell", {"id": "a1"})],
        ),
        (
            '```json\n{"name": "read_cell", "arguments": {"id": "a1"}}\n'
            '{"name": "read_cell", "arguments": {"id": "b2"}}\n```',
            "",
            [("read_cell", {"id": "a1"}), ("read_cell", {"id": "b2"})],
        ),
        (
            'Broken: {"name": "read_cell", "arguments": {"id": "a1",},}',
            "Broken:",
            [("read_cell", {"id": "a1"})],
        ),
        ('{"name": "list_cells"}', "", [("list_cells", {})]),
    ],
)
def test_calls_in_text(text: str, rest: str, found: list[tuple[str, object]]) -> None:
    left, calls_found = calls_in_text(text, KNOWN)
    assert left == rest
    assert [(c.name, c.arguments) for c in calls_found] == found
    assert [c.id for c in calls_found] == [f"text_call_{n}" for n in range(1, len(found) + 1)]


@pytest.mark.parametrize(
    "text",
    [
        "No calls here, just {braces} and [brackets].",
        'An example: {"name": "Ada", "arguments": {"x": 1}}',  # not a known tool
        '{"name": "read_cell", "age": 36}',  # a record that happens to share a tool's name
        '```json\n{"type": "object", "properties": {"id": {"type": "string"}}}\n```',
        '[{"name": "read_cell", "arguments": {}}, {"name": "Ada"}]',  # not all calls
        '{"name": "read_cell", "arguments": {"id": "a1"}',  # never closed
        '{"name": ' * 10_000,
    ],
    ids=["prose", "unknown-name", "record", "schema", "mixed-list", "unclosed", "deep"],
)
def test_calls_in_text_leaves_ordinary_text(text: str) -> None:
    assert calls_in_text(text, KNOWN) == (text, [])


def test_calls_in_text_megabyte() -> None:
    prose = "Cells {a} and {b} are [1, 2]; see {'k': 'v'} and {\"q\": 1}.\n" * 16_000
    code = "x" * 300_000
    call = json.dumps({"name": "edit_cell", "arguments": {"id": "a1", "code": code}})
    text = f"{prose}```json\n{call}\n```\n{prose}"
    assert len(text) > 1_000_000
    # Linear, not quadratic: the CPU time of this thread, which other work on a busy machine
    # does not inflate the way it does the wall clock.
    started = time.thread_time()
    rest, found = calls_in_text(text, KNOWN)
    assert time.thread_time() - started < 0.5
    assert [(c.name, c.arguments) for c in found] == [("edit_cell", {"id": "a1", "code": code})]
    assert "```" not in rest and rest.startswith("Cells {a}")


@pytest.mark.parametrize(
    "text",
    [
        '{"name": ' * 120_000,  # nested past the recursion limit, never closed
        '{"name": "read_cell", "arguments": ' * 30_000,
        '{"name": 1,' * 100_000,
        "[" * 1_000_000,
    ],
    ids=["deep-unclosed", "deep-calls", "broken-siblings", "brackets"],
)
def test_calls_in_text_adversarial_megabyte(text: str) -> None:
    started = time.thread_time()  # CPU time: see test_calls_in_text_megabyte
    assert calls_in_text(text, KNOWN) == (text, [])
    assert time.thread_time() - started < 2
