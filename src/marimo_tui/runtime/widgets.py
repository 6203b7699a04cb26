"""marimo UI elements read from a cell's HTML, and the values the frontend sends back for them.

`Widget.value` is always the *wire* value: what marimo's browser frontend posts to
`/api/kernel/set_ui_element_value` and what the element's `_convert_value` (in
`marimo/_plugins/ui/_impl/`) turns into the Python value. Measured on marimo 0.25:

- slider, number: the number (a slider built with `steps=` sends the step's index);
- text, text-area: the string; checkbox, switch: the bool;
- radio: the option's label (or None); dropdown, multiselect: a list of option labels —
  marimo sends labels (`data-options`), never the mapped values;
- date: `"YYYY-MM-DD"`;
- button, run-button: a counter; each press sends the next number (0 only at creation);
- form: the wrapped element's wire value, sent to the *form's* id on submit;
- table: the selected rows' indices (`selection="single"|"multi"`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace

from marimo_tui.runtime.html_convert import Node, element_fields, json_attr, parse_html
from marimo_tui.runtime.output_blocks import Widget
from marimo_tui.runtime.output_tables import Table, marimo_table
from marimo_tui.runtime.widget_text import (
    BOOLEAN,
    CHOICE,
    NUMERIC,
    PRESS,
    RANGES,
    TEXTUAL,
)

# What the keyboard can change; other elements (file, chat, anywidget, …) are only shown.
EDITABLE = NUMERIC | BOOLEAN | TEXTUAL | CHOICE | PRESS | RANGES
EDITABLE |= {"multiselect", "date", "form", "table"}
DATE_FORMAT = "%Y-%m-%d"


def parse_widget(node: Node) -> Widget | None:
    """A `<marimo-ui-element object-id=…>` node → its Widget; None for anything else."""
    if node.tag != "marimo-ui-element" or not node.attrs.get("object-id"):
        return None
    component = next((c for c in node.elements() if c.tag.startswith("marimo-")), None)
    if component is None:
        return None
    return element_widget(component, node.attrs["object-id"])


def element_widget(component: Node, object_id: str) -> Widget:
    """The Widget of a `<marimo-KIND data-…>` component; `object_id` is its element's, or ""
    for a component shown outside any element (nothing to send it to)."""
    widget = element_fields(component, object_id)
    if widget.kind == "form":
        # The wrapped element is slotted inside the form: it is what the keyboard edits.
        wrapped = next(iter(find_widgets(component)), None)
        value = widget.value
        if value is None:  # not submitted yet (a value set here is written into the form)
            value = wrapped.value if wrapped is not None else None
        elif wrapped is not None:
            wrapped = replace(wrapped, value=value)
        return replace(widget, value=value, inner=wrapped)
    if widget.kind == "table" and widget.value is None:
        return replace(widget, value=[])
    return widget


def find_widgets(root: Node) -> list[Widget]:
    """Every UI element under `root`, in document order; a form's wrapped element stays
    inside its form (it is submitted through the form, not on its own)."""
    found: list[Widget] = []
    for child in root.elements():
        widget = parse_widget(child)
        if widget is not None:
            found.append(widget)
        else:
            found += find_widgets(child)
        # marimo wraps some elements' HTML in a `data-html` attribute (callouts, layouts)
        inner = child.attrs.get("data-html")
        if inner and "marimo-ui-element" in inner:
            nested = json_attr(child, "html")
            if isinstance(nested, str):
                found += find_widgets(parse_html(nested))
    return found


def widgets_in_html(html: str) -> tuple[Widget, ...]:
    if "marimo-ui-element" not in html:
        return ()
    return tuple(find_widgets(parse_html(html)))


def patch_value(html: str, object_id: str, value: object) -> str | None:
    """`html` with the element's `data-initial-value` set to `value`, so that everything that
    reads the cell's output shows the value the kernel now holds (marimo does not resend the
    output of the cell that made the element). None when the element is not found as is
    (e.g. nested, escaped, in another element's attribute)."""
    anchor = html.find(f"object-id='{object_id}'")
    if anchor < 0:
        return None
    tag = html.find("<", anchor)
    tag_end = html.find(">", tag)
    prefix = "data-initial-value='"
    start = html.find(prefix, tag)
    if tag < 0 or start < 0 or start > tag_end:
        return None
    start += len(prefix)
    end = html.find("'", start)
    return html[:start] + attr_text(value) + html[end:]


def patch_model_state(html: str, model_id: str, state: object) -> str | None:
    """`html` with an anywidget's model state in a `data-model-state` attribute of its
    `<marimo-anywidget>` tag, so the output shows the model's values (marimo's frontend gets
    them over the model channel, not in the HTML). None when that widget is not in `html`."""
    anchor = html.find(f"data-model-id='{attr_text(model_id)}'")
    tag = html.rfind("<marimo-anywidget", 0, anchor) if anchor >= 0 else -1
    tag_end = html.find(">", anchor)
    if tag < 0 or tag_end < 0:
        return None
    attribute = f" data-model-state='{attr_text(state)}'"
    old = html.find(" data-model-state='", tag, tag_end)
    if old >= 0:
        end = html.find("'", old + len(" data-model-state='")) + 1
        return html[:old] + attribute + html[end:]
    return html[:tag_end] + attribute + html[tag_end:]


def attr_text(value: object) -> str:
    """A value as marimo writes it into a `data-*` attribute (`web_component._build_attr`)."""
    import html

    encoded = json.dumps(value).replace(">", "\\u003e").replace("<", "\\u003c")
    return html.escape(encoded).replace("\\", "&#92;").replace("$", "&#36;")


# -- the value model ---------------------------------------------------------------------------
def options(widget: Widget) -> list[str]:
    raw = widget.attrs.get("options")
    return [str(o) for o in raw] if isinstance(raw, list) else []


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _tidy(number: float, *like: object) -> int | float:
    """Ints stay ints when every bound and step is one (marimo keeps the dtype)."""
    if all(isinstance(x, int) and not isinstance(x, bool) for x in like if x is not None):
        return round(number)
    return round(number, 10)


def clamp(widget: Widget, value: float) -> int | float:
    start, stop = _number(widget.attrs.get("start")), _number(widget.attrs.get("stop"))
    if start is not None:
        value = max(start, value)
    if stop is not None:
        value = min(stop, value)
    return _tidy(
        value, widget.attrs.get("start"), widget.attrs.get("stop"), widget.attrs.get("step")
    )


def step(widget: Widget, steps: int) -> object:
    """The value `steps` steps up (or down, negative) from the widget's: numbers by their step
    within start..stop, choices to the next option, a table's single selection to the next row."""
    if widget.kind in NUMERIC:
        current = _number(widget.value)
        start = _number(widget.attrs.get("start"))
        size = _number(widget.attrs.get("step")) or 1.0
        if current is None:
            current = start if start is not None else 0.0
        value = current + steps * size
        if start is not None:  # stay on the grid start + k·step, as the browser does
            value = start + round((value - start) / size) * size
        return clamp(widget, value)
    if widget.kind in CHOICE:
        labels = options(widget)
        if not labels:
            return widget.value
        chosen = selected_labels(widget)
        index = labels.index(chosen[0]) + steps if chosen else (0 if steps > 0 else len(labels) - 1)
        label = labels[max(0, min(len(labels) - 1, index))]
        return [label] if widget.kind == "dropdown" else label
    if widget.kind == "date":
        day = parse_date(str(widget.value)) if widget.value else dt.date.today()
        return check_date(widget, (day + dt.timedelta(days=steps)).strftime(DATE_FORMAT), clip=True)
    raise ValueError(f"a {widget.kind} has no steps")


def selected_labels(widget: Widget) -> list[str]:
    value = widget.value
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def choose(widget: Widget, label: str | None) -> object:
    """The wire value that selects `label` (None: nothing, where the element allows it)."""
    if label is not None and label not in options(widget):
        raise ValueError(f"{label!r} is not one of the options")
    if widget.kind == "dropdown":
        if label is None and widget.attrs.get("allow-select-none") is False:
            raise ValueError("this dropdown needs a choice")
        return [] if label is None else [label]
    if widget.kind == "radio":
        return label
    raise ValueError(f"a {widget.kind} has no single choice")


def pick_many(widget: Widget, labels: Sequence[str]) -> list[str]:
    """A multiselect's wire value: the labels, in the options' order, at most max-selections."""
    known = options(widget)
    unknown = [label for label in labels if label not in known]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not one of the options")
    limit = widget.attrs.get("max-selections")
    if isinstance(limit, int) and len(labels) > limit:
        raise ValueError(f"at most {limit} may be chosen")
    return [label for label in known if label in labels]


def toggle(widget: Widget) -> bool:
    if widget.kind not in BOOLEAN:
        raise ValueError(f"a {widget.kind} has no on/off")
    return not bool(widget.value)


def press(widget: Widget) -> int:
    """A button's next value: the frontend counts presses."""
    if widget.kind not in PRESS:
        raise ValueError(f"a {widget.kind} is not a button")
    count = widget.value if isinstance(widget.value, int) else 0
    return count + 1


def parse_date(text: str) -> dt.date:
    return dt.datetime.strptime(text.strip(), DATE_FORMAT).date()


def check_date(widget: Widget, text: str, *, clip: bool = False) -> str:
    day = parse_date(text)  # ValueError names the bad format
    start, stop = widget.attrs.get("start"), widget.attrs.get("stop")
    low = parse_date(start) if isinstance(start, str) else dt.date.min
    high = parse_date(stop) if isinstance(stop, str) else dt.date.max
    if not low <= day <= high:
        if not clip:
            raise ValueError(f"the date must be within {low} … {high}")
        day = max(low, min(high, day))
    return day.strftime(DATE_FORMAT)


def from_text(widget: Widget, text: str) -> object:
    """The wire value for what a person typed; ValueError when the element would refuse it."""
    kind = widget.kind
    if kind in TEXTUAL:
        limit = widget.attrs.get("max-length")
        if isinstance(limit, int) and len(text) > limit:
            raise ValueError(f"at most {limit} characters")
        return text
    if kind in NUMERIC:
        stripped = text.strip()
        if not stripped and kind == "number":
            return None  # marimo's number accepts an emptied field
        try:
            number = float(stripped)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError("the number must be finite")
        return clamp(widget, number)
    if kind == "date":
        return check_date(widget, text)
    if kind in CHOICE:
        return choose(widget, text or None)
    if kind == "range-slider":
        ends = [_range_end(widget, end) for end in _two_ends(text)]
        if ends[0] > ends[1]:
            raise ValueError("the range starts after it ends")
        return ends
    if kind == "date-range":
        days = [check_date(widget, end) for end in _two_ends(text)]
        if days[0] > days[1]:
            raise ValueError("the range starts after it ends")
        return days
    raise ValueError(f"a {kind} is not typed into")


_RANGE_SEPARATOR = re.compile(r"\s*(?:–|—|\.\.|,|\bto\b|\s-\s)\s*")


def range_text(widget: Widget) -> str:
    """A range's value as it is typed back: `20 – 60`, `2024-01-01 – 2024-02-01`."""
    value = widget.value
    if isinstance(value, list) and len(value) == 2:
        steps = widget.attrs.get("steps")
        if isinstance(steps, list) and steps and all(isinstance(v, int) for v in value):
            value = [steps[v] if 0 <= v < len(steps) else v for v in value]
        return f"{value[0]} – {value[1]}"
    return ""


def _two_ends(text: str) -> list[str]:
    ends = _RANGE_SEPARATOR.split(text.strip())
    if len(ends) != 2 or not all(ends):
        raise ValueError(f"{text!r} is not a range: type it as `start – end`")
    return ends


def _range_end(widget: Widget, text: str) -> int | float:
    """A range slider's end on the wire: the number, or its index among `steps=`."""
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    steps = widget.attrs.get("steps")
    if isinstance(steps, list) and steps:  # `steps=` given (marimo writes [] otherwise)
        for index, step_value in enumerate(steps):
            if isinstance(step_value, int | float) and float(step_value) == number:
                return index
        raise ValueError(f"{text} is not one of the steps {', '.join(map(str, steps))}")
    if not math.isfinite(number):
        raise ValueError("the number must be finite")
    return clamp(widget, number)


def select_rows(widget: Widget, rows: Sequence[int]) -> list[int]:
    """A table's wire value: the selected rows' indices (marimo's table `_convert_value`)."""
    mode = widget.attrs.get("selection")
    if mode not in ("single", "multi"):
        raise ValueError("this table's rows cannot be selected")
    chosen = sorted(set(rows))
    if mode == "single" and len(chosen) > 1:
        raise ValueError("this table selects one row")
    return chosen


def table_of(widget: Widget) -> Table:
    """The rows a table widget shows, to pick from."""
    attrs = {f"data-{k}": json.dumps(v) for k, v in widget.attrs.items()}
    return marimo_table(attrs)[0]


def with_value(widget: Widget, value: object) -> Widget:
    if widget.inner is not None:
        return replace(widget, value=value, inner=replace(widget.inner, value=value))
    return replace(widget, value=value)
