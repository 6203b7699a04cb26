"""`mo.ui.dataframe` and anywidget against the real marimo kernel: a dataframe's transforms,
set through the session, reach the cell that reads it and read as text; an anywidget is named
by its class and shows its model's values, following the model channel as they change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from marimo_tui.runtime.kernel_state import KernelState
from marimo_tui.runtime.output_blocks import Widget
from marimo_tui.runtime.widget_text import describe, transforms_text, widget_text
from tests.corpus_support import fixture, output_of
from tests.test_sidecar import START, Live, running
from tests.tui_support import wait_until

FILTER = {
    "transforms": [
        {
            "type": "filter_rows",
            "operation": "keep_rows",
            "where": {
                "type": "group",
                "operator": "and",
                "negate": False,
                "children": [
                    {"type": "condition", "column_id": "pop", "operator": ">=", "value": 100}
                ],
            },
        },
        {"type": "sort_column", "column_id": "pop", "ascending": False, "na_position": "last"},
    ]
}
COUNTER = """import anywidget
import traitlets


class Counter(anywidget.AnyWidget):
    _esm = "export default { render({ model, el }) { el.textContent = 1; } }"
    count = traitlets.Int(3).tag(sync=True)
    unit = traitlets.Unicode("clicks").tag(sync=True)"""


def test_a_captured_dataframe_reads_as_its_shape_and_transforms() -> None:
    (widget,) = output_of("ui_dataframe").blocks
    assert isinstance(widget, Widget) and widget.kind == "dataframe"
    assert widget_text(widget) == "dataframe 3 rows · city, pop = no transforms"
    assert transforms_text(FILTER) == "filter: keep pop >= 100; sort pop ↓"
    nested = {
        "transforms": [
            {
                "type": "filter_rows",
                "operation": "remove_rows",
                "where": {
                    "type": "group",
                    "operator": "or",
                    "children": [
                        {"type": "condition", "column_id": "city", "operator": "in",
                         "value": ["Oslo", "Bergen"]},
                        {"type": "condition", "column_id": "pop", "operator": "between",
                         "value": {"min": 1, "max": 9}, "negate": True},
                    ],
                },
            },
            {"type": "select_columns", "column_ids": ["city"]},
        ]
    }  # fmt: skip
    assert transforms_text(nested) == (
        "filter: remove (city in [Oslo, Bergen] or not pop between 1–9); select city"
    )


def test_a_captured_anywidget_shows_its_model_once_it_arrives() -> None:
    case = fixture("ui_anywidget")
    kernel = KernelState()
    run = kernel.apply_cell_op({"cell_id": "c", "output": case["output"]})
    (widget,) = run.widgets
    assert describe(widget) == "anywidget = (its model has not arrived)"
    changed = []
    for message in case["models"]:
        changed += kernel.apply_model(message)
    (widget,) = kernel.runs["c"].widgets
    assert changed and describe(widget) == "anywidget Counter = count 3 · unit clicks"
    # A model that arrives first (as marimo sends it, before the output) is shown at once.
    run = kernel.apply_cell_op({"cell_id": "d", "output": case["output"]})
    assert widget_text(run.widgets[0]) == "anywidget Counter = count 3 · unit clicks"


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    cells = [
        ("_", "import marimo as mo\nimport pandas as pd"),
        ("make_table", "table = mo.ui.dataframe(pd.DataFrame("
         "{'city': ['Oslo', 'Bergen', 'Tromsø'], 'pop': [709, 291, 77]}))\ntable"),
        ("read_table", "print('rows=' + ','.join(table.value['city']))"),
        ("counter_class", COUNTER),
        ("make_counter", "counter = Counter()\nshown = mo.ui.anywidget(counter)\nshown"),
        ("bump", "shown\ncounter.count = 7"),
        ("make_span", "span = mo.ui.range_slider(0, 100, step=5, value=[20, 60])\nspan"),
        ("read_span", "print('span=' + repr(span.value))"),
        ("make_days", "days = mo.ui.date_range(start='2024-01-01', stop='2024-12-31', "
         "value=('2024-02-01', '2024-03-01'))\ndays"),
        ("read_days", "print('days=' + repr(days.value))"),
    ]  # fmt: skip
    async with running(tmp_path, cells) as live:
        yield live


def printed(live: Live) -> str:
    run = live.run_of("print('rows=")
    return run.console_text if run is not None else ""


def widget_of(live: Live, code_start: str) -> Widget | None:
    kernel = live.session.kernel
    cid = next(c for c in kernel.ids if kernel.codes[c].startswith(code_start))
    found = live.session.widgets_of(cid)
    return found[0] if found else None


async def test_a_transform_reaches_the_reader_and_an_anywidget_follows_its_model(
    live: Live,
) -> None:
    await wait_until(lambda: "rows=Oslo,Bergen,Tromsø" in printed(live), START)
    table = widget_of(live, "table = ")
    assert table is not None and widget_text(table).endswith("= no transforms")
    await live.session.set_ui_value(table.object_id, FILTER)
    await wait_until(lambda: printed(live).strip() == "rows=Oslo,Bergen", START)
    table = widget_of(live, "table = ")
    assert table is not None
    assert describe(table) == "dataframe 3 rows · city, pop = filter: keep pop >= 100; sort pop ↓"

    def counter_text() -> str:
        found = widget_of(live, "counter = ")
        return widget_text(found) if found is not None else ""

    # The class makes the widget with count 3; the `bump` cell sets it to 7 after it is shown.
    await wait_until(lambda: counter_text() == "anywidget Counter = count 7 · unit clicks", START)


def console_of(live: Live, code_start: str) -> str:
    run = live.run_of(code_start)
    return run.console_text if run is not None else ""


async def test_ranges_are_typed_as_start_and_end(live: Live) -> None:
    from marimo_tui.runtime import widgets as ui

    await wait_until(lambda: "span=[20, 60]" in console_of(live, "print('span="), START)
    span = widget_of(live, "span = ")
    assert span is not None and ui.range_text(span) == "20 – 60"
    with pytest.raises(ValueError, match="starts after it ends"):
        ui.from_text(span, "70 – 30")
    with pytest.raises(ValueError, match="not a range"):
        ui.from_text(span, "70")
    await live.session.set_ui_value(span.object_id, ui.from_text(span, "25..200"))
    await wait_until(lambda: "span=[25, 100]" in console_of(live, "print('span="), START)
    days = widget_of(live, "days = ")
    assert days is not None and ui.range_text(days) == "2024-02-01 – 2024-03-01"
    with pytest.raises(ValueError, match="within"):
        ui.from_text(days, "2023-01-01 – 2024-01-05")
    await live.session.set_ui_value(days.object_id, ui.from_text(days, "2024-05-01 to 2024-06-01"))
    await wait_until(
        lambda: (
            "datetime.date(2024, 5, 1), datetime.date(2024, 6, 1)"
            in console_of(live, "print('days=")
        ),
        START,
    )
