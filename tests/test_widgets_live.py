"""UI elements and `input()` against the real marimo kernel: each element's wire value, set
through the session, reaches the cell that reads it — as marimo's `_convert_value` turns it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets

from marimo_tui.runtime import widget_text as words
from marimo_tui.runtime import widgets as w
from marimo_tui.runtime.output_blocks import Widget
from tests.sidecar_support import make_notebook, wait_group_gone
from tests.test_sidecar import START, Live, running
from tests.tui_support import wait_until

# Each element is made in one cell and read, with repr, in another: the reader's output is what
# the kernel made of the value we sent.
ELEMENTS: list[tuple[str, str]] = [
    ("slider", "mo.ui.slider(1, 9, step=2, value=3, label='Count')"),
    ("steps", "mo.ui.slider(steps=[10, 20, 40], value=20)"),
    ("number", "mo.ui.number(0.0, 1.0, step=0.25, value=0.5)"),
    ("text", "mo.ui.text(value='hi')"),
    ("area", "mo.ui.text_area(value='a')"),
    ("check", "mo.ui.checkbox(label='Go')"),
    ("switch", "mo.ui.switch(value=True)"),
    ("drop", "mo.ui.dropdown({'North': 'n', 'South': 's'}, value='North')"),
    ("radio", "mo.ui.radio(['red', 'blue'], value='red')"),
    ("multi", "mo.ui.multiselect(['a', 'b', 'c'], value=['a'])"),
    ("day", "mo.ui.date(start='2024-01-01', stop='2024-12-31', value='2024-03-01')"),
    ("button", "mo.ui.button(value=0, on_click=lambda v: v + 10)"),
    ("run", "mo.ui.run_button()"),
    ("form", "mo.ui.text(value='draft').form()"),
    ("table", "mo.ui.table([{'k': 'x'}, {'k': 'y'}, {'k': 'z'}], selection='multi')"),
]


def cells() -> list[tuple[str, str]]:
    out = [("_", "import marimo as mo")]
    for name, code in ELEMENTS:
        out.append((f"make_{name}", f"{name} = {code}\n{name}"))
        out.append((f"read_{name}", f"print('{name}=' + repr({name}.value))"))
    return out


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with running(tmp_path, cells()) as live:
        yield live


def widget(live: Live, name: str) -> Widget:
    kernel = live.session.kernel
    cid = next(c for c in kernel.ids if kernel.codes[c].startswith(f"{name} = "))
    found = live.session.widgets_of(cid)
    assert len(found) == 1, found
    return found[0]


def printed(live: Live, name: str) -> str:
    kernel = live.session.kernel
    cid = next(c for c in kernel.ids if kernel.codes[c].startswith(f"print('{name}="))
    return kernel.run_of(cid).console_text


async def shows(live: Live, name: str, text: str) -> None:
    await wait_until(lambda: f"{name}={text}" in printed(live, name), START, f"{name}={text}")


async def set_to(live: Live, name: str, value: object, expected: str) -> None:
    await live.session.set_ui_value(widget(live, name).object_id, value)
    await shows(live, name, expected)
    assert widget(live, name).value == value  # the view shows the value the kernel holds


async def test_each_element_takes_its_wire_value(live: Live) -> None:
    await live.settled()
    # What the kernel made the elements with, read from their HTML.
    assert widget(live, "slider").label == "Count"
    assert widget(live, "slider").value == 3
    assert w.options(widget(live, "drop")) == ["North", "South"]
    assert widget(live, "drop").value == ["North"]
    assert widget(live, "form").inner is not None
    assert widget(live, "table").attrs.get("selection") == "multi"
    assert w.table_of(widget(live, "table")).rows == (("x",), ("y",), ("z",))

    slider = widget(live, "slider")
    assert w.step(slider, 1) == 5 and w.step(slider, -5) == 1 and w.step(slider, 9) == 9
    await set_to(live, "slider", w.step(slider, 1), "5")
    steps = widget(live, "steps")  # a slider of steps sends the step's index
    await set_to(live, "steps", w.step(steps, 1), "40")
    assert words.value_text(widget(live, "steps")) == "40"
    await set_to(live, "number", w.from_text(widget(live, "number"), "0.75"), "0.75")
    await set_to(live, "text", w.from_text(widget(live, "text"), "héllo"), "'héllo'")
    await set_to(live, "area", "two\nlines", "'two\\nlines'")
    await set_to(live, "check", w.toggle(widget(live, "check")), "True")
    await set_to(live, "switch", w.toggle(widget(live, "switch")), "False")
    # A dropdown sends the option's label; the kernel gives the mapped value.
    await set_to(live, "drop", w.step(widget(live, "drop"), 1), "'s'")
    await set_to(live, "radio", w.choose(widget(live, "radio"), "blue"), "'blue'")
    await set_to(live, "multi", w.pick_many(widget(live, "multi"), ["c", "b"]), "['b', 'c']")
    await set_to(live, "day", w.step(widget(live, "day"), 1), "datetime.date(2024, 3, 2)")
    await set_to(live, "button", w.press(widget(live, "button")), "10")
    await set_to(live, "button", w.press(widget(live, "button")), "20")
    await set_to(live, "run", w.press(widget(live, "run")), "True")
    form = widget(live, "form")
    assert form.inner is not None
    await set_to(live, "form", w.from_text(form.inner, "sent"), "'sent'")
    await live.session.set_ui_value(widget(live, "table").object_id, [0, 2])
    await wait_until(lambda: "'z'" in printed(live, "table") and "'x'" in printed(live, "table"))
    assert "'y'" not in printed(live, "table")


async def test_values_the_kernel_would_refuse_are_refused_here(live: Live) -> None:
    await live.settled()
    with pytest.raises(ValueError):
        w.from_text(widget(live, "number"), "lots")
    assert w.from_text(widget(live, "number"), "7") == 1.0  # clamped, as the browser does
    with pytest.raises(ValueError):
        w.from_text(widget(live, "day"), "2025-01-01")
    with pytest.raises(ValueError):
        w.choose(widget(live, "radio"), "green")
    with pytest.raises(ValueError):
        w.toggle(widget(live, "text"))
    assert w.step(widget(live, "day"), -400) == "2024-01-01"


INPUT_CELLS = [
    ("_", "import marimo as mo"),
    ("ask", "name = input('Your name? ')\nprint('hello', name)"),
    ("after", "shout = name.upper()\nshout"),
]


async def test_input_is_answered_and_the_cell_goes_on(tmp_path: Path) -> None:
    live = Live(tmp_path, make_notebook(tmp_path, INPUT_CELLS))
    live.sidecar.start()
    live.session.start()
    try:
        session = live.session
        await wait_until(lambda: session.waiting_for_input(), START, "the input() prompt")
        [cid] = session.waiting_for_input()
        prompt = session.kernel.run_of(cid).stdin
        assert prompt is not None and prompt.prompt == "Your name? " and not prompt.password
        await session.answer_stdin(cid, "ada")
        assert session.waiting_for_input() == []
        await live.idle_with("shout", "ADA")
        assert "hello ada" in session.kernel.run_of(cid).console_text
    finally:
        pgid = live.sidecar.pid
        await live.session.close()
        await live.sidecar.stop()
        if pgid is not None:
            assert wait_group_gone(pgid) == []


async def test_a_browser_watching_the_session_sees_the_change(live: Live) -> None:
    """`w`'s URL opens the notebook in kiosk mode beside our session: marimo sends it the
    reruns a value set here causes, and a kiosk that connects later gets the value itself."""
    await live.settled()
    session, sidecar = live.session, live.sidecar
    url = f"{sidecar.ws_url}/ws?session_id=kiosk-1&file={live.path}&kiosk=true"
    async with websockets.connect(url, additional_headers=sidecar.headers, max_size=None) as ws:
        seen: list[str] = []

        async def read_until(text: str) -> None:
            while not any(text in s for s in seen):
                seen.append(str(await ws.recv()))

        await read_until('"kernel-ready"')
        await session.set_ui_value(widget(live, "slider").object_id, 7)
        await asyncio.wait_for(read_until("slider=7"), START)

    async with websockets.connect(
        url.replace("kiosk-1", "kiosk-2"), additional_headers=sidecar.headers, max_size=None
    ) as ws:
        ready = json.loads(await ws.recv())
        while ready.get("op") != "kernel-ready":
            ready = json.loads(await ws.recv())
        assert ready["data"]["ui_values"][widget(live, "slider").object_id] == 7
