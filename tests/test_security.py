"""Secrets never leave, writes stay in the project, and the agent's code shows before it runs.

- Secrets: the marimo server and its kernels get no secret variable; the values of the API key,
  the sidecar token and the Dagster token are redacted from everything a run produces — stdout,
  stderr, `--json`, `.marimo-tui/` (logs, transcripts, journal, tasks) and the bodies the LLM
  server received — also when a cell digs them out of /proc.
- Confinement: every write of ours resolves links and refuses targets outside the root; with
  `marimo.confine: project` the real kernel cannot write outside the project and its temp
  folder (Landlock), while notebooks, the bundled templates included, still run.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from marimo_tui.agent.headless import run_agent
from marimo_tui.agent.start import Overrides
from marimo_tui.agent.tool_base import unified_diff
from marimo_tui.config import load_config
from marimo_tui.notebook.errors import StoreError
from marimo_tui.notebook.store import NotebookStore
from marimo_tui.notebook.write_paths import OutsideRoot, inside_root
from marimo_tui.redaction import Redactor, child_env, redactor_for
from marimo_tui.runtime import landlock
from marimo_tui.runtime.session import NotebookSession
from marimo_tui.runtime.sidecar import Sidecar, SidecarOptions
from marimo_tui.workbench import Workbench
from tests.conftest import HANG, cli_env
from tests.llm_servers import Call, OpenAIServer, Reply
from tests.sidecar_support import make_notebook
from tests.template_support import ALL, create
from tests.tui_support import wait_until

if TYPE_CHECKING:
    from marimo_tui.tui.app import WorkbenchApp

START = 2 * HANG  # covers the marimo server's cold start
needs_landlock = pytest.mark.skipif(
    landlock.abi_version() == 0, reason=f"no Landlock here: {landlock.unavailable_reason()}"
)

# A cell that prints every variable whose name says it is a secret, as the kernel sees them.
ENV_CELL = """import os
secretish = sorted(k for k in os.environ if any(w in k for w in ("KEY", "TOKEN", "SECRET")))
print({k: os.environ[k] for k in secretish})
secretish"""
# A cell that finds secrets by other means: the /proc environ and command line of itself, the
# marimo server and the workbench — three levels, no further: what runs the test is not ours
# to read (`os` comes from ENV_CELL: a marimo notebook defines each name once).
PROC_CELL = """_found = []
_pid = os.getpid()
for _ in range(3):
    try:
        _env = open(f"/proc/{_pid}/environ", "rb").read().decode().split("\\0")
        _found += [f"{_pid} {e}" for e in _env if "KEY" in e.split("=")[0] or "TOKEN" in e]
        _cmd = open(f"/proc/{_pid}/cmdline", "rb").read().decode().replace("\\0", " ")
        _found.append(f"{_pid} cmd {_cmd[:200]}")
    except OSError as _exc:
        _found.append(f"{_pid} {_exc}")
    _pid = int(open(f"/proc/{_pid}/stat").read().rsplit(")", 1)[1].split()[1])
print(_found)
_found"""


def secret_values() -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-test-" + secrets.token_hex(16),
        "MARIMO_TUI_SIDECAR_TOKEN": "tok-" + secrets.token_hex(16),
        "DAGSTER_CLOUD_API_TOKEN": "dg-" + secrets.token_hex(16),
    }


def produced_files(root: Path) -> dict[str, str]:
    """Every file under the project's state folder and notebooks, as text."""
    out = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(root))] = path.read_text(encoding="utf-8", errors="replace")
    return out


def leaks(streams: dict[str, str], values: dict[str, str]) -> list[str]:
    return [
        f"{name} in {where}"
        for where, text in streams.items()
        for name, v in values.items()
        if v in text
    ]


