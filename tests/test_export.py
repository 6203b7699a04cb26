"""`marimo-tui export`: the real command runs real notebooks through marimo's exporter."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import HANG, Runner, assert_no_traceback, cli_env, interruptible

HEADER = 'import marimo\n\n__generated_with = "0.25.2"\napp = marimo.App()\n'
FOOTER = '\n\nif __name__ == "__main__":\n    app.run()\n'

CLEAN = (
    HEADER
    + """

@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _(mo):
    mo.md(f"name is {mo.cli_args().get('name')}")
    return
"""
    + FOOTER
)

# Line numbers matter: `def boom` is line 8, its raise line 10; the unnamed cell's `def` is
# line 15, the two cells defining `z` start at lines 21 and 27.
BROKEN = (
    HEADER
    + """

@app.cell
def boom():
    x = 1
    raise ValueError("bad value")
    return (x,)


@app.cell
def _():
    1 / 0
    return


@app.cell
def _():
    z = 1
    return


@app.cell
def _():
    z = 2
    return


@app.cell
def _(x):
    y = x + 1
    return
"""
    + FOOTER
)

HANGS = (
    HEADER + "\n\n@app.cell\ndef _():\n    import time\n    time.sleep(120)\n    return\n" + FOOTER
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "tmp" in p.name)


@pytest.mark.parametrize("fmt", ["html", "md", "ipynb", "session"])
def test_clean_notebook_exports_every_format(cli: Runner, tmp_path: Path, fmt: str) -> None:
    if fmt == "ipynb":
        pytest.importorskip("nbformat", reason="marimo's ipynb export needs nbformat")
    write(tmp_path, "clean.py", CLEAN)
    out = cli("export", "clean.py", "--format", fmt, "--", "--name", "zebra42")
    assert out.returncode == 0, out.stdout + out.stderr
    assert_no_traceback(out)
    expected = {
        "html": tmp_path / "clean.html",
        "md": tmp_path / "clean.md",
        "ipynb": tmp_path / "clean.ipynb",
        "session": tmp_path / "__marimo__" / "session" / "clean.py.json",
    }[fmt]
    assert expected.is_file()
    assert "2 cells ran without errors" in out.stdout
    assert str(expected.relative_to(tmp_path)) in out.stdout
    text = expected.read_text(encoding="utf-8")
    if fmt in ("html", "ipynb", "session"):
        # Outputs are in the file: the arguments after `--` reached mo.cli_args().
        assert "zebra42" in text
    if fmt != "session":
        # Only the session format leaves a snapshot under __marimo__/ (marimo's html would).
        assert not (tmp_path / "__marimo__").exists()
    if fmt in ("ipynb", "session"):
        json.loads(text)
    assert leftovers(tmp_path) == []


def test_failing_cells_are_named_with_their_lines(cli: Runner, tmp_path: Path) -> None:
    write(tmp_path, "broken.py", BROKEN)
    (tmp_path / "out").mkdir()
    out = cli("export", "broken.py", "--format", "md", "-o", "out/broken.md")
    assert out.returncode == 1, out.stdout + out.stderr
    assert_no_traceback(out)
    lines = out.stderr.splitlines()
    assert "broken.py:8: cell boom: ValueError: bad value (at line 10)" in lines
    assert any(
        line.startswith("broken.py:15: cell 2 [") and "ZeroDivisionError: division by zero" in line
        for line in lines
    ), lines
    multiple = [line for line in lines if "multiple definitions: 'z'" in line]
    assert [line.split(":")[1] for line in multiple] == ["21", "27"], multiple
    assert "cell 4 [" in multiple[1] and "(line 21)" in multiple[1]
    # The cell that needs `x` failed only because `boom` did: counted, not listed.
    assert lines[-1] == "error: 4 cells failed (1 more did not run because of them)"
    # As with `marimo export`, the output is written all the same (md never has outputs).
    assert "wrote out/broken.md" in out.stdout
    assert (tmp_path / "out" / "broken.md").read_text().startswith("---")


def test_usage_errors_exit_2_with_one_line(cli: Runner, tmp_path: Path) -> None:
    missing = cli("export", "nope.py")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "error: nope.py: no such file"
    write(tmp_path, "clean.py", CLEAN)
    assert cli("export", "clean.py", "--format", "pdf").returncode == 2
    itself = cli("export", "clean.py", "--format", "md", "-o", "clean.py")
    assert itself.returncode == 2 and "the notebook itself" in itself.stderr
    assert (tmp_path / "clean.py").read_text() == CLEAN
    # Not a notebook: the worker refuses before running, and OUT is left as it was.
    write(tmp_path, "plain.py", "print('hi')\n")
    write(tmp_path, "plain.html", "precious")
    plain = cli("export", "plain.py")
    assert plain.returncode == 2
    assert plain.stderr.strip().splitlines() == [
        "error: plain.py: a plain Python script, not a marimo notebook (no marimo.App)"
    ]
    assert (tmp_path / "plain.html").read_text() == "precious"
    assert leftovers(tmp_path) == []


def test_timeout_writes_nothing(cli: Runner, tmp_path: Path) -> None:
    write(tmp_path, "hangs.py", HANGS)
    write(tmp_path, "hangs.html", "precious")
    started = time.monotonic()
    out = cli("export", "hangs.py", "--timeout", "1")
    assert time.monotonic() - started < 20
    assert out.returncode == 1
    assert out.stderr.strip() == "error: timed out after 1 s; nothing written"
    assert (tmp_path / "hangs.html").read_text() == "precious"
    assert leftovers(tmp_path) == []


def test_ctrl_c_ends_the_run_and_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path, "hangs.py", HANGS)
    write(tmp_path, "hangs.html", "precious")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "marimo_tui", "export", "hangs.py"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(TMPDIR=str(scratch)),
        preexec_fn=interruptible,
    )
    deadline = time.monotonic() + HANG
    # Wait until the worker runs (its log exists), as a user would before pressing Ctrl-C.
    while not list(scratch.glob("*/worker.log")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert list(scratch.glob("*/worker.log")), "the export worker never started"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=HANG)
    assert proc.returncode == 130, stderr
    assert stderr.strip() == "error: interrupted; nothing written"
    assert (tmp_path / "hangs.html").read_text() == "precious"
    assert leftovers(tmp_path) == [] and list(scratch.iterdir()) == []


def test_cli_offers_every_format() -> None:
    import click

    from marimo_tui.cli import main
    from marimo_tui.runtime.export import FORMATS

    option = next(p for p in main.commands["export"].params if p.name == "fmt")
    assert isinstance(option.type, click.Choice)
    assert tuple(option.type.choices) == FORMATS
