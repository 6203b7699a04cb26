"""Faults end in one line and leave the workbench usable (issue 17, item 4): text no encoder
takes, special files in the project, unreadable config, a full disk, a marimo server that keeps
dying, kernels of notebooks left behind."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from marimo_tui.agent import events as ev
from marimo_tui.agent.providers.base import ChatMessage, ToolCall
from marimo_tui.agent.providers.ollama import OllamaProvider
from marimo_tui.agent.providers.openai import OpenAIProvider
from marimo_tui.agent.providers.text_repair import repair_json_text, repair_text
from marimo_tui.agent.transcripts import load_messages
from marimo_tui.config import load_config
from marimo_tui.events import Event, NotebooksListed, Notice
from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.reader import read_notebook
from marimo_tui.project import discover_notebooks
from marimo_tui.runtime import sidecar as sidecar_module
from marimo_tui.runtime.kernel_procs import kernel_processes
from marimo_tui.runtime.manager import Runtime
from marimo_tui.runtime.sidecar import Sidecar, SidecarOptions
from marimo_tui.tasks import TaskTree
from marimo_tui.workbench import Workbench
from tests.conftest import HANG, REPO, Runner, assert_no_traceback, cli_env, within
from tests.llama_support import LlamaServer
from tests.llm_servers import Call, OllamaServer, OpenAIServer, Reply
from tests.sidecar_support import kill_group, make_notebook, notebooks_to_leave, wait_group_gone
from tests.test_agent_loop import CELLS, session_over
from tests.tui_support import make_project, wait_until

LONE = "\ud800"
FFFD = "\ufffd"


# -- text no UTF-8 encoder takes -------------------------------------------------------------
def test_repair_joins_pairs_and_replaces_lone_surrogates() -> None:
    assert repair_text(f"a{LONE}b\udfffc") == f"a{FFFD}b{FFFD}c"
    assert repair_text("\ud83d\ude00") == "😀"  # a pair a JSON decoder left split
    assert repair_text("plain ✓") == "plain ✓"
    # JSON text: a lone escape is rewritten; a pair and an escaped backslash are left alone.
    raw = r'{"a": "\ud800x", "b": "\ud83d\ude00", "c": "\\ud800", "d": "\uDC00"}'
    parsed = json.loads(repair_json_text(raw))
    assert parsed == {"a": f"{FFFD}x", "b": "😀", "c": "\\ud800", "d": FFFD}


async def test_a_lone_surrogate_from_the_model_ends_in_one_turn_and_later_turns_work(
    tmp_path: Path, ollama: OllamaServer
) -> None:
    path = make_project(tmp_path, CELLS)
    ollama.script(
        Reply(calls=[Call("edit_cell", {"cell": "source", "code": f"value = '{LONE}'"})]),
        Reply(text=["edited ", LONE]),
        Reply(text=["second turn fine"]),
    )
    session, events, _ = session_over(tmp_path, OllamaProvider("m", ollama.url))
    first = await session.run_turn("put a surrogate in")
    assert first.reason == "finished", [e for e in events if isinstance(e, ev.TurnEnded)]
    assert f"value = '{FFFD}'" in path.read_text(encoding="utf-8")
    second = await session.run_turn("and now?")
    assert second.reason == "finished"
    text = "".join(e.text for e in events if isinstance(e, ev.TextDelta))
    assert text == f"edited {FFFD}second turn fine"
    # What went back to the server for the second turn is valid UTF-8, repaired.
    sent = json.dumps(ollama.chats[2]["messages"], ensure_ascii=False)
    assert FFFD in sent and LONE not in sent
    # The transcript holds the whole conversation, repaired.
    (saved,) = (tmp_path / ".marimo-tui" / "conversations").glob("*.jsonl")
    assert FFFD in saved.read_text(encoding="utf-8")


def test_headless_turn_with_an_escaped_surrogate_in_arguments_is_one_turn(
    tmp_path: Path, cli: Runner, openai: OpenAIServer
) -> None:
    path = make_project(tmp_path, CELLS)
    # The arguments as JSON text with the escape in them, as a model's sampler can emit.
    openai.script(
        Reply(calls=[Call("edit_cell", r'{"cell": "source", "code": "value = \"\ud800\""}')]),
        Reply(text=["done"]),
    )
    env = cli_env(MARIMO_TUI_AGENT_PROVIDER="openai", MARIMO_TUI_AGENT_HOST=openai.url)
    done = cli("agent", "go", "--notebook", path, "--approval", "auto", "--model", "m", env=env)
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert f'value = "{FFFD}"' in path.read_text(encoding="utf-8")


def test_a_saved_conversation_with_surrogates_loads_repaired(tmp_path: Path) -> None:
    saved = tmp_path / "c.jsonl"
    lines = [
        {"type": "message", "role": "user", "content": f"hi {LONE}"},
        {
            "type": "message",
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "name": "read_cell", "arguments": {"cell": LONE}}],
        },
    ]
    # ensure_ascii: the file is valid UTF-8, its escapes decode to lone surrogates.
    saved.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    user, assistant = load_messages(saved)
    assert user.content == f"hi {FFFD}"
    assert assistant.tool_calls[0].arguments == {"cell": FFFD}


async def test_a_conversation_with_surrogates_goes_to_llama_server(
    llama_server: LlamaServer,
) -> None:
    history = [
        ChatMessage("user", f"Say hi {LONE}"),
        ChatMessage("assistant", "", (ToolCall("c1", "read_cell", {"cell": f"a{LONE}"}),)),
        ChatMessage("tool", f'{{"code": "{LONE}"}}', tool_call_id="c1", name="read_cell"),
        ChatMessage("user", "Now say hi."),
    ]
    provider = OpenAIProvider("gemma", llama_server.base, None)
    # The server took the request (it would answer 400/500 to text it cannot decode) and is
    # answering: its first delta says so; the rest of the answer is no part of the question.
    try:
        async with contextlib.aclosing(provider.stream(history, [])) as deltas:
            first = await anext(deltas)
    finally:
        await provider.aclose()
    assert first, "no answer"


# -- special files in the project --------------------------------------------------------------
@pytest.fixture
def special_project(tmp_path: Path) -> Iterator[Path]:
    """A project whose notebooks folder holds a FIFO, a socket and a folder named like
    notebooks, beside one real notebook."""
    make_project(tmp_path, CELLS)
    folder = tmp_path / "notebooks"
    os.mkfifo(folder / "x.py")
    os.mkdir(folder / "dir.py")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock.py"))
    try:
        yield tmp_path
    finally:
        sock.close()


def test_discovery_and_reading_skip_special_files_without_opening_them(
    special_project: Path,
) -> None:
    config = load_config(start=special_project, environ={})
    skipped: list[tuple[Path, str]] = []
    found = discover_notebooks(config, skipped)
    folder = special_project / "notebooks"
    assert found == [folder / "main.py"]
    assert sorted((p.name, k) for p, k in skipped) == [
        ("sock.py", "a socket"),
        ("x.py", "a FIFO (named pipe)"),
    ]
    for name, kind in (("x.py", "FIFO"), ("sock.py", "socket"), ("dir.py", "folder")):
        with pytest.raises(NotebookError, match=kind):
            read_notebook(folder / name)


def test_doctor_and_discover_skip_a_fifo_with_one_line(special_project: Path, cli: Runner) -> None:
    doctor = cli("doctor", cwd=special_project)
    assert_no_traceback(doctor)
    assert "notebooks/x.py: is a FIFO (named pipe), not a notebook; skipped" in doctor.stdout
    assert "1 of 1 notebooks parse" in doctor.stdout
    named = cli("doctor", "notebooks/x.py", cwd=special_project)
    assert_no_traceback(named)
    assert named.returncode != 0 and "is a FIFO (named pipe), not a notebook" in named.stdout


async def test_the_watcher_skips_a_fifo_made_while_it_runs(tmp_path: Path) -> None:
    make_project(tmp_path, CELLS)
    wb = Workbench(load_config(start=tmp_path, environ={}))
    wb.current = tmp_path / "notebooks" / "main.py"
    events: list[Event] = []
    wb.subscribe(events.append)
    os.mkfifo(tmp_path / "notebooks" / "early.py")
    await wb.start(watch=True, run=False)
    try:
        await wait_until(
            lambda: any(isinstance(e, Notice) and "early.py is a FIFO" in e.text for e in events),
            what="the notice of the FIFO found at start",
        )
        # The watcher is up once it reports a notebook written after the start.
        other = tmp_path / "notebooks" / "other.py"
        main = (tmp_path / "notebooks" / "main.py").read_text()
        for n in range(int(HANG)):
            other.write_text(main + f"# {n}\n")
            if any(
                isinstance(e, NotebooksListed) and other in e.paths for e in events
            ):  # pragma: no branch
                break
            await asyncio.sleep(1.0)
        else:
            raise AssertionError("the watcher never reported other.py")
        os.mkfifo(tmp_path / "notebooks" / "late.py")
        await wait_until(
            lambda: any(isinstance(e, Notice) and "late.py is a FIFO" in e.text for e in events),
            what="the notice of the FIFO made later",
        )
        (tmp_path / "notebooks" / "main.py").write_text(main.replace("value = 1", "value = 3"))
        await wait_until(
            lambda: (
                "value = 3"
                in (wb.shown[wb.current].cells[0].code if wb.current in wb.shown else "")
            ),
            what="the open notebook followed after the FIFO",
        )
    finally:
        await asyncio.wait_for(wb.stop(), HANG)


# -- a marimo server that keeps dying ------------------------------------------------------------
async def _healthy(sidecar: Sidecar) -> bool:
    if sidecar.state != "ready":
        return False
    async with httpx.AsyncClient(timeout=5.0) as client:
        with contextlib.suppress(httpx.HTTPError):
            return (await client.get(f"{sidecar.base_url}/health")).status_code == 200
    return False


async def _new_process(sidecar: Sidecar, old: int | None) -> int:
    """The pid of the server process after `old`, once it runs."""
    await wait_until(
        lambda: sidecar.pid not in (None, old) and sidecar.process.returncode is None,  # type: ignore[union-attr]
        2 * HANG,
        "a new marimo server process",
    )
    assert sidecar.pid is not None
    return sidecar.pid


async def test_the_sidecar_survives_20_quick_kills_and_x_restarts_it_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short pauses so twenty deaths fit in a test; the figure with the shipped pauses is
    # bench/fault_recovery.py's. Before, the supervisor gave up for good after 8.
    monkeypatch.setattr(sidecar_module, "START_BACKOFF", (0.1, 0.2, 0.5))
    monkeypatch.setattr(sidecar_module, "CRASH_BACKOFF", (0.05, 0.2, 0.5))
    make_notebook(tmp_path)
    states: list[str] = []
    sidecar = Sidecar(
        SidecarOptions(tmp_path, tmp_path / ".marimo-tui" / "logs"),
        lambda state, _: states.append(state),
    )
    sidecar.start()
    pid: int | None = None
    try:
        for _ in range(20):  # each server killed as soon as it runs, most before it is up
            pid = await _new_process(sidecar, pid)
            kill_group(pid)
        await asyncio.wait_for(sidecar.wait_ready(), 2 * HANG)
        assert await _healthy(sidecar)
        assert "failed" not in states and states.count("restarting") >= 20

        # A long wait between tries: X (`restart()`) cuts it short.
        monkeypatch.setattr(sidecar_module, "START_BACKOFF", (3600.0,))
        monkeypatch.setattr(sidecar_module, "CRASH_BACKOFF", (3600.0,))
        pid = await _new_process(sidecar, None)
        kill_group(pid)
        await wait_until(lambda: sidecar.state == "restarting", HANG, "the restart wait")
        assert sidecar.pause == sidecar_module.MAX_BACKOFF  # the cap
        sidecar.restart()
        await asyncio.wait_for(sidecar.wait_ready(), 2 * HANG)
        assert await _healthy(sidecar)
        # And on a healthy server X starts a new one.
        before = sidecar.pid
        sidecar.restart()
        await _new_process(sidecar, before)
        await asyncio.wait_for(sidecar.wait_ready(), 2 * HANG)
        assert await _healthy(sidecar)
    finally:
        last = sidecar.pid
        await sidecar.stop()
        if last is not None:
            assert wait_group_gone(last) == []


async def test_x_in_the_workbench_brings_a_waiting_server_back_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key, not the method: X on the cell view while the server waits out its pause."""
    from tests.tui_support import make_app

    path = make_notebook(tmp_path)
    app = make_app(tmp_path, path, watch=False, run=True)
    async with app.run_test() as pilot:
        await wait_until(lambda: app.workbench.runtime is not None, HANG, "the runtime")
        runtime = app.workbench.runtime
        assert runtime is not None
        sidecar = runtime.sidecar
        await asyncio.wait_for(sidecar.wait_ready(), 2 * HANG)
        monkeypatch.setattr(sidecar_module, "CRASH_BACKOFF", (3600.0,))  # capped at 30 s
        states: list[tuple[str, str]] = []
        told = sidecar.listener
        assert told is not None

        def listen(state: sidecar_module.SidecarState, detail: str) -> None:
            states.append((state, detail))
            told(state, detail)

        sidecar.listener = listen
        pid = sidecar.pid
        assert pid is not None
        kill_group(pid)
        await wait_until(lambda: sidecar.state == "restarting", HANG, "the restart wait")
        assert sidecar.pause == sidecar_module.MAX_BACKOFF
        app.cell_view.focus()
        pressed = time.monotonic()
        await pilot.press("X")
        await asyncio.wait_for(sidecar.wait_ready(), 2 * HANG)
        # Up again before the pause it was waiting out would have ended: X cut it short.
        assert time.monotonic() - pressed < sidecar_module.MAX_BACKOFF, states
        assert states[-1] == ("ready", sidecar.browser_url)
        assert await _healthy(sidecar)