# -- secrets: what the kernel gets ------------------------------------------------------------
def test_the_kernel_environment_has_no_secret_and_none_of_our_settings(tmp_path: Path) -> None:
    values = secret_values()
    environ = {
        **values,
        "MARIMO_TUI_AGENT_MODEL": "m",
        "MARIMO_TUI_EXTRA_PASSWORD": "pw-123456",
        "PATH": "/usr/bin",
        "HOME": "/home/x",
        "NOTEBOOK_SETTING": "kept",
    }
    config = load_config(start=tmp_path, environ=environ)
    env = child_env(config, environ)
    assert env == {"PATH": "/usr/bin", "HOME": "/home/x", "NOTEBOOK_SETTING": "kept"}
    redact = redactor_for(config, environ)
    text = " ".join([*values.values(), "pw-123456"])
    assert redact(text) == "*** *** *** ***"


def test_the_redactor_reaches_into_json_and_learns_late() -> None:
    redact = Redactor(["sk-abcdef"])
    data = {"a": ["x sk-abcdef y", ("sk-abcdef",)], "b": 3}
    assert redact.value(data) == {"a": ["x *** y", ("***",)], "b": 3}
    clean = {"a": ["nothing"]}
    assert redact.value(clean) is clean
    redact.add("tok-123456", "short")  # under 6 characters: not a secret
    assert redact("tok-123456 short") == "*** short"


