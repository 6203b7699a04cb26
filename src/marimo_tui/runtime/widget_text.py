"""A marimo UI element in words: the one place that says what a widget shows.

`widget_text` draws it in one line as the view shows it (`Count ━━━━●──── 5`, `◉ a ○ b`),
`describe` names it with its value for text (`Count: slider 1–10 = 5`: the agent's cell
report, copied text, the widget screen), and `value_text` reads its value. HTML conversion,
the output tree and the widget screen all use these, so an element reads the same anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from marimo_tui.runtime.output_blocks import Widget
from marimo_tui.runtime.output_json import scalar_text

NUMERIC = frozenset({"slider", "number"})
BOOLEAN = frozenset({"checkbox", "switch"})
TEXTUAL = frozenset({"text", "text-area"})
CHOICE = frozenset({"dropdown", "radio"})
PRESS = frozenset({"button", "run-button"})
RANGES = frozenset({"range-slider", "date-range"})
SLIDER_CELLS = 10
# An anywidget's traits that are the widget framework's, not the author's.
_FRAMEWORK_TRAITS = frozenset({"layout", "tabbable", "tooltip", "comm", "keys", "log"})
_SORT = {True: "↑", False: "↓"}


def value_text(widget: Widget) -> str:
    """The value as a person reads it: `3`, `on`, `"north"`, `north, south`, `rows 1, 4`."""
    kind, value = widget.kind, widget.value
    if kind in BOOLEAN:
        return "on" if value else "off"
    if kind == "slider" and isinstance(widget.attrs.get("steps"), list) and isinstance(value, int):
        steps = widget.attrs["steps"]
        assert isinstance(steps, list)
        return str(steps[value]) if 0 <= value < len(steps) else str(value)
    if kind in PRESS:
        return f"pressed {value}×" if value else "not pressed"
    if kind == "table":
        rows = value if isinstance(value, list) else []
        return "rows " + ", ".join(str(r) for r in rows) if rows else "no rows selected"
    if kind == "form":
        return value_text(widget.inner) if widget.inner is not None else ""
    if kind == "dataframe":
        return transforms_text(value)
    if kind == "anywidget":
        return model_text(widget.attrs.get("model-state"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if value is None or value == "":
        return "(empty)" if kind in TEXTUAL else "(none)"
    return str(value)


def describe(widget: Widget) -> str:
    """One line: `Count: slider 1–10 = 5`."""
    kind = widget.kind
    name = kind
    if kind in NUMERIC and widget.attrs.get("start") is not None:
        name = f"{kind} {_plain(widget.attrs.get('start'))}–{_plain(widget.attrs.get('stop'))}"
    if kind == "form":
        name = f"form of {widget.inner.kind}" if widget.inner is not None else "form"
    if kind == "anywidget":
        name = anywidget_name(widget)
    if kind == "dataframe":
        name = f"dataframe {dataframe_shape(widget)}"
    text = f"{name} = {value_text(widget)}"
    return f"{widget.label}: {text}" if widget.label else text


def widget_text(widget: Widget) -> str:
    """A UI element drawn in one line: `Count ━━━━●──── 5`, `◉ a ○ b`, `[x] label`."""
    kind, value, attrs = widget.kind, widget.value, widget.attrs
    label = f"{widget.label} " if widget.label else ""
    options = _options(attrs.get("options"))
    if kind == "slider":
        # A `steps=` slider's value is an index: the step is what it shows.
        shown = value_text(widget) if isinstance(attrs.get("steps"), list) else _plain(value)
        return f"{label}{_track(attrs, value, value)} {shown}"
    if kind == "range-slider" and isinstance(value, list) and len(value) == 2:
        low, high = value
        return f"{label}{_track(attrs, low, high)} {_plain(low)}–{_plain(high)}"
    if kind in BOOLEAN:
        return f"[{'x' if value else ' '}] {widget.label}".rstrip()
    if kind == "button":
        return f"[ {widget.label or 'button'} ]"
    if kind == "radio":
        return label + " ".join(f"{'◉' if o == value else '○'} {o}" for o in options)
    if kind == "multiselect":
        picked = [_plain(v) for v in value] if isinstance(value, list) else []
        return label + " ".join(f"[{'x' if o in picked else ' '}] {o}" for o in options)
    if kind == "dropdown":
        first = value[0] if isinstance(value, list) and value else value
        shown = _plain(first) if first not in (None, []) else "—"
        return f"{label}▾ {shown}  ({', '.join(options)})" if options else f"{label}▾ {shown}"
    if kind == "number":
        bounds = f" ({_plain(attrs.get('start'))}–{_plain(attrs.get('stop'))})"
        return f"{label}[ {_plain(value)} ]" + (bounds if attrs.get("start") is not None else "")
    if kind in ("text", "text-area", "date", "datetime", "date-range", "code-editor"):
        return f"{label}[ {_plain(value)} ]"
    if kind in ("anywidget", "dataframe"):
        return f"{label}{describe(Widget(widget.object_id, kind, '', value, attrs))}"
    if value in (None, "", [], {}):
        return f"{label}‹{kind}›"
    return f"{label}‹{kind}› {_plain(value)}"


# -- anywidget ------------------------------------------------------------------------------------
def anywidget_name(widget: Widget) -> str:
    """`anywidget Counter`: the widget's class, as anywidget names its model."""
    state = widget.attrs.get("model-state")
    ident = state.get("_anywidget_id") if isinstance(state, Mapping) else None
    return f"anywidget {str(ident).rsplit('.', 1)[-1]}" if ident else "anywidget"


