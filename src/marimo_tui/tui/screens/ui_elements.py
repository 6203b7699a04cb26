"""Use a cell's marimo UI elements from the keyboard, and answer a cell's `input()`.

One row per element, each with the Textual control that fits it (Input, Checkbox, Switch,
Select, SelectionList, Button) — Textual has no slider, so a slider is a bar moved with ←/→.
A change goes to the kernel as the browser sends it (`runtime/widgets` has the wire values);
marimo reruns the cells that read the element. All notebook text here is plain `Content`
(made safe with `safe_text`), never markup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    Switch,
    TextArea,
)
from textual.widgets.selection_list import Selection

from marimo_tui.runtime import widget_text as words
from marimo_tui.runtime import widgets as ui
from marimo_tui.runtime.output_blocks import Widget as Element
from marimo_tui.safe_text import one_line, visible
from marimo_tui.tui.screens.dialogs import DialogScreen

Send = Callable[[str, object], Awaitable[None]]


def plain(text: object) -> Content:
    """Notebook text as one line of plain text: no markup, no control characters."""
    return Content(one_line(str(text)))


class Slider(Widget, can_focus=True):
    """start ├───●───┤ stop  value — ←/→ a step, shift+←/→ ten, Home/End the ends."""

    DEFAULT_CSS = """
    Slider { height: 1; width: 1fr; }
    Slider:focus { background: $accent 20%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1)", "Less", show=False),
        Binding("right,l", "move(1)", "More", show=False),
        Binding("shift+left,H", "move(-10)", "Much less", show=False),
        Binding("shift+right,L", "move(10)", "Much more", show=False),
        Binding("home", "move(-1000000)", "Start", show=False),
        Binding("end", "move(1000000)", "End", show=False),
    ]
    element: reactive[Element | None] = reactive(None)

    class Moved(Message):
        def __init__(self, slider: Slider, value: object) -> None:
            super().__init__()
            self.slider = slider
            self.value = value

        @property
        def control(self) -> Slider:
            return self.slider

    def __init__(self, element: Element, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(Slider.element, element)

    def action_move(self, steps: int) -> None:
        element = self.element
        if element is None:
            return
        value = ui.step(element, steps)
        if value != element.value:
            self.element = ui.with_value(element, value)
            self.post_message(self.Moved(self, value))

    def render(self) -> Content:
        element = self.element
        if element is None:
            return Content("")
        start, stop = element.attrs.get("start"), element.attrs.get("stop")
        value = element.value
        shown = one_line(words.value_text(element))
        width = max(4, self.size.width - len(shown) - 2)
        where = 0.0
        if all(isinstance(x, int | float) for x in (start, stop, value)) and stop != start:
            where = (float(value) - float(start)) / (float(stop) - float(start))  # type: ignore[arg-type]
        knob = round(max(0.0, min(1.0, where)) * (width - 1))
        bar = "─" * knob + "●" + "─" * (width - 1 - knob)
        return Content(f"{bar}  {shown}")


class SteppedInput(Input):
    """A typed value (number, date) that ↑/↓ also step; Enter sends what was typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "step(1)", "Up", show=False),
        Binding("down", "step(-1)", "Down", show=False),
    ]

    class Stepped(Message):
        def __init__(self, field: SteppedInput, steps: int) -> None:
            super().__init__()
            self.field = field
            self.steps = steps

        @property
        def control(self) -> SteppedInput:
            return self.field

    def action_step(self, steps: int) -> None:
        self.post_message(self.Stepped(self, steps))


class ElementRow(Vertical):
    """One element: its label and value, and the control that changes it. In a form, changes
    stay a draft here until Submit sends them through the form."""

    DEFAULT_CSS = """
    ElementRow { height: auto; margin-bottom: 1; }
    ElementRow .name { color: $text-muted; }
    ElementRow TextArea { height: 6; }
    """

    def __init__(self, element: Element) -> None:
        super().__init__()
        self.element = element
        self.edited = element.inner if element.inner is not None else element

    def compose(self) -> ComposeResult:
        yield Label(self._summary(), classes="name", markup=False)
        yield from self._controls(self.edited)
        if self.element.kind == "form":
            label = self.element.attrs.get("submit-button-label") or "Submit"
            yield Button(plain(label), id="submit", variant="primary")

    def _summary(self) -> Content:
        return plain(words.describe(ui.with_value(self.element, self.edited.value)))

    def show(self, value: object) -> None:
        self.edited = ui.with_value(self.edited, value)
        if self.element.inner is None:
            self.element = self.edited
        self.query_one(".name", Label).update(self._summary())

    def _controls(self, element: Element) -> ComposeResult:
        kind, value = element.kind, element.value
        if element.attrs.get("disabled") is True:
            yield Static(plain(f"({kind}: disabled in the notebook)"))
        elif kind == "slider":
            yield Slider(element)
        elif kind in ("number", "date"):
            yield SteppedInput("" if value is None else str(value))
        elif kind == "text-area":  # several lines: Tab leaves the area, Send sends it
            yield TextArea(visible(str(value or ""), keep="\n"), soft_wrap=True)
            yield Button("Send", id="send-text")
        elif kind == "text":
            yield Input(visible(str(value or ""), keep=""))
        elif kind in words.RANGES:  # typed as `start – end`; Enter sends both ends
            yield Input(visible(ui.range_text(element), keep=""))
        elif kind == "checkbox":
            yield Checkbox(plain(element.label or "on"), bool(value))
        elif kind == "switch":
            yield Switch(bool(value))
        elif kind in words.CHOICE:
            chosen = ui.selected_labels(element)
            allow_blank = kind == "radio" or element.attrs.get("allow-select-none") is not False
            yield Select(
                [(plain(o), o) for o in ui.options(element)],
                value=chosen[0] if chosen else Select.BLANK,
                allow_blank=allow_blank or not chosen,
            )
        elif kind == "multiselect":
            picked = set(ui.selected_labels(element))
            yield SelectionList[str](
                *(Selection(plain(o), o, o in picked) for o in ui.options(element))
            )
        elif kind in words.PRESS:
            yield Button(plain(element.label or "Run"), id="press")
        elif kind == "table" and element.attrs.get("selection") in ("single", "multi"):
            table = ui.table_of(element)
            chosen_rows = set(value) if isinstance(value, list) else set()
            rows = [
                Selection(plain(f"{i}: " + "  ".join(row)), i, i in chosen_rows)
                for i, row in enumerate(table.rows)
            ]
            yield SelectionList[int](*rows, id="rows")
        else:
            yield Static(plain(f"({kind}: not changed from the terminal)"))


class Rows(VerticalScroll, can_focus=False):
    """Scrolls with the focused control: Tab goes from control to control, not to the list."""


class ElementsScreen(DialogScreen[None]):
    """The UI elements of one cell; Esc closes, Tab moves between them."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close")]
    DEFAULT_CSS = """
    ElementsScreen .dialog { max-width: 100; }
    ElementsScreen Rows { height: auto; max-height: 30; }
    ElementsScreen .hint { color: $text-muted; }
    """

    def __init__(self, title: str, elements: tuple[Element, ...], send: Send) -> None:
        super().__init__()
        self.title_text = title
        self.elements = elements
        self.send = send

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="title", markup=False)
            with Rows():
                for element in self.elements:
                    yield ElementRow(element)
            yield Label(
                "Tab next · ←/→ slider · ↑/↓ number, date · ranges: start – end · space toggle"
                " · Enter send · Esc close",
                classes="hint",
                markup=False,
            )

    def _row(self, control: Widget) -> ElementRow | None:
        for node in control.ancestors_with_self:
            if isinstance(node, ElementRow):
                return node
        return None

    def _commit(self, control: Widget, make: Callable[[Element], object]) -> None:
        row = self._row(control)
        if row is None:
            return
        try:
            value = make(row.edited)
        except ValueError as exc:
            self.notify(one_line(str(exc)), severity="warning", markup=False)
            return
        if value == row.edited.value and row.edited.kind not in words.PRESS:
            return  # a control reporting the value it was made with
        row.show(value)
        if row.element.inner is None:
            self._send(row.element.object_id, value)

    def _send(self, object_id: str, value: object) -> None:
        self.run_worker(self.send(object_id, value), group=f"ui-{object_id}")

    @on(Slider.Moved)
    def _slider(self, event: Slider.Moved) -> None:
        self._commit(event.control, lambda _: event.value)

    @on(SteppedInput.Stepped)
    def _stepped(self, event: SteppedInput.Stepped) -> None:
        field = event.field
        row = self._row(field)
        if row is not None:
            self._commit(field, lambda e: ui.step(e, event.steps))
            field.value = "" if row.edited.value is None else str(row.edited.value)

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self._commit(event.input, lambda e: ui.from_text(e, event.value))
        row = self._row(event.input)
        if row is not None and row.element.inner is not None and row.edited.value is not None:
            self._submit(row)  # Enter in a form's field submits it, as in the browser

    @on(Checkbox.Changed)
    @on(Switch.Changed)
    def _toggled(self, event: Checkbox.Changed | Switch.Changed) -> None:
        self._commit(event.control, lambda _: bool(event.value))

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        label = None if event.value is Select.BLANK else str(event.value)
        self._commit(event.control, lambda e: ui.choose(e, label))

    @on(SelectionList.SelectedChanged)
    def _picked(self, event: SelectionList.SelectedChanged[object]) -> None:
        chosen = list(event.selection_list.selected)
        if event.selection_list.id == "rows":
            rows = [int(str(i)) for i in chosen]
            row = self._row(event.control)
            if row is not None and row.edited.attrs.get("selection") == "single" and len(rows) > 1:
                # One row at a time: the row just picked replaces the one picked before.
                before = row.edited.value if isinstance(row.edited.value, list) else []
                rows = [r for r in rows if r not in before][:1] or rows[:1]
                with event.selection_list.prevent(SelectionList.SelectedChanged):
                    event.selection_list.deselect_all()
                    event.selection_list.select(rows[0])
            self._commit(event.control, lambda e: ui.select_rows(e, rows))
        else:
            self._commit(event.control, lambda e: ui.pick_many(e, [str(c) for c in chosen]))

    @on(Button.Pressed, "#press")
    def _pressed(self, event: Button.Pressed) -> None:
        self._commit(event.button, ui.press)

    @on(Button.Pressed, "#send-text")
    def _sent_text(self, event: Button.Pressed) -> None:
        row = self._row(event.button)
        if row is not None:
            text = row.query_one(TextArea).text
            self._commit(event.button, lambda e: ui.from_text(e, text))
            if row.element.inner is not None:
                self._submit(row)

    @on(Button.Pressed, "#submit")
    def _submitted(self, event: Button.Pressed) -> None:
        row = self._row(event.button)
        if row is None:
            return
        # What is typed but not yet entered counts, as in the browser's form.
        typed, area = row.query(Input), row.query(TextArea)
        if typed and row.edited.kind == "text":
            row.show(typed.first().value)
        elif area and row.edited.kind == "text-area":
            row.show(area.first().text)
        self._submit(row)

    def _submit(self, row: ElementRow) -> None:
        self._send(row.element.object_id, row.edited.value)


class StdinScreen(DialogScreen[str | None]):
    """A cell waits in `input()`: its prompt, and one line to send (Esc leaves it waiting)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Later")]

    def __init__(self, title: str, prompt: str, *, password: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.password = password

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="title", markup=False)
            yield Label(Content(visible(self.prompt.rstrip("\n"))), markup=False)
            yield Input(password=self.password, id="line")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)
