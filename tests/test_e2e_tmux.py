"""End to end: the real `marimo-tui demo` in tmux, driven with send-keys, read with capture-pane.

Uses the benchmarks' tmux harness (a private tmux server, torn down after the test).
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import HANG, PATIENT, REPO

sys.path.insert(0, str(REPO / "bench"))
from _tmux import Pane, Tmux, descendants, isolated_env, python_pid
from tests.sidecar_support import wait_group_gone

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# Every wait below is for something on screen; its timeout only bounds a hang (see HANG).


def exited(pane: Pane) -> str:
    """Wait for the pane's command to exit; its exit status. (Not `wait_for`, which raises
    PaneDied when the command exits between its look at the screen and its liveness check.)"""
    deadline = time.monotonic() + HANG
    while (status := pane.dead()) is None:
        assert time.monotonic() < deadline, f"still running after {HANG:g} s"
        time.sleep(0.05)
    return status


def test_demo_in_tmux(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    env = isolated_env(tmp_path / "home")
    argv = [sys.executable, "-m", "marimo_tui", "demo", str(demo)]
    # Tall enough that the welcome notebook's two cells fit: the change below is seen unscrolled.
    with Tmux(width=120, height=48) as tmux, tmux.pane(argv, env, tmp_path) as pane:
        # The first cell from the quick read, then marimo's analysis (its defs) fills in.
        pane.wait_for("import marimo as mo", timeout=HANG)
        pane.wait_for("defines mo", timeout=HANG)
        assert "watcher: watching" in pane.wait_for("watcher: watching", timeout=HANG).screen
        # The marimo server ran the notebook: the markdown cell's output, rendered.
        pane.wait_for("marimo: ready", timeout=HANG)
        pane.wait_for("This project was made from the bundled templates", timeout=HANG)
        # j selects the next cell: the selection bar moves to the markdown cell's header.
        pane.send_keys("j")
        pane.wait_for(
            lambda s: any(ln.startswith("│▌ ✓ _  #2") for ln in s.splitlines()), timeout=HANG
        )
        # A change on disk shows up without a key press.
        welcome = demo / "notebooks" / "welcome.py"
        welcome.write_text(
            welcome.read_text().replace(
                "import marimo as mo", "import marimo as mo\n    import math"
            )
        )
        pane.wait_for("import math", timeout=HANG)
        # The chat takes slash commands.
        pane.send_keys("/")
        pane.send_keys("-l", "help")
        pane.send_keys("Enter")
        pane.wait_for("opens the palette", timeout=HANG)
        pane.send_keys("C-q")
        exited(pane)
    assert (demo / "marimo-tui.yaml").is_file()
    assert "import math" in welcome.read_text()


def test_demo_replays_a_scripted_agent(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    script = tmp_path / "turns.yaml"
    script.write_text(
        "turns:\n"
        "  - text: 'Adding a cell.'\n"
        "    tool_calls:\n"
        "      - name: add_cell\n"
        '        arguments: {code: "answer = 6 * 7\\nanswer", name: answer}\n'
        "  - text: 'The answer cell prints 42.'\n"
    )
    env = {**isolated_env(tmp_path / "home"), **PATIENT}
    argv = [sys.executable, "-m", "marimo_tui", "demo", str(demo), "--script", str(script)]
    with Tmux(width=120, height=40) as tmux, tmux.pane(argv, env, tmp_path) as pane:
        pane.wait_for("model: replay of turns.yaml", timeout=HANG)
        pane.wait_for("marimo: ready", timeout=HANG)
        pane.send_keys("/")  # focuses the chat with "/" typed: wait for it, then erase it
        pane.wait_for(lambda s: any(ln.strip("│▊▎ ") == "/" for ln in s.splitlines()), timeout=HANG)
        pane.send_keys("BSpace")
        pane.wait_for("ask the agent, or /help", timeout=HANG)  # the empty field's placeholder
        pane.send_keys("-l", "add the answer")
        pane.send_keys("Enter")
        # approval: ask (the default) shows the diff first; y writes it.
        pane.wait_for("answer = 6 * 7", timeout=HANG)
        pane.send_keys("y")
        screen = pane.wait_for("The answer cell prints 42.", timeout=HANG).screen
        assert "replay" in screen
        pane.send_keys("1")  # the cell view: marimo ran the new cell
        pane.wait_for(lambda s: "answer" in s and "42" in s, timeout=HANG)
        pane.send_keys("C-q")
        exited(pane)
    assert "answer = 6 * 7" in (demo / "notebooks" / "welcome.py").read_text()


def test_guided_demo_replays_the_headline_workflow_with_dagster(tmp_path: Path) -> None:
    """`demo --script --dagster`: the bundled session plays by itself, as a replay: a plan in
    the task tree, a new notebook, a real error from marimo fixed from its traceback, and the
    paired asset run in a Dagster webserver the workbench started."""
    pytest.importorskip("dagster_webserver")
    import json

    demo = tmp_path / "demo"
    env = {**isolated_env(tmp_path / "home"), **PATIENT}
    argv = [sys.executable, "-m", "marimo_tui", "demo", str(demo), "--script", "--dagster"]
    with Tmux(width=160, height=48) as tmux, tmux.pane(argv, env, tmp_path) as pane:
        pane.wait_for("model: replay of demo_session.yaml", timeout=HANG)
        pane.wait_for("dagster: connected", timeout=3 * HANG)
        # Nothing typed: the script's prompt is sent for the user once marimo and Dagster are
        # up. approval: ask (the default) shows the first write; `a` approves the rest.
        pane.wait_for("Let the agent run create_notebook?", timeout=2 * HANG)
        pane.send_keys("a")
        # The plan, in the task tree (the centred approval dialog covered it until now).
        pane.wait_for("Load data/sales.csv", timeout=HANG)
        pane.wait_for("It reruns clean", timeout=HANG)
        pane.wait_for("run_status · run", timeout=5 * HANG)
        screen = pane.wait_for("Done: notebooks/weekly_revenue.py", timeout=HANG).screen
        assert "SUCCESS" in screen  # run_status's answer in the chat
        # The run, in the runs pane: as narrow as it is here, its status is a glyph (✓).
        pane.wait_for(lambda s: re.search(r"✓ +daily_revenue", s) is not None, timeout=HANG)
        pane.send_keys("C-q")
        exited(pane)
    # The error was marimo's own, from the rerun, and reached the agent as a tool result.
    (log,) = (demo / ".marimo-tui" / "conversations").glob("*.jsonl")
    messages = [json.loads(line) for line in log.read_text().splitlines()]
    assert messages[0]["provider"] == "replay of demo_session.yaml"
    assert messages[1]["role"] == "user" and "weekly revenue" in messages[1]["content"]
    results = [m["content"] for m in messages if m.get("role") == "tool"]
    assert any("KeyError" in r and "Column not found: revenue" in r for r in results)
    notebook = (demo / "notebooks" / "weekly_revenue.py").read_text()
    assert '["amount"]' in notebook and '["revenue"]' not in notebook
    assert "def chart(" in notebook
    tasks = json.loads((demo / ".marimo-tui" / "tasks.json").read_text())
    statuses = {t["title"]: t["status"] for t in tasks["tasks"]}
    assert statuses["Run the daily_revenue asset in Dagster"] == "done", statuses
    assert all(s == "done" for s in statuses.values()), statuses


def test_guided_demo_without_dagster_says_what_it_skipped(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    env = {**isolated_env(tmp_path / "home"), **PATIENT}
    argv = [sys.executable, "-m", "marimo_tui", "demo", str(demo), "--script"]
    with Tmux(width=120, height=40) as tmux, tmux.pane(argv, env, tmp_path) as pane:
        pane.wait_for("Let the agent run create_notebook?", timeout=2 * HANG)
        pane.send_keys("a")
        pane.wait_for("Dagster is not configured here", timeout=HANG)
        pane.wait_for("✓ finished ·", timeout=HANG)
        pane.send_keys("1")  # the cell view follows the agent: the chart cell ran
        pane.send_keys("End")
        pane.wait_for(lambda s: "✓ chart" in s and "ax.set_title(" in s, timeout=HANG)
        pane.send_keys("C-q")
        exited(pane)
    assert '["amount"]' in (demo / "notebooks" / "weekly_revenue.py").read_text()


def _sidecar_of(app_pid: int) -> int | None:
    for pid in descendants(app_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"marimo_tui.runtime.sidecar_main" in cmdline:
            return pid
    return None


@pytest.mark.parametrize("signal_name", ["TERM", "HUP"])
def test_a_signalled_workbench_stops_its_marimo_server(tmp_path: Path, signal_name: str) -> None:
    import os
    import signal

    demo = tmp_path / "demo"
    env = isolated_env(tmp_path / "home")
    argv = [sys.executable, "-m", "marimo_tui", "demo", str(demo)]
    with Tmux(width=140, height=36) as tmux, tmux.pane(argv, env, tmp_path) as pane:
        pane.wait_for("marimo: ready", timeout=HANG)
        app = python_pid(pane.pid)
        assert app is not None
        server = _sidecar_of(app)
        assert server is not None, "no marimo server under the workbench"
        os.kill(app, getattr(signal, f"SIG{signal_name}"))
        exited(pane)
        assert wait_group_gone(server) == [], "the marimo server outlived the workbench"
