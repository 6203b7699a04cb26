"""The context budget and structured-output mode, as pure functions: counting, compaction,
the one-line overflow, the JSON-step schema and history."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from marimo_tui.agent import structured
from marimo_tui.agent.context import (
    SUMMARY_HEAD,
    Budget,
    ContextOverflow,
    Counter,
    compact,
)
from marimo_tui.agent.providers.base import ChatMessage, ToolCall
from marimo_tui.agent.tools import specs


def turn(n: int, result_chars: int = 3000, tool: str = "read_outputs") -> list[ChatMessage]:
    """One user turn: a prompt, a call, its (large) result, and an answer."""
    call = ToolCall(f"c{n}", tool, {"notebook": "nb.py"})
    result = json.dumps({"ok": True, "cells": ["x" * result_chars]})
    return [
        ChatMessage("user", f"question {n}"),
        ChatMessage("assistant", "", (call,)),
        ChatMessage("tool", result, tool_call_id=f"c{n}", name=tool),
        ChatMessage("assistant", f"answer {n}"),
    ]


def test_counter_calibrates_from_server_counts_and_stays_on_the_safe_side() -> None:
    counter = Counter()
    assert counter.text("x" * 300) == 100
    counter.calibrate(chars=40_000, messages=10, tokens=10_080)  # 4 chars a token
    assert counter.chars_per_token == pytest.approx(3.6)
    counter.calibrate(chars=100, messages=1, tokens=20)  # too small to judge: ignored
    assert counter.chars_per_token == pytest.approx(3.6)
    # A count far below ours (a server counting only uncached tokens) is not believed, and
    # no one count moves the ratio by more than a quarter.
    counter.calibrate(chars=18_000, messages=20, tokens=300)
    assert counter.chars_per_token == pytest.approx(3.6)
    counter.calibrate(chars=40_000, messages=10, tokens=5_080)  # 8 chars a token
    assert counter.chars_per_token == pytest.approx(4.5)


def test_history_that_fits_is_sent_as_it_is() -> None:
    budget = Budget(8192, "test")
    messages = turn(1, 1000)
    fitted = budget.fit(500, messages)
    assert fitted.messages is messages and fitted.compacted == 0
    assert fitted.max_tokens == 2048  # a large enough window keeps max_tokens


def test_a_small_window_bounds_the_answer_so_prompt_and_answer_fit() -> None:
    budget = Budget(2048, "test", max_tokens=2048)
    assert budget.reserve == 512 and budget.limit == 1536
    fitted = budget.fit(1000, [ChatMessage("user", "hi")])
    assert fitted.prompt_tokens + fitted.max_tokens <= 2048


def test_compaction_goes_to_the_low_water_mark_and_keeps_calls_paired() -> None:
    budget = Budget(4096, "test", max_tokens=1024)
    messages = [m for n in range(1, 6) for m in turn(n)] + [ChatMessage("user", "now this")]
    fitted = budget.fit(900, messages)
    assert fitted.compacted > 0
    assert fitted.prompt_tokens <= budget.limit * 0.7  # room for the next requests
    ids = {c.id for m in fitted.messages for c in m.tool_calls}
    answered = {m.tool_call_id for m in fitted.messages if m.role == "tool"}
    assert ids == answered  # no call without its result, no result without its call
    assert fitted.messages[-1].content.endswith("now this")


def test_superseded_reads_go_first_and_the_stub_says_how_to_get_them_again() -> None:
    messages = [*turn(1), *turn(2), ChatMessage("user", "go on")]
    counter = Counter()
    size = counter.messages(messages)
    out, changed = compact(messages, size - 100, counter)
    stub = json.loads(out[2].content)
    assert "superseded" in stub["result"] and 'read_outputs(notebook="nb.py")' in stub["result"]
    assert out[6].content == messages[6].content  # the newer read is whole
    assert changed == 1


def test_older_turns_are_summarised_into_the_current_one() -> None:
    messages = [m for n in range(1, 4) for m in turn(n, tool=f"t{n}")]
    messages.append(ChatMessage("user", "the question now"))
    out, _ = compact(messages, 250, Counter())
    head = out[0]
    assert head.role == "user" and head.content.startswith(SUMMARY_HEAD)
    assert "- user: question 1" in head.content and "answered: answer 3" in head.content
    assert 't2(notebook="nb.py") → ok' in head.content
    assert head.content.endswith("the question now")
    # A second compaction carries the summary on rather than summarising the summary.
    later = [*out, *turn(4, tool="t4"), ChatMessage("user", "and now")]
    again, _ = compact(later, 200, Counter())
    assert "- user: question 1" in again[0].content and "- user: question 4" in again[0].content


def test_the_summary_gives_way_to_the_target_oldest_lines_first() -> None:
    messages = [m for n in range(1, 13) for m in turn(n, tool=f"t{n}")]
    messages.append(ChatMessage("user", "the question now"))
    counter = Counter()
    out, _ = compact(messages, 150, counter)
    assert counter.messages(out) <= 150
    head = out[0].content
    assert "question 12" in head and "question 1\n" not in head
    assert "(older turns left out)" in head and head.endswith("the question now")


def test_the_current_turns_big_call_arguments_are_cut_once_they_ran() -> None:
    big = ToolCall("c1", "add_cell", {"code": "x = '" + "y" * 100_000 + "'"})
    messages = [
        ChatMessage("user", "add it"),
        ChatMessage("assistant", "", (big,)),
        ChatMessage("tool", '{"ok": true}', tool_call_id="c1", name="add_cell"),
    ]
    fitted = Budget(4096, "test").fit(500, messages)
    (call,) = fitted.messages[1].tool_calls
    assert isinstance(call.arguments, dict) and "characters, cut" in call.arguments["code"]


def test_the_minimum_not_fitting_is_one_line_naming_the_window() -> None:
    budget = Budget(2048, "llama-server /props")
    with pytest.raises(ContextOverflow) as caught:
        budget.fit(1900, [ChatMessage("user", "hello")])
    text = str(caught.value)
    assert "\n" not in text and "2,048 tokens (llama-server /props)" in text
    assert "need ~1,910 plus 256" in text and "agent.context_window" in text


# -- structured-output mode -------------------------------------------------------------------
def test_step_schema_admits_exactly_the_tools_calls_and_an_answer() -> None:
    tools = specs()
    validator = Draft202012Validator(structured.step_schema(tools))
    assert validator.is_valid({"tool": "read_cell", "arguments": {"cell": "a"}})
    assert validator.is_valid({"answer": "done"})
    assert not validator.is_valid({"tool": "shell", "arguments": {"cmd": "rm -rf /"}})
    assert not validator.is_valid({"tool": "read_cell", "arguments": {}})  # cell is required
    assert not validator.is_valid({"tool": "read_cell", "arguments": {"cell": "a"}, "x": 1})
    assert "description" not in json.dumps(structured.step_schema(tools))


def test_json_history_alternates_roles_for_templates_without_tools() -> None:
    call = ToolCall("c1", "read_cell", {"cell": "a"})
    wire = structured.history(
        [
            ChatMessage("system", "rules"),
            ChatMessage("user", "fix it"),
            ChatMessage("assistant", "Reading.", (call, ToolCall("c2", "list_cells", "{broken"))),
            ChatMessage("tool", '{"code": "x"}', tool_call_id="c1", name="read_cell"),
            ChatMessage("tool", '{"ok": false}', tool_call_id="c2", name="list_cells"),
            ChatMessage("assistant", "All fixed."),
            ChatMessage("user", "thanks"),
        ]
    )
    assert [m.role for m in wire] == ["system", "user", "assistant", "user", "assistant", "user"]
    said, *lines = wire[2].content.splitlines()
    assert said == "Reading."  # text that came with the calls is kept
    steps = [json.loads(line) for line in lines]
    assert steps[0] == {"tool": "read_cell", "arguments": {"cell": "a"}}
    assert steps[1]["arguments"] == {"unparsed_arguments": "{broken"}
    assert wire[3].content.startswith("Result of read_cell:") and "Result of list_cells" in (
        wire[3].content
    )
    assert json.loads(wire[4].content) == {"answer": "All fixed."}
    assert not any(m.tool_calls for m in wire)


@pytest.mark.parametrize(
    ("text", "answer", "call"),
    [
        ('{"tool": "read_cell", "arguments": {"cell": "a"}}', "", ("read_cell", {"cell": "a"})),
        ('{"answer": "Done."}', "Done.", None),
        ('{"name": "read_cell", "arguments": {"cell": "b"}}', "", ("read_cell", {"cell": "b"})),
        (
            "plain words, the server ignored the schema",
            "plain words, the server ignored the schema",
            None,
        ),
    ],
)
def test_parse_step(text: str, answer: str, call: tuple[str, dict[str, str]] | None) -> None:
    said, calls = structured.parse_step(text, ["read_cell"])
    assert said == answer
    assert [(c.name, c.arguments) for c in calls] == ([call] if call else [])


def test_json_mode_prompt_lists_every_tool_once_and_is_stable() -> None:
    tools = specs()
    first = structured.system_prompt("rules", tools)
    assert first == structured.system_prompt("rules", tools)
    for tool in tools:
        assert first.count(f"- {tool.name}(") == 1
