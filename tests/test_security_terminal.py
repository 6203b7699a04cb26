"""Terminal injection, tried as an attacker would: escape sequences in a notebook's file name,
its `mo.md` output, a `mo.ui.table` read from a data file (values and column names), printed
output, an exception, raw control characters in code, and a model's chat text, task titles and
edits, shown through every pane, dialog and viewer of the real app in tmux.

Passes when tmux saw none of them act: the pane's title and the window's name are what they
were, no paste buffer was made (the server takes OSC 52 with `set-clipboard on`), and the screen
shows each payload's visible form (`␛]0;PWNED-…␇`, see `marimo_tui.safe_text`), with Textual
markup in it shown as text. The runs pane and run screen are covered without tmux (they need a
Dagster run to say something): see tests/test_safe_views.py.
"""

from __future__ import annotations

import base64
import csv
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import HANG, PATIENT, REPO

sys.path.insert(0, str(REPO / "bench"))
from _tmux import Pane, Tmux, WaitTimeout, isolated_env

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"


def sequences(tag: str) -> dict[str, str]:
    """Every class of sequence, each naming the place it was put (`tag`)."""
    clip = base64.b64encode(f"PWNED-{tag}".encode()).decode()
    return {
        "OSC 0 title": f"{ESC}]0;PWNED-{tag}{BEL}",
        "OSC 2 title (ST)": f"{ESC}]2;PWNED-t2-{tag}{ST}",
        "OSC 52 clipboard": f"{ESC}]52;c;{clip}{BEL}",
        "OSC 8 hyperlink": f"{ESC}]8;;http://evil.test/{tag}{ST}link{ESC}]8;;{ST}",
        "CSI clear + home": f"{ESC}[2J{ESC}[H",
        "CSI cursor move": f"{ESC}[10;10H{ESC}[3A",
        "DCS tmux passthrough": f"{ESC}Ptmux;{ESC}{ESC}]2;PWNED-dcs-{tag}{BEL}{ST}",
        "APC": f"{ESC}_PWNED-apc-{tag}{ST}",
        "tmux window name": f"{ESC}kPWNED-win-{tag}{ST}",
        "8-bit OSC": f"\x9d2;PWNED-c1-{tag}\x9c",
        "8-bit CSI": "\x9b2J",
        "Textual markup": f"[reverse]MARKUP-{tag}[/reverse]",
    }


def payload(tag: str) -> str:
    # OSC 0 first: its visible form starts the line, so a narrow pane still shows it.
    return " ".join(sequences(tag).values())


def file_name_payload(tag: str) -> str:
    # No `/` in a file name: no OSC 8 URL, and an unclosed tag (markup all the same).
    kept = (s.replace("[/reverse]", "") for s in sequences(tag).values())
    return " ".join(s for s in kept if "/" not in s)


def shown(tag: str) -> str:
    """How the start of a payload looks on screen."""
    return f"␛]0;PWNED-{tag}␇"


NOTEBOOK = """import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import csv

    import marimo as mo
    return csv, mo


@app.cell
def _(mo):
    mo.md("## heading " + {md!r})
    return


@app.cell
def _(csv, mo):
    def read(name):
        with open(mo.notebook_dir() / name, newline="") as handle:
            return list(csv.DictReader(handle))
    return (read,)


@app.cell
def _(mo, read):
    mo.ui.table(read("evil.csv"), selection=None)
    return


@app.cell
def _(mo, read):
    mo.ui.table(read("columns.csv"), selection=None)
    return


@app.cell
def _():
    print({printed!r})
    return


@app.cell
def _():
    raise ValueError({error!r})
    return


@app.cell
def _():
    quiet = 1  # {code}
    return


if __name__ == "__main__":
    app.run()
"""

NOTEBOOK_PLAIN = """import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    plain = 1
    return


if __name__ == "__main__":
    app.run()
"""

