#!/usr/bin/env python3
"""Agent figures: tool dispatch overhead on a big notebook, and streaming into the chat pane.

    .venv/bin/python bench/agent.py [--cells 200] [--calls 40] [--seconds 10] [--rate 100]

dispatch  One agent tool call as the loop makes it (`tools.dispatch`: JSON-schema validation,
          the approval check, the store's write — marimo's codegen renders the file, fsync'd
          temp file, `os.replace`, journal — and the model of the new version from the
          rendered text), on a generated notebook of N chained cells, without a marimo server
          (what marimo's rerun costs is marimo's). Each call edits a cell in the middle,
          alternating search/replace and whole-code edits. Target: p50 <= 15 ms. Such an edit
          re-serializes that cell alone; an edit that changes which names a cell defines or
          references makes marimo render the whole file, which is reported too.
streaming The chat pane (`AgentLog`) in a headless Textual app receives text deltas at RATE
          tokens/s for S seconds, as the loop posts them; the script records, for each token,
          when it was posted and when the pane had rendered it. Backlog = a token still not
          rendered 250 ms after it was posted; the target is none, and the final text must be
          whole.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tui_support import make_project  # noqa: E402

from _tmux import median, percentile  # noqa: E402
from marimo_tui.agent.tools import ToolContext, dispatch  # noqa: E402
from marimo_tui.config import load_config  # noqa: E402
from marimo_tui.workbench import Workbench  # noqa: E402

BACKLOG_MS = 250.0


async def measure_dispatch(cells: int, calls: int, *, new_refs: bool = False) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        chain = [
            (f"step{i}", f"v{i} = {f'v{i - 1} + ' if i else ''}{i}\nprint(v{i})")
            for i in range(cells)
        ]
        path = make_project(root, chain)
        wb = Workbench(load_config(start=root, environ={}))
        wb.current = path
        ctx = ToolContext(wb, "bench", lambda _e: None, approval="auto")
        await dispatch(ctx, "list_cells", {})
        middle = f"step{cells // 2}"
        prev = f"v{cells // 2 - 1}"
        times = []
        for i in range(calls + 3):
            if new_refs:  # each edit changes what the cell references: marimo renders it all
                ref = f"v{cells // 2 - 1 - i % 2}"
                args = {"cell": middle, "code": f"v{cells // 2} = {ref} * {i}"}
            elif i % 2:  # the whole code came in the call before: now a search/replace
                args = {"cell": middle, "search": "print('y')", "replace": "print('x')"}
            else:
                args = {"cell": middle, "code": f"v{cells // 2} = {prev} * {i}\nprint('y')"}
            started = time.perf_counter()
            await dispatch(ctx, "edit_cell", args)
            if i >= 3:  # the first calls warm marimo's caches and the thread pool
                times.append((time.perf_counter() - started) * 1000)
        return times


async def measure_streaming(seconds: float, rate: float) -> dict[str, float]:
    from textual.app import App, ComposeResult

    from marimo_tui.agent import events as ev
    from marimo_tui.tui.widgets.agent_log import AgentLog

    words = [f"w{i} " for i in range(int(seconds * rate))]
    posted: dict[int, float] = {}
    rendered: dict[int, float] = {}

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield AgentLog()

    app = Host()
    async with app.run_test(size=(100, 40)) as pilot:
        log = app.query_one(AgentLog)
        log.show(ev.TurnStarted("t", "bench", "data-engineer", "bench"))
        interval = 1.0 / rate
        start = time.perf_counter()
        checked = 0
        for i, word in enumerate(words):
            due = start + i * interval
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            posted[i] = time.perf_counter()
            log.show(ev.TextDelta(word))
            # What the pane shows now (its Markdown as rendered; the last word lacks its space).
            text = log.text() + " "
            now = time.perf_counter()
            while checked < i and f"w{checked} " in text:
                rendered[checked] = now
                checked += 1
        deadline = time.perf_counter() + 5
        while checked < len(words) and time.perf_counter() < deadline:
            await pilot.pause(0.02)
            text = log.text() + " "
            now = time.perf_counter()
            while checked < len(words) and f"w{checked} " in text:
                rendered[checked] = now
                checked += 1
        whole = "".join(words).strip() in " ".join(log.text().split())
    lags = [(rendered[i] - posted[i]) * 1000 for i in rendered]
    backlog = sum(1 for lag in lags if lag > BACKLOG_MS) + (len(words) - len(rendered))
    return {
        "tokens": len(words),
        "rendered": len(rendered),
        "lag_p50": median(lags),
        "lag_p95": percentile(lags, 95),
        "lag_max": max(lags) if lags else float("nan"),
        "backlog": backlog,
        "whole": float(whole),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="tokens per second")
    args = parser.parse_args()

    times = asyncio.run(measure_dispatch(args.cells, args.calls))
    p50 = median(times)
    print(f"tool dispatch (edit_cell) on {args.cells} cells, {len(times)} calls")
    print(
        f"  p50 {p50:7.1f}  p95 {percentile(times, 95):7.1f}  "
        f"min {min(times):7.1f}  max {max(times):7.1f}  ms"
    )
    wide = asyncio.run(measure_dispatch(args.cells, args.calls, new_refs=True))
    print(f"  edits that change the cell's references (the whole file rendered), {len(wide)} calls")
    print(f"  p50 {median(wide):7.1f}  p95 {percentile(wide, 95):7.1f}  ms")
    stream = asyncio.run(measure_streaming(args.seconds, args.rate))
    print(f"streaming {args.rate:.0f} tokens/s for {args.seconds:.0f} s into the chat pane")
    print(
        f"  tokens {stream['tokens']:.0f}, on screen {stream['rendered']:.0f}; lag p50 "
        f"{stream['lag_p50']:.1f}  p95 {stream['lag_p95']:.1f}  max {stream['lag_max']:.1f} ms"
    )
    ok_dispatch = p50 <= 15.0
    ok_stream = stream["backlog"] == 0 and stream["whole"] == 1.0
    print()
    print(
        f"  target dispatch p50 <= 15 ms        {p50:7.1f} ms  {'PASS' if ok_dispatch else 'FAIL'}"
    )
    print(
        f"  target no backlog at {args.rate:.0f} tokens/s   {stream['backlog']:7.0f}     "
        f"{'PASS' if ok_stream else 'FAIL'}"
    )
    return 0 if ok_dispatch and ok_stream else 1


if __name__ == "__main__":
    sys.exit(main())
