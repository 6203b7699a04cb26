#!/usr/bin/env python3
"""Context figures: a scripted 5-turn agent session on a 20-cell notebook, in a 4k and an 8k
window, with every request also sent to a real llama.cpp server.

    .venv/bin/python bench/context.py [--windows 4096 8192] [--turns 5] [--no-server]

The agent's steps come from a script (four tool calls a turn: list_cells, read_outputs,
edit_cell, read_outputs of the edited cell, then an answer), so the run is the same every time.
Each request the loop makes is the real request — the same system prompt, tools, history and
options — and is also sent to llama-server (Gemma 3 270M, `-c` = the window, max_tokens 1):
the server's own count of the prompt, how much of it came from its KV cache (`timings.cache_n`)
and its prompt-processing time (the first-token time) are what it says. A request larger than
the server's window would be refused by the server, so none goes unnoticed.

Printed per window: the fixed prompt (system + tools, chars/4 and estimated tokens), per turn
the largest request, the compactions, the bytes each request shares with the one before, and
with the server its cache reuse and first-token time.
Targets: fixed <= 2,000 tokens; no request above the window; after the first request of a
turn, >= 90% of each request's prompt a cached prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tui_support import make_project  # noqa: E402

from _tmux import median  # noqa: E402
from marimo_tui.agent import events as ev  # noqa: E402
from marimo_tui.agent.limits import Limits  # noqa: E402
from marimo_tui.agent.loop import AgentSession  # noqa: E402
from marimo_tui.agent.profiles import get_profile  # noqa: E402
from marimo_tui.agent.providers.base import (  # noqa: E402
    ChatMessage,
    Delta,
    Done,
    ProviderInfo,
    RequestOptions,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolSpec,
    Usage,
    Window,
)
from marimo_tui.agent.providers.openai import OpenAIProvider  # noqa: E402
from marimo_tui.agent.tools import specs  # noqa: E402
from marimo_tui.config import load_config  # noqa: E402
from marimo_tui.workbench import Workbench  # noqa: E402

CELLS = 20


def notebook_cells() -> list[tuple[str, str]]:
    """A 20-cell pipeline: data, transforms with printed summaries, one failing cell."""
    cells = [("setup", "import math\nrows = [{'id': i, 'amount': i * 3.5} for i in range(200)]")]
    for i in range(1, CELLS - 1):
        source = "rows" if i == 1 else f"step{i - 1}"
        scale = f"1.0{i % 10}"
        total = f"sum(r['amount'] for r in step{i})"
        code = (
            f"step{i} = [dict(r, amount=round(r['amount'] * {scale}, 2)) for r in {source}]\n"
            f'print(f"step{i}: {{len(step{i})}} rows, total {{{total}:.1f}}")\n'
            f"step{i}[:3]"
        )
        cells.append((f"step{i}", code))
    cells.append(("report", "summary = {'rows': len(step18), 'mean': undefined_name}\nsummary"))
    return cells


def script(turns: int) -> list[list[ToolCall] | str]:
    steps: list[list[ToolCall] | str] = []
    for t in range(turns):
        k = 2 + 3 * t
        steps += [
            [ToolCall("", "list_cells", {})],
            [ToolCall("", "read_outputs", {})],
            [
                ToolCall(
                    "",
                    "edit_cell",
                    {"cell": f"step{k}", "search": f"1.0{k % 10}", "replace": f"1.1{k % 10}"},
                )
            ],
            [ToolCall("", "read_outputs", {"cells": [f"step{k}", "report"]})],
            f"Turn {t + 1}: step{k} now scales by 1.1{k % 10}; `report` still fails on "
            "`undefined_name`.",
        ]
    return steps


@dataclass
class Sent:
    turn: int
    estimated: int
    compacted: int
    prefix_bytes: int
    request_bytes: int
    server_tokens: int | None = None
    cached: int | None = None
    first_token_ms: float | None = None


@dataclass
class MeasuredScript:
    """Answers from the script; each request also goes, as it is, to the real server."""

    steps: list[list[ToolCall] | str]
    window_tokens: int
    server: OpenAIProvider | None
    info: ProviderInfo = field(default_factory=lambda: ProviderInfo("bench", "script", "bench"))
    sent: list[Sent] = field(default_factory=list)
    turn: int = 0
    _previous: str = ""

    async def window(self) -> Window | None:
        return None  # the bench sets agent.context_window

    async def native_tools(self) -> bool | None:
        return None

    async def aclose(self) -> None:
        if self.server is not None:
            await self.server.aclose()

    async def stream(
        self,
        messages: list[ChatMessage],
        tools: list[ToolSpec],
        options: RequestOptions | None = None,
    ) -> AsyncIterator[Delta]:
        options = options or RequestOptions()
        body = OpenAIProvider("m", "http://127.0.0.1:1").body(messages, tools, options)
        # In the order the chat template lays them out: system, tools, then the history.
        rendered = json.dumps([body["messages"][:1], body.get("tools"), body["messages"][1:]])
        shared = _common_prefix(self._previous, rendered)
        self._previous = rendered
        record = Sent(self.turn, 0, 0, shared, len(rendered))
        self.sent.append(record)
        usage = Usage(0, 0)
        if self.server is not None:
            probe = replace(options, max_tokens=1)
            async for delta in self.server.stream(messages, tools, probe):
                if isinstance(delta, Usage):
                    usage = delta
            record.server_tokens = usage.prompt_tokens
            record.cached = usage.cached_tokens
            record.first_token_ms = usage.first_token_ms
        step = self.steps.pop(0)
        if isinstance(step, str):
            yield TextDelta(step)
        else:
            for call in step:
                yield ToolCallDelta(call)
        yield Usage(usage.prompt_tokens, 8) if usage.prompt_tokens else Usage()
        yield Done("tool_calls" if not isinstance(step, str) else "stop")


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


async def run_window(
    window: int, turns: int, use_server: bool, profile: str = "data-engineer"
) -> dict[str, Any]:
    server_cm: Any = None
    provider: OpenAIProvider | None = None
    if use_server:
        from tests.llama_support import LlamaServer

        server_cm = LlamaServer.start(n_ctx=window)
        srv = server_cm.__enter__()
        provider = OpenAIProvider("gemma", srv.base, timeout=120)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            path = make_project(root, notebook_cells())
            config = load_config(start=root, environ={})
            wb = Workbench(config)
            wb.current = path
            await wb.start(watch=True, run=True)
            try:
                if wb.runtime is not None and wb.runtime.session is not None:
                    await asyncio.wait_for(wb.runtime.session.wait_ready(), 90)
                return await _session(wb, window, turns, provider, profile)
            finally:
                await wb.stop()
    finally:
        if server_cm is not None:
            server_cm.__exit__(None, None, None)


async def _session(
    wb: Workbench, window: int, turns: int, server: OpenAIProvider | None, profile_name: str
) -> dict[str, Any]:
    measured = MeasuredScript(script(turns), window, server)
    events: list[ev.AgentEvent] = []
    session = AgentSession(
        wb,
        measured,  # type: ignore[arg-type]
        get_profile(wb.config, profile_name),
        limits=Limits(approval="auto", context_window=window, max_tokens=1024),
        listener=events.append,
    )
    estimates: list[ev.ContextUsed] = []
    for t in range(turns):
        measured.turn = t + 1
        start = len(events)
        end = await session.run_turn(
            f"Turn {t + 1}: look at the pipeline and adjust the next step."
        )
        if end.reason != "finished":
            raise SystemExit(f"turn {t + 1} ended {end.reason}: {end.error}")
        estimates += [e for e in events[start:] if isinstance(e, ev.ContextUsed) and e.estimated]
    for sent, used in zip(measured.sent, estimates, strict=True):
        sent.estimated, sent.compacted = used.prompt_tokens, used.compacted
    profile = get_profile(wb.config, profile_name)
    tools = specs(list(profile.tools) or None)
    fixed_chars = len(profile.system_prompt) + len(json.dumps([t.wire() for t in tools]))
    return {"window": window, "sent": measured.sent, "fixed_chars": fixed_chars}


def report(result: dict[str, Any], verbose: bool = False) -> bool:
    window, sent = result["window"], result["sent"]
    fixed = result["fixed_chars"]
    print(f"\nwindow {window:,} tokens")
    print(f"  fixed prompt (system + tools): {fixed:,} chars = {fixed // 4:,} tokens (chars/4)")
    ok = fixed // 4 <= 2000
    print(
        "  turn  requests  largest(est/server)  compactions  shared-prefix(min/median)  "
        "cache-reuse-after-first(min)  previous-prompt-kept(min)  first-token-ms(median)"
    )
    for turn in sorted({s.turn for s in sent}):
        rows = [s for s in sent if s.turn == turn]
        largest_est = max(s.estimated for s in rows)
        served = [s.server_tokens for s in rows if s.server_tokens]
        largest_srv = max(served) if served else None
        compactions = sum(1 for s in rows if s.compacted)
        shares = [s.prefix_bytes / s.request_bytes for s in rows[1:]]
        reuse = [
            s.cached / s.server_tokens for s in rows[1:] if s.cached is not None and s.server_tokens
        ]
        # Of what the previous request had, how much the server kept: 100% when a request only
        # appends to the one before it.
        kept = [
            s.cached / prev.server_tokens
            for prev, s in itertools.pairwise(rows)
            if s.cached is not None and prev.server_tokens
        ]
        firsts = [s.first_token_ms for s in rows if s.first_token_ms is not None]
        print(
            f"  {turn:>4}  {len(rows):>8}  {largest_est:>9,}/{largest_srv or '-':>9}  "
            f"{compactions:>11}  {min(shares):>12.0%}/{median(shares):>5.0%}  "
            f"{(f'{min(reuse):.0%}' if reuse else '-'):>28}  "
            f"{(f'{min(kept):.0%}' if kept else '-'):>25}  "
            f"{(f'{median(firsts):.0f}' if firsts else '-'):>22}"
        )
        ok &= all(r >= 0.9 for r in reuse)
    over = [s for s in sent if (s.server_tokens or s.estimated) > window]
    ok &= not over
    if verbose:
        for i, s in enumerate(sent):
            print(
                f"    #{i:<3} turn {s.turn}  est {s.estimated:>5}  server {s.server_tokens}  "
                f"cached {s.cached}  compacted {s.compacted}  "
                f"shared {s.prefix_bytes}/{s.request_bytes}  ms {s.first_token_ms}"
            )
    events = [(s.turn, i) for i, s in enumerate(sent) if s.compacted]
    print(f"  compaction events (turn, request #): {events or 'none'}")
    print(f"  requests above the window: {len(over)}")
    biggest = max(sent, key=lambda s: s.server_tokens or s.estimated)
    print(
        f"  largest request: {biggest.server_tokens or biggest.estimated:,} tokens "
        f"(estimate {biggest.estimated:,})"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, nargs="+", default=[4096, 8192])
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--no-server", action="store_true", help="estimates only")
    parser.add_argument("--profile", default="data-engineer", help="agent profile")
    parser.add_argument("-v", "--verbose", action="store_true", help="a line per request")
    args = parser.parse_args()
    ok = True
    for window in args.windows:
        result = asyncio.run(run_window(window, args.turns, not args.no_server, args.profile))
        ok &= report(result, args.verbose)
    print("\nall figures met" if ok else "\nSOME FIGURES MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