# -- kernels of notebooks left behind ------------------------------------------------------------
async def _leave_each(root: Path, paths: list[Path]) -> tuple[Runtime, TaskTree]:
    """A runtime that opened each notebook in turn and waited for its kernel."""
    tasks = TaskTree()
    runtime = Runtime(load_config(start=root, environ={}), lambda _: None, tasks)
    runtime.start()
    for path in paths:
        runtime.open(path)
        assert runtime.session is not None
        await runtime.session.wait_ready(2 * HANG)
    return runtime, tasks


def _kernels_line(tasks: TaskTree) -> str:
    return next(t.detail for t in tasks if t.title == "marimo kernels")


async def test_kernels_of_notebooks_left_are_shut_down_after_the_grace(tmp_path: Path) -> None:
    paths = notebooks_to_leave(tmp_path, 5, grace=2)
    runtime, tasks = await _leave_each(tmp_path, paths)
    try:
        # Left four notebooks: after the grace only the open one's kernel lives.
        await wait_until(
            lambda: len(kernel_processes(runtime.sidecar.pid)) == 1,
            2 * HANG,
            "the kernels of the notebooks left to stop",
        )
        await wait_until(
            lambda: _kernels_line(tasks).startswith("1 live · "), HANG, "the tasks pane's line"
        )
        assert _kernels_line(tasks).endswith(" MB")
    finally:
        pid = runtime.sidecar.pid
        await runtime.stop()
    assert pid is not None and kernel_processes(pid) == []


