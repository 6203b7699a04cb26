"""UI elements read from real marimo outputs (tests/outputs_corpus/widget_*.json, captured with
tests/capture_widgets.py) and the value model of each kind."""

from __future__ import annotations

import pytest
from marimo._plugins.core.web_component import parse_initial_value

from marimo_tui.runtime import widget_text as words
from marimo_tui.runtime import widgets as w
from marimo_tui.runtime.html_convert import Node, parse_html
from marimo_tui.runtime.kernel_state import KernelState
from marimo_tui.runtime.output_blocks import Widget
from marimo_tui.runtime.outputs import convert_output
from tests.test_outputs import fixture

# case → (kind, label, value as the kernel made it)
EXPECTED: dict[str, tuple[str, str, object]] = {
    "widget_slider": ("slider", "Rows shown", 25),
    "widget_slider_steps": ("slider", "", 1),
    "widget_number": ("number", "Scale", 1.0),
    "widget_text": ("text", "Region", "north"),
    "widget_text_area": ("text-area", "Notes", "line one"),
    "widget_checkbox": ("checkbox", "Log scale", True),
    "widget_switch": ("switch", "Live", False),
    "widget_dropdown": ("dropdown", "Count", ["Two"]),
    "widget_radio": ("radio", "Statistic", "median"),
    "widget_multiselect": ("multiselect", "", ["b"]),
    "widget_date": ("date", "", "2024-02-29"),
    "widget_button": ("button", "Refresh", 0),
    "widget_run_button": ("button", "Train", 0),  # marimo draws it as a button
    "widget_form": ("form", "", "draft"),
    "widget_table": ("table", "Cities", []),
}


def html_of(case: str) -> str:
    data = fixture(case)["output"]["data"]
    assert isinstance(data, str)
    return data


def element(case: str) -> Widget:
    [found] = w.widgets_in_html(html_of(case))
    return found


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_element_is_read_from_its_html(case: str) -> None:
    kind, label, value = EXPECTED[case]
    found = element(case)
    assert (found.kind, found.label, found.value) == (kind, label, value)
    assert found.object_id.startswith(fixture(case)["cell_id"] + "-")
    assert found.kind in w.EDITABLE
    # attrs are decoded JSON, without marimo's prefix, the label and value held apart
    assert "initial-value" not in found.attrs and "label" not in found.attrs
    assert not any(str(k).startswith("data-") for k in found.attrs)


def test_parse_widget_takes_the_ui_element_node_only() -> None:
    root = parse_html(html_of("widget_slider"))
    [node] = root.elements()
    assert w.parse_widget(node) is not None
    assert w.parse_widget(node.elements()[0]) is None  # the component alone has no object id
    assert w.parse_widget(Node("marimo-ui-element", {"object-id": "x"})) is None
    assert w.widgets_in_html("<pre>no elements</pre>") == ()


def test_numbers_step_on_their_grid_and_stay_in_range() -> None:
    slider = element("widget_slider")  # 0–100 by 5, at 25
    assert w.step(slider, 1) == 30 and w.step(slider, -2) == 15
    assert w.step(slider, 100) == 100 and w.step(slider, -100) == 0
    assert isinstance(w.step(slider, 1), int)
    number = element("widget_number")  # 0.5–2.5 by 0.5, at 1.0
    assert w.step(number, 1) == 1.5 and w.step(number, -10) == 0.5
    assert w.from_text(number, " 2.25 ") == 2.25
    assert w.from_text(number, "99") == 2.5
    assert w.from_text(number, "") is None  # marimo's number takes an emptied field
    for bad in ("two", "nan", "inf"):
        with pytest.raises(ValueError):
            w.from_text(number, bad)
    steps = element("widget_slider_steps")  # sends the index; shows the step
    assert words.value_text(steps) == "10"
    assert w.step(steps, 1) == 2 and w.step(steps, 5) == 2
    assert words.value_text(w.with_value(steps, 2)) == "100"


def test_choices_send_labels() -> None:
    dropdown = element("widget_dropdown")
    assert w.options(dropdown) == ["One", "Two"]
    assert w.step(dropdown, -1) == ["One"] and w.step(dropdown, 1) == ["Two"]
    assert w.choose(dropdown, "One") == ["One"]
    with pytest.raises(ValueError):
        w.choose(dropdown, None)  # made with a value: marimo allows no empty choice
    with pytest.raises(ValueError):
        w.choose(dropdown, "Three")
    radio = element("widget_radio")
    assert w.step(radio, -1) == "mean" and w.choose(radio, "mean") == "mean"
    multi = element("widget_multiselect")
    assert w.pick_many(multi, ["c", "a"]) == ["a", "c"]  # in the options' order
    with pytest.raises(ValueError):
        w.pick_many(multi, ["a", "b", "c"])  # max_selections=2