async def test_headless_agent_redacts_a_random_token_made_after_its_session(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The headless agent opens its session (and transcript) before the server exists; the
    random token the server is then made with is still redacted, here from a cell that read it
    from a file (standing for any other way of finding it). `--approval auto` confines the
    kernel (`marimo.confine: auto`): the same cell cannot write outside."""
    token = "rand-" + secrets.token_hex(16)
    monkeypatch.setattr("marimo_tui.runtime.sidecar.secrets.token_urlsafe", lambda _n: token)
    monkeypatch.setenv("MARIMO_TUI_AGENT_RERUN_TIMEOUT", str(2 * HANG))
    monkeypatch.delenv("MARIMO_TUI_SIDECAR_TOKEN", raising=False)
    path = make_notebook(tmp_path)
    (tmp_path / "found.txt").write_text(token)  # (cells run in the project's folder)
    script = tmp_path / "leak.yaml"
    outside = tmp_path_factory.mktemp("outside") / "escaped.txt"
    code = (
        "found = open('found.txt').read()\n"
        "try:\n"
        f"    open({str(outside)!r}, 'w').write('x')\n"
        "    wrote = 'WROTE'\n"
        "except PermissionError:\n"
        "    wrote = 'refused'\n"
        "print(found, wrote)\n"
        "found"
    )
    script.write_text(
        "turns:\n"
        f"  - tool_calls:\n      - {{name: add_cell, arguments: {{code: {json.dumps(code)}}}}}\n"
        "  - tool_calls:\n      - {name: read_outputs, arguments: {}}\n"
        "  - text: done\n"
    )
    config = load_config(start=tmp_path)
    out, err = io.StringIO(), io.StringIO()
    overrides = Overrides(provider="scripted", script=script, approval="auto")
    code_ = await run_agent(config, "go", overrides, notebook=path, as_json=True, out=out, err=err)
    assert code_ == 0, err.getvalue()
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    told = " ".join(e["result"] for e in results if e["type"] == "tool_result")
    assert "***" in told  # the cell did print it: redaction is what kept it out
    if landlock.abi_version():
        assert "refused" in told and not outside.exists()
    streams = {"stdout": out.getvalue(), "stderr": err.getvalue(), **produced_files(tmp_path)}
    streams.pop("found.txt")
    assert leaks(streams, {"token": token}) == []


# -- secrets: everything a real run produces ----------------------------------------------------
@dataclass
class Run:
    values: dict[str, str]
    streams: dict[str, str] = field(default_factory=dict)
    results: list[dict[str, object]] = field(default_factory=list)


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_an_export_runs_the_notebook_without_our_secrets(tmp_path: Path, fmt: str) -> None:
    """`marimo-tui export` runs the notebook's code in a worker: a cell that prints its
    environment finds none of the secret variables, so the file written has none of them."""
    values = secret_values()
    path = make_notebook(tmp_path, [("_", ENV_CELL)])
    proc = subprocess.run(
        [sys.executable, "-m", "marimo_tui", "export", str(path), "--format", fmt],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=cli_env(**values),
        timeout=5 * HANG,
    )
    assert proc.returncode == 0, proc.stderr
    written = path.with_suffix(f".{fmt}")
    assert "secretish" in written.read_text()  # the cell ran and its output was written
    streams = {"stdout": proc.stdout, "stderr": proc.stderr, **produced_files(tmp_path)}
    assert str(written.relative_to(tmp_path)) in streams
    assert leaks(streams, values) == []


@pytest.mark.parametrize("confine", ["off", "project"])
def test_no_secret_in_anything_a_headless_run_produces(
    tmp_path: Path, openai_server: OpenAIServer, confine: str
) -> None:
    """`marimo-tui agent --json` with an OpenAI-compatible server that has the agent add a cell
    printing its environment and one digging through /proc, then read the outputs."""
    values = secret_values()
    path = make_notebook(tmp_path)
    openai_server.script(
        Reply(calls=[Call("add_cell", {"code": ENV_CELL})]),
        Reply(calls=[Call("add_cell", {"code": PROC_CELL})]),
        Reply(calls=[Call("read_outputs", {})]),
        Reply(text="done"),
    )
    env = cli_env(
        **values,
        MARIMO_TUI_AGENT_HOST=openai_server.api_url,
        MARIMO_TUI_AGENT_APPROVAL="auto",
        MARIMO_TUI_MARIMO_CONFINE=confine,
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "marimo_tui",
            "agent",
            "look around",
            "--provider",
            "openai",
            "--model",
            "m",
            "--notebook",
            str(path),
            "--json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=5 * HANG,
    )
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    results = [str(e["result"]) for e in events if e["type"] == "tool_result"]
    assert len(results) == 3, results
    # The kernel's environment has none of them; the workbench's /proc entry gave them away,
    # and redaction is what kept them out.
    assert not any(name in results[0] for name in values), results[0]
    assert all(f"{name}=***" in results[2] for name in values), results[2]
    bodies = json.dumps(openai_server.chats)
    streams = {
        "stdout": proc.stdout,
        "stderr": proc.stderr,
        "requests": bodies,
        **produced_files(tmp_path),
    }
    assert {k for k in streams if "conversations" in k} and "requests" in streams
    found = leaks(streams, values)
    print(
        f"confine {confine}: secrets found in outputs: {len(found)} of {len(values)} values "
        f"x {len(streams)} streams"
    )
    assert found == []


# -- confinement of our own writes ------------------------------------------------------------
@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def test_a_linked_data_folder_is_refused_and_nothing_lands_outside(
    tmp_path: Path, outside: Path
) -> None:
    from marimo_tui.workbench import Workbench

    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "marimo-tui.yaml").write_text("notebooks:\n  folder: notebooks\n")
    (root / "notebooks" / "data").symlink_to(outside)
    wb = Workbench(load_config(start=root))
    template = wb.template("explore-data")
    assert template.data
    with pytest.raises(StoreError, match="outside the project root"):
        asyncio.run(wb.create_notebook(Path("explore.py"), template, {}))
    assert list(outside.iterdir()) == []
    assert not (root / "notebooks" / "explore.py").exists()  # refused before anything


def test_a_linked_state_folder_keeps_journal_conflicts_and_transcripts_inside(
    tmp_path: Path, outside: Path
) -> None:
    from marimo_tui.agent.transcripts import Transcript

    root = tmp_path / "project"
    nb = make_notebook(root)
    (root / ".marimo-tui").symlink_to(outside)
    store = NotebookStore(root, root / ".marimo-tui")
    with pytest.raises(OutsideRoot):
        store.add_cell(nb, "z2 = 1")
    transcript = Transcript(root / ".marimo-tui" / "conversations", Redactor(), root=root)
    transcript.meta(profile="p")
    assert "outside the project root" in transcript.problem
    wb = Workbench(load_config(start=root, environ={}))
    notices: list[str] = []
    wb.subscribe(lambda event: notices.append(getattr(event, "text", "")))
    wb.tasks.add("a plan", owner="agent")
    wb.tasks.add("and more", owner="user")
    assert [n for n in notices if "task tree is not saved" in n] == [
        f"the task tree is not saved: {wb.tasks.problem}"
    ]
    assert "outside the project root" in wb.tasks.problem
    assert list(outside.rglob("*")) == []
    assert "z2" not in nb.read_text()


async def test_the_outside_editor_gets_no_file_through_a_linked_state_folder(
    tmp_path: Path, outside: Path
) -> None:
    from tests.tui_support import make_app

    root = tmp_path / "project"
    make_notebook(root)
    (root / ".marimo-tui").symlink_to(outside)
    app = make_app(root, watch=False)
    notices: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (notices.append(message), notify(message, **kw))[1]  # type: ignore[method-assign]
    async with app.run_test():
        ran = outside / "ran"
        assert app.edits._external_editor(f"touch {ran}", "x = 1") is None
        assert [n for n in notices if "cannot hand the cell to" in n], notices
        assert "outside the project root" in notices[-1]
    assert list(outside.rglob("*")) == []  # no cell file, and the editor never ran


def test_notebook_links_and_default_exports_through_links_are_refused(
    tmp_path: Path, outside: Path
) -> None:
    from marimo_tui.runtime.export import ExportError, _check_default

    root = tmp_path / "project"
    nb = make_notebook(root)
    (outside / "elsewhere.py").write_text(nb.read_text())
    (root / "notebooks" / "linked.py").symlink_to(outside / "elsewhere.py")
    store = NotebookStore(root, root / ".marimo-tui")
    with pytest.raises(StoreError, match="through a link"):
        store.resolve("notebooks/linked.py")
    with pytest.raises(StoreError):
        store.resolve("../outside/elsewhere.py")
    assert inside_root("notebooks/runs.py", root) == nb.resolve()
    (root / "notebooks" / "__marimo__").symlink_to(outside)
    with pytest.raises(ExportError, match="outside the notebook's folder"):
        _check_default(root / "notebooks" / "__marimo__" / "session" / "runs.py.json", nb)
    _check_default(nb.with_suffix(".html"), nb)  # beside it: fine


def test_the_approval_shows_every_line_of_an_edited_cell() -> None:
    old = "\n".join(f"line{i} = {i}" for i in range(40))
    new = old.replace("line20 = 20", "import subprocess; subprocess.run(['sh', '-c', 'id'])")
    diff = unified_diff("nb.py (cell a)", old, new, whole=True)
    shown = {line[1:] for line in diff.splitlines() if line[:1] in (" ", "+")}
    assert set(new.splitlines()) <= shown
    assert len(unified_diff("nb.py", old, new).splitlines()) < 15  # (a plain diff would not)


# -- confinement of the kernel (Landlock) ----------------------------------------------------
@dataclass
class Confined:
    sidecar: Sidecar
    root: Path

    async def run(self, path: Path, shows: str = "") -> dict[str, str]:
        """Run a notebook to the end (and until some cell's console `shows` that text): each
        cell's status, output, console and traceback, by id."""
        session = NotebookSession(self.sidecar, path, lambda _u: None)
        session.start()
        try:
            kernel = session.kernel

            def done() -> bool:
                runs = [kernel.runs.get(c) for c in kernel.ids]
                finished = ("idle", "error", "disabled")
                if not runs or not all(r is not None and r.status in finished for r in runs):
                    return False
                return not shows or any(shows in r.console_text for r in runs if r)

            await wait_until(done, START, f"{path.name} to run")
            out = {}
            for cid in kernel.ids:
                run = kernel.runs[cid]
                console = "".join(c.text for c in run.console)
                out[cid] = f"{run.status}|{run.output.text}|{console}|{run.traceback}"
            return out
        finally:
            await session.close()


@pytest.fixture
async def confined(tmp_path: Path) -> AsyncIterator[Confined]:
    root = tmp_path / "project"
    root.mkdir()
    sidecar = Sidecar(SidecarOptions(root, root / ".marimo-tui" / "logs", confine=True))
    sidecar.start()
    await asyncio.wait_for(sidecar.wait_ready(), START)
    try:
        yield Confined(sidecar, root)
    finally:
        await sidecar.stop()


# Each attempt prints "refused" (PermissionError) or "WROTE".
ATTEMPTS = {
    "open_w": "open(OUT + '/a.txt', 'w').write('x')",
    "home": "open(os.path.expanduser('~/marimo-tui-confine-probe.txt'), 'w').write('x')",
    "mkdir": "os.mkdir(OUT + '/d')",
    "symlink": "os.symlink('/etc/passwd', OUT + '/l')",
    "rename_out": "open('inside_r.txt', 'w').write('x'); os.rename('inside_r.txt', OUT + '/r')",
    "copy": "shutil.copy('/etc/hostname', OUT + '/c')",
    "link_in_project": "os.symlink(OUT + '/via.txt', 'via'); open('via', 'w').write('x')",
    "truncate": "os.truncate(OUT + '/existing.txt', 0)",
    "append": "open(OUT + '/existing.txt', 'a').write('x')",
    "remove": "os.remove(OUT + '/existing.txt')",
    "shell": "subprocess.run(['sh', '-c', f'echo x > {OUT}/sh.txt'], check=True)",
    "fifo": "os.mkfifo(OUT + '/f')",
}


@needs_landlock
async def test_a_confined_kernel_cannot_write_outside_the_project(
    confined: Confined, tmp_path: Path
) -> None:
    out_dir = tmp_path / "outside"
    out_dir.mkdir()
    (out_dir / "existing.txt").write_text("keep me")
    lines = [
        "import json, os, shutil, subprocess, tempfile",
        f"OUT = {str(out_dir)!r}",
        "results = {}",
    ]
    for name, attempt in ATTEMPTS.items():
        lines += [
            "try:",
            f"    {attempt}",
            f"    results[{name!r}] = 'WROTE'",
            "except (PermissionError, subprocess.CalledProcessError):",
            f"    results[{name!r}] = 'refused'",
        ]
    lines += [
        "open('inside.txt', 'w').write('ok')",
        "open(os.path.join(tempfile.gettempdir(), 'tmp.txt'), 'w').write('ok')",
        "print('RESULTS=' + json.dumps(results))",
    ]
    path = make_notebook(confined.root, [("probe", "\n".join(lines))])
    (text,) = (await confined.run(path, shows="RESULTS=")).values()
    assert text.startswith("idle"), text
    results = json.loads(text.split("RESULTS=", 1)[1].split("\n", 1)[0])
    wrote = [name for name, r in results.items() if r != "refused"]
    outside_now = sorted(p.name for p in out_dir.iterdir())
    print(f"writes outside the root: {len(wrote)} of {len(results)} attempts {sorted(results)}")
    assert wrote == [] and outside_now == ["existing.txt"]
    assert (out_dir / "existing.txt").read_text() == "keep me"
    assert not Path("~/marimo-tui-confine-probe.txt").expanduser().exists()
    assert (confined.root / "inside.txt").read_text() == "ok"
    tmp = confined.sidecar._tmp
    assert tmp is not None and (tmp / "tmp.txt").exists()


@needs_landlock
async def test_the_bundled_templates_run_confined(confined: Confined) -> None:
    folder = confined.root / "notebooks"
    failed = {}
    for name in ALL:
        path = create(name, folder / name)
        cells = await confined.run(path)
        bad = {c: t for c, t in cells.items() if t.startswith("error") or "Traceback" in t}
        if bad:
            failed[name] = bad
    assert failed == {}, failed


async def test_asked_to_confine_where_it_cannot_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marimo_tui.events import Notice
    from marimo_tui.runtime.manager import Runtime
    from marimo_tui.runtime.sidecar import confinement_state
    from marimo_tui.tasks import TaskTree

    if landlock.abi_version():
        assert confinement_state(True).startswith("confined to the project (Landlock ABI")
    assert confinement_state(False) == ""
    monkeypatch.setattr(landlock, "abi_version", lambda: 0)
    config = load_config(start=tmp_path, environ={"MARIMO_TUI_MARIMO_CONFINE": "project"})
    events: list[object] = []
    runtime = Runtime(config, events.append, TaskTree(tmp_path / "tasks.json", lambda *_: None))
    assert runtime.sidecar.confinement.startswith("not confined: ")
    runtime.start()
    await runtime.stop()
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert notices[0].startswith("marimo kernels are not confined: ")
    assert len(notices[0].splitlines()) == 1


# -- secrets: the same in the full-screen app --------------------------------------------------
async def test_no_secret_on_the_screen_or_in_the_files_of_an_app_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app with the real marimo server and a scripted agent (approval auto) adding a cell
    that prints its environment and one that prints a file holding the secrets (a notebook
    reading its `.env`): the chat, the cell view, the status bar and every file the run leaves
    show them as ***. (The /proc trick is the headless test's: in-process here, the workbench's
    /proc environ is pytest's, which never held them.)"""
    from marimo_tui.tui.app import WorkbenchApp
    from marimo_tui.workbench import Workbench
    from tests.tui_support import isolate_user_config, make_project

    isolate_user_config(tmp_path)
    values = secret_values()
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    path = make_project(tmp_path, [("seed", "x = 1")], agent="{approval: auto}")
    dotenv = tmp_path / "notebooks" / "dotenv.txt"
    dotenv.write_text("".join(f"{n}={v}\n" for n, v in values.items()))
    file_cell = f"print(open({str(dotenv)!r}).read())"
    calls = [{"name": "add_cell", "arguments": {"code": c}} for c in (ENV_CELL, file_cell)]
    calls.append({"name": "read_outputs", "arguments": {}})
    script = {"turns": [*({"tool_calls": [c]} for c in calls), {"text": "done"}]}
    (tmp_path / "script.yaml").write_text(json.dumps(script))  # JSON is YAML
    dotenv_text = dotenv.read_text()
    workbench = Workbench(load_config(start=tmp_path, environ=dict(os.environ)))
    overrides = Overrides(provider="scripted", script=tmp_path / "script.yaml")
    app = WorkbenchApp(workbench, workbench.quick_open(path), run=True, agent=overrides)
    notices: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (notices.append(message), notify(message, **kw))[1]  # type: ignore[method-assign]
    async with app.run_test(size=(200, 60)) as pilot:
        token = await wait_for_token(app)
        # A notice that names a secret (as an error from a server might): it shows as ***.
        workbench.notice(f"probe {values['OPENAI_API_KEY']} {token}", "error")
        await wait_until(lambda: "probe *** ***" in notices, HANG, "the probe notice")
        field = app.chat.input
        field.focus()
        field.value = "look around"
        await pilot.press("enter")
        await wait_until(lambda: "done" in app.chat.agent_log.text(), START, "the turn")
        await wait_until(
            lambda: all(f"{n}=***" in app.cell_view.screen_text() for n in values),
            START,
            "the file cell's output in the cell view",
        )
        streams = {
            "chat": app.chat.agent_log.text(),
            "cells": app.cell_view.screen_text(),
            "status": app.status.text,
            "notices": "\n".join(notices),
        }
    assert all(f"{n}=***" in streams["chat"] for n in values), "the tool result, redacted"
    files = produced_files(tmp_path)
    assert files.pop("notebooks/dotenv.txt") == dotenv_text  # the one place they belong
    streams.update(files)
    found = leaks(streams, {**values, "sidecar token": token})
    print(
        f"app run: secrets found: {len(found)} of {len(values) + 1} values x {len(streams)} streams"
    )
    assert found == []


async def wait_for_token(app: WorkbenchApp) -> str:
    """The random token of the app's marimo server, once it is made."""

    def token() -> str:
        runtime = app.workbench.runtime
        return runtime.sidecar.token if runtime is not None and runtime.sidecar.token else ""

    await wait_until(token, START, "the marimo server's token")
    return token()