async def test_kernels_live_on_with_no_grace_and_a_return_resumes_its_kernel(
    tmp_path: Path,
) -> None:
    paths = notebooks_to_leave(tmp_path, 3, grace=0)  # 0: kernels live until the workbench quits
    runtime, tasks = await _leave_each(tmp_path, paths)
    try:
        kernels = kernel_processes(runtime.sidecar.pid)
        assert len(kernels) == 3
        await wait_until(
            lambda: _kernels_line(tasks).startswith("3 live · "), HANG, "the tasks pane's line"
        )
        # Back to the first: its kernel is resumed, not a fourth started.
        runtime.open(paths[0])
        assert runtime.session is not None
        await runtime.session.wait_ready(2 * HANG)
        assert {k.pid for k in kernel_processes(runtime.sidecar.pid)} == {k.pid for k in kernels}
    finally:
        await runtime.stop()


# -- the terminal going away at any moment of start-up -------------------------------------------
def _marked(mark: str) -> list[int]:
    """Live processes whose environment holds `mark` (the app, its server, their kernels)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            marked = mark.encode() in (entry / "environ").read_bytes()
            if marked and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_closing_the_terminal_at_any_moment_of_start_up_ends_every_process(
    tmp_path: Path,
) -> None:
    """tmux kill-session hangs the pane's pty up (SIGHUP and SIGCONT) at 0.2, 0.5, 1 and 3 s
    after launch: the workbench is gone within 2 s, its marimo server and kernels soon after.
    (Before: a SIGCONT restarted Textual's output thread, which died on the dead pty, and the
    exit waited on its full queue for good.)"""
    sys.path.insert(0, str(REPO / "bench"))
    from _tmux import Tmux, isolated_env

    notebook = make_project(tmp_path / "p", CELLS)
    env = isolated_env(tmp_path / "home")
    with Tmux(width=140, height=36) as tmux:
        for delay in (0.2, 0.5, 1.0, 3.0):
            mark = f"MTUI_PROBE_{secrets.token_hex(4)}"
            pane = tmux.spawn(
                [sys.executable, "-m", "marimo_tui", "open", str(notebook)],
                {**env, mark: "1"},
                tmp_path,
            )
            time.sleep(delay)  # the moment of the hangup is what is tested, not a wait
            app = pane.pid
            tmux.control().command("kill-session", "-t", pane.session)
            hung_up = time.monotonic()
            while app in _marked(mark) and time.monotonic() - hung_up < HANG:
                time.sleep(0.02)
            took = time.monotonic() - hung_up
            deadline = time.monotonic() + HANG
            while (left := _marked(mark)) and time.monotonic() < deadline:
                time.sleep(0.05)
            tmux.forget(pane)
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            print(f"hangup at {delay:g} s: the workbench ended {took:.2f} s later")
            assert left == [], f"left after a hangup at {delay:g} s: {left}"
            bound = within(2.0)
            assert took < bound, (
                f"the workbench took {took:.2f} s (> {bound:.1f} s) to end (hangup at {delay:g} s)"
            )


# -- the headless CLI on a bad config, host, link, full disk, read-only folder ------------------
EDIT = """turns:
  - tool_calls:
      - {name: add_cell, arguments: {code: 'y = 2'}}
  - text: done