# Where each payload goes (tag -> what carries it).
PLACES = {
    "name": "notebook file name: `o` dialog, cells border title, status bar",
    "md": "mo.md output: cell view and output viewer",
    "value": "mo.ui.table value from a data file: cell view and output viewer",
    "column": "mo.ui.table column name from a data file: cell view and output viewer",
    "print": "printed output (console): cell view and output viewer",
    "error": "exception message: cell view and output viewer",
    "code": "raw control characters in a cell's code: cell view",
    "chat": "model's streamed answer: chat",
    "prompt": "prompt shown as the user's message: chat",
    "task": "task titles from the model: tasks pane",
    "diff": "agent's edit (raw characters in code): approval dialog, tool entry, cell view",
}


def make_project(root: Path) -> Path:
    from marimo_tui.project import create_demo

    create_demo(root)
    notebooks = root / "notebooks"
    with (notebooks / "evil.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["city"], [payload("value")]])
    # A table of its own: its one column's name has the width to be seen.
    with (notebooks / "columns.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([[payload("column")], ["1"]])
    text = NOTEBOOK.format(
        md=payload("md"), printed=payload("print"), error=payload("error"), code=payload("code")
    )
    # The outputs come from a plainly named notebook (a name marimo's server takes for sure);
    # the hostile name is a second one.
    (notebooks / "zzqq.py").write_text(text, encoding="utf-8")
    path = notebooks / f"x {file_name_payload('name')}.py"
    path.write_text(NOTEBOOK_PLAIN, encoding="utf-8")
    return path


def make_script(path: Path) -> None:
    diff_code = f"edited = 2  # {payload('diff')}"
    script = {
        "prompt": f"look {payload('prompt')}",
        "turns": [
            {
                "text": f"Planning. {payload('chat')}\n",
                "tool_calls": [
                    {"name": "plan", "arguments": {"tasks": [f"first {payload('task')}"]}}
                ],
            },
            {"tool_calls": [{"name": "add_cell", "arguments": {"code": diff_code}}]},
            {"text": "All done here."},
        ],
    }
    path.write_text(yaml.safe_dump(script, allow_unicode=False), encoding="utf-8")


def tmux_state(tmux: Tmux, pane: Pane) -> tuple[str, str, list[str]]:
    ctl = tmux.control()
    title = ctl.command("display-message", "-p", "-t", pane.id, "#{pane_title}")
    window = ctl.command("display-message", "-p", "-t", pane.id, "#{window_name}")
    buffers = ctl.command("list-buffers")
    return "".join(title), "".join(window), buffers


class Seen:
    """Which places' visible forms were on screen, across every capture made."""

    def __init__(self, pane: Pane) -> None:
        self.pane = pane
        self.tags: set[str] = set()
        self.markup: set[str] = set()

    def look(self, screen: str) -> str:
        for tag in PLACES:
            if shown(tag) in screen:
                self.tags.add(tag)
            if f"[reverse]MARKUP-{tag}" in screen:
                self.markup.add(tag)
        return screen

    def wait(self, test: str | Callable[[str], bool], timeout: float = HANG) -> str:
        check = (lambda s: test in s) if isinstance(test, str) else test
        return self.look(self.pane.wait_for(lambda s: check(self.look(s)), timeout=timeout).screen)


def focus_the_cells(pane: Pane, seen: Seen) -> None:
    """`1` focuses the cell view, unless a text field has focus (the chat's input, after a
    dialog handed focus back to it): there `1` is text, so ctrl+left, a priority key, moves
    on until the footer shows the cell view's keys."""
    pane.send_keys("1")
    for _ in range(5):
        try:
            seen.wait(lambda s: " e Edit " in s.splitlines()[-1] and "│▌" in s, timeout=5)
            return
        except WaitTimeout:
            pane.send_keys("C-Left")
    raise AssertionError("the cell view never took the focus")


def test_no_sequence_reaches_the_terminal(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    evil = make_project(demo)
    script = tmp_path / "turns.yaml"
    make_script(script)
    env = {**isolated_env(tmp_path / "home"), **PATIENT}
    argv = [sys.executable, "-m", "marimo_tui", "demo", str(demo), "--script", str(script)]
    with Tmux(width=200, height=50) as tmux:
        tmux.control().command("set-option", "-g", "set-clipboard", "on")
        tmux.control().command("set-option", "-g", "allow-rename", "on")
        tmux.control().command("set-option", "-g", "automatic-rename", "off")
        with tmux.pane(argv, env, tmp_path) as pane:
            before = tmux_state(tmux, pane)
            seen = Seen(pane)
            seen.wait("model: replay of turns.yaml")
            seen.wait("marimo: ready")
            # The replay plays its prompt: a plan, then an edit that asks first.
            seen.wait(shown("diff"))  # in the approval dialog's diff
            assert "Let the agent run add_cell" in pane.capture()
            pane.send_keys("y")
            seen.wait("All done here.")
            seen.wait(lambda s: shown("task") in s and shown("chat") in s)
            # The `o` dialog lists the notebook by its name; opened, the name titles the cells
            # and is in the status bar.
            pane.send_keys("o")
            seen.wait("Open notebook")
            # Each hit shows the notebook's absolute path: filtered, only the one wanted is left.
            welcome = str(demo / "notebooks" / "welcome.py")
            pane.send_keys("-l", "PWNED")
            seen.wait(lambda s: shown("name") in s and welcome not in s)
            pane.send_keys("Enter")
            title = f"cells · x {shown('name')}"
            seen.wait(lambda s: title in s and s.count(shown("name")) >= 2)
            pane.send_keys("o")
            seen.wait("Open notebook")
            pane.send_keys("-l", "zzqq")
            seen.wait(lambda s: str(demo / "notebooks" / "zzqq.py") in s and welcome not in s)
            pane.send_keys("Enter")
            seen.wait(lambda s: "cells · zzqq.py" in s and shown("md") in s)
            # The keys below are the cell view's: focus it (the dialog hands focus back to
            # whatever had it when it opened, which on a busy machine may be the chat).
            focus_the_cells(pane, seen)
            # Every cell has run: the last ones (the raising one before the last) are done.
            pane.send_keys("End")
            seen.wait(
                lambda s: "#8" in s and "error ·" in s and "◷" not in s and "running" not in s
            )
            pane.send_keys("Home")
            # Every cell, and the output viewer (`v`) of each one with an output.
            for _ in range(8):
                screen = seen.wait(lambda s: "│▌" in s)
                pane.send_keys("v")  # the viewer opens, or a notice says there is no output
                screen = seen.wait(
                    lambda s: "esc close · c copy text" in s or "has no output yet" in s
                )
                if "esc close · c copy text" in screen:
                    pane.send_keys("Escape")
                    seen.wait(lambda s: "esc close · c copy text" not in s)
                pane.send_keys("j")
            after = tmux_state(tmux, pane)
            pane.send_keys("C-q")
    missing = set(PLACES) - seen.tags
    tried = len(sequences("x"))
    print(
        f"\nsequences tried × places: {tried} × {len(PLACES)} = {tried * len(PLACES)}"
        f"; places shown visibly: {len(seen.tags)}/{len(PLACES)}"
        f"; pane title {before[0]!r} -> {after[0]!r}; window {before[1]!r} -> {after[1]!r}"
        f"; paste buffers {len(after[2])}"
    )
    assert after[0] == before[0] and "PWNED" not in after[0]
    assert after[1] == before[1] and "PWNED" not in after[1]
    assert after[2] == [] == before[2], after[2]
    assert not missing, f"never seen on screen: {sorted(missing)}"
    # (In the tables and the tasks pane the payload is cut before its markup.)
    assert {"name", "md", "print", "error", "chat", "prompt"} <= seen.markup, seen.markup
    assert evil.exists()
