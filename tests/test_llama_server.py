"""What a real llama.cpp `llama-server` (see llama_support.py) says on the wire, with plain httpx:
the facts the openai provider is written against. The model is a 270M base model, so the tests
check shapes and limits, not answers, and keep every generation short."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from tests.llama_support import REQUEST_TIMEOUT, LlamaServer

READ_CELL = {
    "type": "function",
    "function": {
        "name": "read_cell",
        "description": "Read a cell by id.",
        "parameters": {
            "type": "object",
            "properties": {"id": {"type": "string"}},
            "required": ["id"],
        },
    },
}


def call(call_id: str, cell: str) -> dict[str, Any]:
    arguments = json.dumps({"id": cell})
    function = {"name": "read_cell", "arguments": arguments}
    return {"id": call_id, "type": "function", "function": function}


# A history in which the model already called the tool twice: the tiny model then calls it again.
FEW_SHOT: list[dict[str, Any]] = [
    {"role": "system", "content": "You edit notebooks."},
    {"role": "user", "content": "Read cell a1."},
    {"role": "assistant", "content": "", "tool_calls": [call("c1", "a1")]},
    {"role": "tool", "tool_call_id": "c1", "content": "x = 1"},
    {"role": "user", "content": "Read cell b2."},
    {"role": "assistant", "content": "", "tool_calls": [call("c2", "b2")]},
    {"role": "tool", "tool_call_id": "c2", "content": "y = 2"},
    {"role": "user", "content": "Read cell c3."},
]
HELLO = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Say hello."},
]


def sse(server: LlamaServer, body: dict[str, Any]) -> list[dict[str, Any]]:
    """POST a streamed chat completion; the `data:` events as JSON, up to [DONE]."""
    events: list[dict[str, Any]] = []
    body = {**body, "stream": True}
    url = server.base + "/chat/completions"
    with httpx.stream("POST", url, json=body, timeout=REQUEST_TIMEOUT) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            if line == "data: [DONE]":
                return events
            events.append(json.loads(line[len("data: ") :]))
    raise AssertionError(f"the stream closed without [DONE]: {events[-3:]}")


def chat(server: LlamaServer, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(server.base + "/chat/completions", json=body, timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_props_tell_the_window(llama_server: LlamaServer) -> None:
    props = httpx.get(llama_server.url + "/props", timeout=REQUEST_TIMEOUT).json()
    # The window is under default_generation_settings, not at the top level.
    assert props["default_generation_settings"]["n_ctx"] == 4096
    assert "n_ctx" not in props
    assert props["total_slots"] == 1
    assert props["chat_template_caps"]["supports_tool_calls"] is True  # TOOLS_TEMPLATE
    slots = httpx.get(llama_server.url + "/slots", timeout=REQUEST_TIMEOUT).json()
    assert slots[0]["n_ctx"] == 4096


def test_gguf_template_has_no_tools_and_drops_them(llama_server_gguf_template: LlamaServer) -> None:
    server = llama_server_gguf_template
    props = httpx.get(server.url + "/props", timeout=REQUEST_TIMEOUT).json()
    assert props["chat_template_caps"]["supports_tools"] is False
    plain = chat(server, {"messages": FEW_SHOT[:2], "max_tokens": 1})
    forced = chat(
        server,
        {
            "messages": FEW_SHOT[:2],
            "tools": [READ_CELL],
            "tool_choice": "required",
            "max_tokens": 8,
        },
    )
    # Not an error: the tools never reach the prompt and the model answers in text.
    assert forced["usage"]["prompt_tokens"] == plain["usage"]["prompt_tokens"]
    assert "tool_calls" not in forced["choices"][0]["message"]


def test_stream_stops_at_max_tokens_with_usage_and_timings(llama_server: LlamaServer) -> None:
    events = sse(
        llama_server,
        {"messages": HELLO, "max_tokens": 8, "stream_options": {"include_usage": True}},
    )
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": None}
    finish = [e for e in events if e["choices"] and e["choices"][0]["finish_reason"]]
    assert [e["choices"][0]["finish_reason"] for e in finish] == ["length"]
    # With include_usage, a last chunk without choices carries usage and timings.
    last = events[-1]
    assert last["choices"] == []
    assert last["usage"]["completion_tokens"] == 8
    assert last["usage"]["prompt_tokens"] > 0
    assert "cached_tokens" in last["usage"]["prompt_tokens_details"]
    assert {"cache_n", "prompt_n", "predicted_n", "prompt_ms"} <= set(last["timings"])
    assert last["timings"]["predicted_n"] == 8


def test_stream_without_include_usage_puts_timings_on_the_finish_chunk(
    llama_server: LlamaServer,
) -> None:
    events = sse(llama_server, {"messages": HELLO, "max_tokens": 4})
    assert not any("usage" in e for e in events)
    assert events[-1]["choices"][0]["finish_reason"] == "length"
    assert events[-1]["timings"]["predicted_n"] == 4


def test_prompt_over_the_window_is_rejected_with_http_400(llama_server_small: LlamaServer) -> None:
    body = {"messages": [{"role": "user", "content": "word " * 3000}], "max_tokens": 8}
    for stream in (False, True):
        response = httpx.post(
            llama_server_small.base + "/chat/completions",
            json={**body, "stream": stream},
            timeout=REQUEST_TIMEOUT,
        )
        # Streamed or not, a plain JSON error before any event.
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["error"]
        assert error["type"] == "exceed_context_size_error"
        assert error["code"] == 400
        assert error["n_ctx"] == 2048
        assert error["n_prompt_tokens"] > 2048
        assert error["message"] == (
            f"request ({error['n_prompt_tokens']} tokens) exceeds the available context size"
            " (2048 tokens), try increasing it"
        )


def test_generation_that_reaches_the_window_stops_with_length(
    llama_server_small: LlamaServer,
) -> None:
    """A prompt that fits but leaves less room than max_tokens: no error, cut at the window."""
    body = {"messages": [{"role": "user", "content": "word " * 1990}], "max_tokens": 200}
    result = chat(llama_server_small, body)
    assert result["choices"][0]["finish_reason"] == "length"
    usage = result["usage"]
    assert usage["prompt_tokens"] + usage["completion_tokens"] <= 2048
    assert usage["completion_tokens"] < 200


def test_tokenize_and_apply_template(llama_server: LlamaServer) -> None:
    tokens = httpx.post(
        llama_server.url + "/tokenize", json={"content": "hello world"}, timeout=REQUEST_TIMEOUT
    ).json()
    assert tokens == {"tokens": [23391, 1902]}  # no BOS unless add_special is true
    applied = httpx.post(
        llama_server.url + "/apply-template", json={"messages": HELLO}, timeout=REQUEST_TIMEOUT
    ).json()
    assert applied == {
        "prompt": "<|im_start|>system\nYou are helpful.<|im_end|>\n"
        "<|im_start|>user\nSay hello.<|im_end|>\n<|im_start|>assistant\n"
    }
    # The same prompt counts as many tokens as a chat request reports.
    counted = httpx.post(
        llama_server.url + "/tokenize",
        json={"content": applied["prompt"], "add_special": True},
        timeout=REQUEST_TIMEOUT,
    ).json()["tokens"]
    usage = chat(llama_server, {"messages": HELLO, "max_tokens": 1})["usage"]
    assert len(counted) == usage["prompt_tokens"]


@pytest.mark.parametrize("tool_choice", ["required", "auto"])
def test_streamed_tool_call_arrives_as_deltas(llama_server: LlamaServer, tool_choice: str) -> None:
    events = sse(
        llama_server,
        {
            "messages": FEW_SHOT,
            "tools": [READ_CELL],
            "tool_choice": tool_choice,
            "max_tokens": 24,  # enough for the first call
            "temperature": 0,
        },
    )
    deltas = [
        d for e in events if e["choices"] for d in e["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert deltas, events
    first = deltas[0]
    # The first delta of a call has index, id, type and name; the arguments come in pieces.
    assert first["index"] == 0
    assert first["type"] == "function"
    assert first["function"]["name"] == "read_cell"
    assert isinstance(first["id"], str) and first["id"]
    assert all(set(d) == {"index", "function"} for d in deltas[1:] if d["index"] == 0)
    arguments = "".join(d["function"].get("arguments", "") for d in deltas if d["index"] == 0)
    assert json.loads(arguments) == {"id": "c3"}
    # No content alongside, and the finish says "length" (max_tokens), never "tool_calls":
    # the tiny model repeats the call until cut off.
    assert not any(e["choices"] and e["choices"][0]["delta"].get("content") for e in events)
    assert events[-1]["choices"][0]["finish_reason"] == "length"


def test_tool_choice_object_form_is_ignored(llama_server: LlamaServer) -> None:
    """{"type": "function", ...} is not understood (logged as a wrong type, treated as auto)."""
    named = {"type": "function", "function": {"name": "read_cell"}}
    result = chat(
        llama_server,
        {"messages": HELLO, "tools": [READ_CELL], "tool_choice": named, "max_tokens": 4},
    )
    assert result["choices"][0]["finish_reason"] == "length"
    assert "wrong type supplied for parameter 'tool_choice'" in llama_server.log_tail(200).lower()


def test_response_format_json_schema_constrains_the_answer(llama_server: LlamaServer) -> None:
    schema = {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": ["read_cell", "final"]},
            "id": {"type": "string", "maxLength": 8},
        },
        "required": ["tool", "id"],
        "additionalProperties": False,
    }
    messages = [
        {"role": "system", "content": "Answer with one JSON object."},
        {"role": "user", "content": "Read cell a1."},
    ]
    result = chat(
        llama_server,
        {
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "step", "schema": schema, "strict": True},
            },
            "max_tokens": 100,
            "temperature": 0,
        },
    )
    choice = result["choices"][0]
    assert choice["finish_reason"] == "stop"
    jsonschema.validate(json.loads(choice["message"]["content"]), schema)


def test_kv_cache_reuses_a_shared_prefix(llama_server: LlamaServer) -> None:
    system = "You are a notebook assistant. " + " ".join(f"Rule {i}: be brief." for i in range(60))
    first = [{"role": "system", "content": system}, {"role": "user", "content": "Say one."}]
    second = [*first, {"role": "assistant", "content": "One."}, {"role": "user", "content": "Two?"}]
    options = {"max_tokens": 2, "stream_options": {"include_usage": True}}
    sse(llama_server, {"messages": first, **options})
    last = sse(llama_server, {"messages": second, **options})[-1]
    timings, usage = last["timings"], last["usage"]
    # Nearly all of the first request's prompt comes from the cache (gemma 3 uses sliding-window
    # attention: llama-server restarts from its last context checkpoint, a few tokens back).
    assert timings["cache_n"] > 300
    assert timings["cache_n"] + timings["prompt_n"] == usage["prompt_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == timings["cache_n"]