"""


LIST = """turns:
  - tool_calls:
      - {name: list_cells, arguments: {}}
  - text: done
"""


def _one_line_error(proc: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert_no_traceback(proc)
    assert proc.returncode == code, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and text in errors[0], proc.stderr


def test_a_config_that_is_not_utf8_is_one_line_and_exit_2(tmp_path: Path, cli: Runner) -> None:
    make_project(tmp_path, CELLS)
    (tmp_path / "marimo-tui.yaml").write_bytes(b'notebooks:\n  folder: "caf\xe9"\n')
    for args in (("agent", "hi"), ("new", "notebooks/x.py")):
        _one_line_error(cli(*args), 2, "marimo-tui.yaml:2: not UTF-8 text (byte 0xe9)")


def test_links_and_an_unresolvable_marimo_host(tmp_path: Path, cli: Runner) -> None:
    root = tmp_path / "p"
    path = make_project(root, CELLS)
    outside = tmp_path / "outside.py"
    outside.write_text(path.read_text())
    (root / "notebooks" / "out.py").symlink_to(outside)
    (root / "notebooks" / "in.py").symlink_to("main.py")
    script = tmp_path / "s.yaml"
    script.write_text(EDIT)
    agent = ("agent", "hi", "--script", script, "--provider", "scripted", "--approval", "auto")
    out = cli(*agent, "--notebook", "notebooks/out.py", cwd=root)
    _one_line_error(out, 1, "outside the project root")
    assert outside.read_text() == path.read_text()  # nothing written through the link
    inside = cli(*agent, "--notebook", "notebooks/in.py", cwd=root)  # a link inside: followed
    assert_no_traceback(inside)
    assert inside.returncode == 0, inside.stderr and "y = 2" in path.read_text()
    env = cli_env(MARIMO_TUI_MARIMO_HOST="no.such.host.invalid")
    script.write_text(LIST)
    nohost = cli(*agent, "--notebook", "notebooks/main.py", cwd=root, env=env)
    assert_no_traceback(nohost)
    assert nohost.returncode == 0, nohost.stderr
    # A write with no server to rerun it: written, and the agent is told why it did not run
    # (at once: nothing waits through the server's retries for a rerun that cannot come).
    script.write_text(EDIT.replace("y = 2", "z = 3"))
    edit = cli(*agent, "--notebook", "notebooks/main.py", "--json", cwd=root, env=env)
    assert_no_traceback(edit)
    assert edit.returncode == 0, edit.stderr
    assert "z = 3" in path.read_text()
    assert "the marimo server is down (cannot listen on marimo.host" in edit.stdout


@pytest.fixture
def small_mount(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (needs root's mount; skipped elsewhere), unmounted afterwards."""
    folder = tmp_path / "mnt"
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_is_one_line(small_mount: Path, cli: Runner, tmp_path: Path) -> None:
    make_project(small_mount, CELLS)
    with contextlib.suppress(OSError), (small_mount / "fill").open("wb") as fill:
        while True:
            fill.write(b"\0" * 4096)
            fill.flush()
    script = tmp_path / "s.yaml"
    script.write_text(EDIT)
    _one_line_error(cli("new", "notebooks/x.py", cwd=small_mount), 1, "No space left on device")
    agent = cli(
        "agent", "hi", "--script", script, "--provider", "scripted", "--approval", "auto",
        "--notebook", "notebooks/main.py", cwd=small_mount,
    )  # fmt: skip
    _one_line_error(agent, 1, "No space left on device")


def test_a_read_only_folder_is_one_line(small_mount: Path, cli: Runner, tmp_path: Path) -> None:
    make_project(small_mount, CELLS)
    remount = ["mount", "-o", "remount,ro", str(small_mount)]
    subprocess.run(remount, check=True, capture_output=True)
    script = tmp_path / "s.yaml"
    script.write_text(EDIT)
    _one_line_error(cli("new", "notebooks/x.py", cwd=small_mount), 1, "Read-only file system")
    agent = cli(
        "agent", "hi", "--script", script, "--provider", "scripted", "--approval", "auto",
        "--notebook", "notebooks/main.py", cwd=small_mount,
    )  # fmt: skip
    _one_line_error(agent, 1, "Read-only file system")
    export = cli("export", "notebooks/main.py", cwd=small_mount)
    _one_line_error(export, 1, "Read-only file system")