def model_text(state: object) -> str:
    """An anywidget model's own traits: `count 3 · unit clicks` (its framework's left out)."""
    if not isinstance(state, Mapping):
        return "(its model has not arrived)"
    shown = [
        f"{key} {_plain(value)}"
        for key, value in state.items()
        if not str(key).startswith("_")
        and key not in _FRAMEWORK_TRAITS
        and value is not None
        and not (isinstance(value, str) and value.startswith("IPY_MODEL_"))
    ]
    return " · ".join(shown) or "(no values)"


# -- mo.ui.dataframe ------------------------------------------------------------------------------
def dataframe_shape(widget: Widget) -> str:
    """`3 rows · city, pop`: the frame marimo's dataframe editor was given."""
    total = widget.attrs.get("total")
    columns = widget.attrs.get("columns")
    names = (
        [str(c[0]) for c in columns if isinstance(c, list) and c]
        if isinstance(columns, list)
        else []
    )
    parts = [f"{total} rows"] if isinstance(total, int) else []
    if names:
        parts.append(", ".join(names))
    return " · ".join(parts)


def transforms_text(value: object) -> str:
    """The transforms of `mo.ui.dataframe`, in order: `filter: keep pop >= 100; sort pop ↓`."""
    transforms = value.get("transforms") if isinstance(value, Mapping) else None
    if not isinstance(transforms, list) or not transforms:
        return "no transforms"
    return "; ".join(_transform(t) for t in transforms if isinstance(t, Mapping))


def _transform(t: Mapping[str, object]) -> str:
    kind = str(t.get("type", "?"))
    column, columns = t.get("column_id"), _names(t.get("column_ids"))
    if kind == "filter_rows":
        keep = "keep" if t.get("operation") != "remove_rows" else "remove"
        return f"filter: {keep} {_condition(t.get('where'))}"
    if kind == "sort_column":
        return f"sort {column} {_SORT[bool(t.get('ascending', True))]}"
    if kind == "rename_column":
        return f"rename {column} → {t.get('new_column_id')}"
    if kind == "select_columns":
        return f"select {columns}"
    if kind == "column_conversion":
        return f"convert {column} to {t.get('data_type')}"
    if kind == "group_by":
        what = _names(t.get("aggregation_column_ids")) or "all"
        return f"group by {columns}: {t.get('aggregation')} of {what}"
    if kind == "aggregate":
        return f"aggregate {columns}: {_names(t.get('aggregations'))}"
    if kind == "sample_rows":
        return f"sample {t.get('n')} rows"
    if kind == "shuffle_rows":
        return "shuffle rows"
    if kind == "unique":
        return f"unique {columns} (keep {t.get('keep')})"
    if kind == "pivot":
        return f"pivot {columns} by {_names(t.get('index_column_ids'))}"
    if kind in ("explode_columns", "expand_dict"):
        return f"{kind.replace('_', ' ')} {columns or column}"
    return kind.replace("_", " ")


def _condition(node: object) -> str:
    if not isinstance(node, Mapping):
        return "?"
    if node.get("type") == "group":
        children = node.get("children")
        parts = [_condition(c) for c in children] if isinstance(children, list) else []
        joined = f" {node.get('operator', 'and')} ".join(parts) or "(nothing)"
        text = f"({joined})" if len(parts) > 1 else joined
    else:
        value = node.get("value")
        if isinstance(value, Mapping) and {"min", "max"} <= set(value):
            shown = f" {_plain(value['min'])}–{_plain(value['max'])}"
        elif isinstance(value, list):
            shown = f" [{', '.join(_plain(v) for v in value)}]"
        else:
            shown = "" if value is None else f" {_plain(value)}"
        text = f"{node.get('column_id')} {str(node.get('operator', '?')).replace('_', ' ')}{shown}"
    return f"not {text}" if node.get("negate") else text


def _names(value: object) -> str:
    return ", ".join(_plain(v) for v in value) if isinstance(value, list) else ""


# -- drawing --------------------------------------------------------------------------------------
def _track(attrs: Mapping[str, object], low: object, high: object) -> str:
    start, stop = attrs.get("start"), attrs.get("stop")
    if not all(isinstance(v, int | float) for v in (start, stop, low, high)):
        return "━" * SLIDER_CELLS
    span = float(stop) - float(start) or 1.0  # type: ignore[arg-type]

    def cell(v: object) -> int:
        at = round((float(v) - float(start)) / span * (SLIDER_CELLS - 1))  # type: ignore[arg-type]
        return min(max(at, 0), SLIDER_CELLS - 1)  # a value set out of range

    a, b = cell(low), cell(high)
    if low is high or low == high:
        chars = ["━" if i < b else "─" for i in range(SLIDER_CELLS)]
    else:
        chars = ["─" if i < a else "━" if i <= b else "─" for i in range(SLIDER_CELLS)]
        chars[a] = "●"
    chars[b] = "●"
    return "".join(chars)


def _options(value: object) -> list[str]:
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return []


def _plain(value: object) -> str:
    return scalar_text(value)