def test_toggles_buttons_dates_text_tables_forms() -> None:
    assert w.toggle(element("widget_checkbox")) is False
    assert w.toggle(element("widget_switch")) is True
    button = element("widget_button")
    assert w.press(button) == 1 and w.press(w.with_value(button, 1)) == 2
    assert w.press(element("widget_run_button")) == 1
    day = element("widget_date")  # 2024-01-01 … 2024-06-30, at 2024-02-29
    assert w.step(day, 1) == "2024-03-01" and w.step(day, 1000) == "2024-06-30"
    assert w.from_text(day, "2024-05-01") == "2024-05-01"
    for bad in ("2024-07-01", "01/05/2024"):
        with pytest.raises(ValueError):
            w.from_text(day, bad)
    assert w.from_text(element("widget_text_area"), "a\nb") == "a\nb"
    table = element("widget_table")
    assert w.table_of(table).rows == (("Oslo", "709"), ("Bergen", "291"))
    assert w.select_rows(table, [1]) == [1]
    with pytest.raises(ValueError):
        w.select_rows(table, [0, 1])  # selection="single"
    form = element("widget_form")
    assert form.inner is not None and form.inner.kind == "text" and form.inner.label == "Title"
    assert form.attrs["submit-button-label"] == "Save"
    assert words.describe(w.with_value(form, "sent")) == "form of text = sent"
    with pytest.raises(ValueError):
        w.toggle(form)


@pytest.mark.parametrize(
    "value", [30, 1.5, "a 'quoted' <b>$x$</b> \\ ü", ["Two"], [], None, True, "2024-03-01"]
)
def test_a_set_value_is_written_as_marimo_writes_it(value: object) -> None:
    html = html_of("widget_slider")
    object_id = element("widget_slider").object_id
    patched = w.patch_value(html, object_id, value)
    assert patched is not None
    assert parse_initial_value(patched) == value  # marimo's own reader agrees
    [found] = w.widgets_in_html(patched)
    assert found.value == value and found.label == "Rows shown"
    assert w.patch_value(html, "nope-0", value) is None


def test_the_cell_showing_an_element_shows_the_value_set() -> None:
    fx = fixture("widget_form")
    kernel = KernelState()
    kernel.reset([fx["cell_id"]], [fx["code"]], ["_"], resumed=False)
    kernel.apply_cell_op({"cell_id": fx["cell_id"], "output": fx["output"], "status": "idle"})
    form = kernel.run_of(fx["cell_id"]).widgets[0]
    run = kernel.set_widget_value(form.object_id, "sent")
    assert run is not None and run.widgets[0].value == "sent"
    assert run.widgets[0].inner is not None and run.widgets[0].inner.value == "sent"
    assert kernel.set_widget_value("unknown-0", 1) is None

    fx = fixture("widget_slider")
    kernel.reset([fx["cell_id"]], [fx["code"]], ["_"], resumed=False)
    kernel.apply_cell_op({"cell_id": fx["cell_id"], "output": fx["output"], "status": "idle"})
    before = kernel.run_of(fx["cell_id"]).output.text
    assert before.endswith(" 25"), before  # `Rows shown ━━●─────── 25`
    run = kernel.set_widget_value(kernel.run_of(fx["cell_id"]).widgets[0].object_id, 40)
    assert run is not None and run.output.text.endswith(" 40"), run


def test_a_rerun_showing_the_same_output_keeps_the_same_objects() -> None:
    fx = fixture("widget_slider")
    cid = fx["cell_id"]
    kernel = KernelState()
    kernel.reset([cid], [fx["code"]], ["_"], resumed=False)
    first = kernel.apply_cell_op({"cell_id": cid, "output": fx["output"], "status": "idle"})
    kernel.apply_cell_op({"cell_id": cid, "status": "running", "console": []})
    again = kernel.apply_cell_op({"cell_id": cid, "output": dict(fx["output"]), "status": "idle"})
    assert again.output is first.output and again.widgets is first.widgets
    # a value set from the keyboard changes the output; the same payload sent again (the
    # element's cell reran: a new slider at its initial value) shows that value again
    moved = kernel.set_widget_value(first.widgets[0].object_id, 40)
    assert moved is not None and moved.output.text.endswith(" 40")
    rerun = kernel.apply_cell_op({"cell_id": cid, "output": fx["output"], "status": "idle"})
    assert rerun.output.text.endswith(" 25") and rerun.widgets[0].value == 25
    other = fixture("widget_form")["output"]
    changed = kernel.apply_cell_op({"cell_id": cid, "output": other, "status": "idle"})
    assert changed.output == convert_output(other["mimetype"], other["data"])


def test_stdin_prompt_comes_and_goes() -> None:
    kernel = KernelState()
    kernel.reset(["a"], ["input('? ')"], ["_"], resumed=False)
    kernel.apply_cell_op({"cell_id": "a", "status": "running", "console": []})
    run = kernel.apply_cell_op(
        {"cell_id": "a", "console": {"channel": "stdin", "mimetype": "text/password", "data": "pw"}}
    )
    assert run.stdin is not None and run.stdin.prompt == "pw" and run.stdin.password
    run = kernel.answered("a", "secret")
    assert run.stdin is None and "secret" not in run.console_text  # a password is not echoed
    kernel.apply_cell_op(
        {"cell_id": "a", "console": {"channel": "stdin", "mimetype": "text/plain", "data": "?"}}
    )
    assert kernel.run_of("a").stdin is not None
    run = kernel.apply_cell_op({"cell_id": "a", "status": "idle"})  # interrupted: no more wait
    assert run.stdin is None


def test_a_steps_slider_shows_its_step_not_its_index() -> None:
    fx = fixture("widget_slider_steps")  # mo.ui.slider(steps=[1, 10, 100], value=10)
    shown = convert_output(fx["output"]["mimetype"], fx["output"]["data"]).text
    assert shown.endswith("●───── 10"), shown
