"""The launch dialog of the runs pane: what to launch (asset keys, or `job NAME`), a partition
picked from Dagster's keys (searchable; an end key makes it a backfill), the run config as YAML
prefilled with Dagster's defaults for the selection, and tags.

The dialog only edits a `LaunchRequest`; `load` tells it what Dagster has for a target and
`submit` sends the request (both given by the Dagster flow), so an error Dagster names stays in
the dialog beside the field to fix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from marimo_tui.dagster.launch_request import (
    LaunchRequest,
    RequestError,
    config_from_yaml,
    parse_tags,
)
from marimo_tui.dagster.model import key_path
from marimo_tui.safe_text import one_line, visible
from marimo_tui.tui.screens.dialogs import DialogScreen

PICKER_ROWS = 200  # keys listed at once; the search narrows the rest


@dataclass(frozen=True)
class LaunchChoices:
    """What Dagster has for a target: its partition keys (none: not partitioned) and its
    default run config; `error` when the target is not launchable as typed."""

    partitions: tuple[str, ...] = ()
    default_config: str = ""
    error: str = ""


Load = Callable[[LaunchRequest], Awaitable[LaunchChoices]]
Submit = Callable[[LaunchRequest], Awaitable[str | None]]  # None: launched; else the error


def parse_target(text: str) -> tuple[tuple[tuple[str, ...], ...], str | None]:
    """`daily`, `pair/left, pair/right` (one run) or `job greet_job`."""
    text = text.strip()
    for prefix in ("job ", "job:"):
        if text.startswith(prefix) and text[len(prefix) :].strip():
            return (), text[len(prefix) :].strip()
    keys = tuple(key_path(part) for part in text.split(",") if part.strip())
    if not keys:
        raise RequestError("name an asset (keys separated by commas) or `job NAME`")
    return keys, None


class LaunchDialog(DialogScreen[bool]):
    """Dismissed with True once launched, False when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "Cancel"),
        Binding("ctrl+l", "launch", "Launch", priority=True),
    ]
    DEFAULT_CSS = """
    LaunchDialog .dialog { width: 90%; max-width: 120; }
    LaunchDialog .row { height: auto; }
    LaunchDialog .row Input { width: 1fr; }
    LaunchDialog .field { margin-top: 1; color: $text-muted; }
    LaunchDialog #partitions { height: 8; }
    LaunchDialog #run-config { height: 10; }
    LaunchDialog #launch-error { color: $error; height: auto; }
    """

    def __init__(self, target: str, load: Load, submit: Submit) -> None:
        super().__init__()
        self.target_text = target
        self._load = load
        self._submit = submit
        self.choices = LaunchChoices()
        self.loads = 0  # answers from `load` shown so far
        self._picking = "partition"  # the partition input the picker fills
        self._loaded_for: str | None = None
        self._listed: list[str] = []  # the partition keys the picker shows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Launch in Dagster", classes="title")
            yield Label("assets (a, b/c: one run) or `job NAME`; Enter reads them", classes="field")
            yield Input(visible(self.target_text), id="launch-target")
            yield Label("partition · to (a range is a backfill) · type to search", classes="field")
            with Horizontal(classes="row"):
                yield Input(placeholder="partition", id="partition")
                yield Input(placeholder="to (optional)", id="partition-end")
            yield OptionList(id="partitions")
            yield Label("run config (YAML)", classes="field")
            yield TextArea("", id="run-config")
            yield Label("tags: key=value, …", classes="field")
            yield Input(placeholder="e.g. team=data", id="tags")
            yield Static("", id="launch-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Launch (ctrl+l)", id="launch", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#partitions", OptionList).display = False
        self.query_one("#launch-target", Input).focus()
        if self.target_text.strip():
            self.reload()

    # -- what Dagster has for the target -------------------------------------------------------
    def reload(self) -> None:
        target = self.query_one("#launch-target", Input).value
        self._loaded_for = target
        try:
            keys, job = parse_target(target)
            probe = LaunchRequest(assets=keys, job=job)
        except RequestError as exc:
            self.show_error(str(exc))
            return
        self._fetch(probe)

    @work(exclusive=True, group="launch-choices")
    async def _fetch(self, probe: LaunchRequest) -> None:
        try:
            choices = await self._load(probe)
        except Exception as exc:  # shown in the dialog: a worker's error would end the app
            choices = LaunchChoices(error=f"{type(exc).__name__}: {exc}")
        self.choices = choices
        self.show_error(choices.error)
        editor = self.query_one("#run-config", TextArea)
        editor.load_text(visible(choices.default_config))
        picker = self.query_one("#partitions", OptionList)
        picker.display = bool(choices.partitions)
        for field_id in ("#partition", "#partition-end"):
            field = self.query_one(field_id, Input)
            field.disabled = not choices.partitions
            if not choices.partitions:
                field.value = ""  # a key of the last target means nothing to this one
        self._filter("")
        self.loads += 1

    def _filter(self, text: str) -> None:
        picker = self.query_one("#partitions", OptionList)
        needle = text.strip().lower()
        keys = [k for k in self.choices.partitions if needle in k.lower()][:PICKER_ROWS]
        picker.clear_options()
        # Keys come from the project: shown as text (never markup, no control character),
        # and picked by position, so the field gets the key itself, not how it is shown.
        picker.add_options([Option(Text(visible(k)), id=str(i)) for i, k in enumerate(keys)])
        self._listed = keys

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("partition", "partition-end"):
            self._picking = event.input.id
            self._filter(event.value)

    def on_descendant_focus(self, event: object) -> None:
        focused = self.focused
        if isinstance(focused, Input) and focused.id in ("partition", "partition-end"):
            self._picking = focused.id
            self._filter(focused.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "launch-target":
            self.reload()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        field = self.query_one(f"#{self._picking}", Input)
        field.value = self._listed[int(event.option.id or 0)]
        field.focus()

    # -- launching ---------------------------------------------------------------------------
    def request(self) -> LaunchRequest:
        """The form as a request; RequestError names the field that is wrong."""
        keys, job = parse_target(self.query_one("#launch-target", Input).value)
        start = self.query_one("#partition", Input).value.strip()
        end = self.query_one("#partition-end", Input).value.strip()
        if end and not start:
            raise RequestError("a range needs its first partition too")
        text = self.query_one("#run-config", TextArea).text
        config = config_from_yaml(text, "run config") if text.strip() else {}
        tags_text = self.query_one("#tags", Input).value
        tags = parse_tags(t.strip() for t in tags_text.split(",") if t.strip())
        return LaunchRequest(
            assets=keys,
            job=job,
            partition=start if start and not end else None,
            partition_range=(start, end) if start and end else None,
            run_config=config,
            tags=tags,
        )

    def show_error(self, text: str) -> None:
        # Dagster's config errors are one line each: keep the lines.
        shown = "\n".join(one_line(line) for line in text.splitlines())
        self.query_one("#launch-error", Static).update(visible(shown))

    def action_launch(self) -> None:
        try:
            request = self.request()
        except RequestError as exc:
            self.show_error(str(exc))
            return
        self.show_error("")
        self._send(request)

    @work(exclusive=True, group="launch-send")
    async def _send(self, request: LaunchRequest) -> None:
        button = self.query_one("#launch", Button)
        button.disabled = True
        try:
            error = await self._submit(request)
        except Exception as exc:  # shown in the dialog: a worker's error would end the app
            error = f"{type(exc).__name__}: {exc}"
        finally:
            button.disabled = False
        if error:
            self.show_error(error)
        else:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "launch":
            self.action_launch()
        else:
            self.dismiss(False)
