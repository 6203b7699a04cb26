"""Workbench events delivered to the panes as Textual messages.

The workbench (core, no textual) publishes plain events; the app turns each into the message
class below and posts it to every pane with a handler for it (`on_workbench_<event>`), so a
pane says what it follows by the handlers it has, and the app holds no `isinstance` chain.
A message is handled in the pane's own queue, in order, and a handler's failure is one notice
(`shows_errors`), never the end of the app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from textual.message import Message
from textual.message_pump import MessagePump

from marimo_tui import events as ev

E = TypeVar("E")


class Delivered(Message, Generic[E], bubble=False):
    """One workbench event for one pane. `current`: the event is about the open notebook."""

    def __init__(self, event: E, current: bool) -> None:
        super().__init__()
        self.event = event
        self.current = current


class NotebookLoaded(Delivered[ev.NotebookLoaded], namespace="workbench", bubble=False):
    pass


class NotebookBroken(Delivered[ev.NotebookBroken], namespace="workbench", bubble=False):
    pass


class NotebookRemoved(Delivered[ev.NotebookRemoved], namespace="workbench", bubble=False):
    pass


class NotebooksListed(Delivered[ev.NotebooksListed], namespace="workbench", bubble=False):
    pass


class TaskChanged(Delivered[ev.TaskChanged], namespace="workbench", bubble=False):
    pass


class ServiceState(Delivered[ev.ServiceState], namespace="workbench", bubble=False):
    pass


class KernelChanged(Delivered[ev.KernelChanged], namespace="workbench", bubble=False):
    """One or more changes of the same kernel: a rerun of many cells sends hundreds, and
    those that arrive before the pane got to the message ride along (`cell_ids`, in order)
    instead of each being a message of its own."""

    def __init__(self, event: ev.KernelChanged, current: bool) -> None:
        super().__init__(event, current)
        self.cell_ids: list[str | None] = [event.cell_id]
        self.taken = False  # the pane began handling it: no more ride along

    def joins(self, event: ev.KernelChanged, current: bool) -> bool:
        if self.taken or current != self.current or event.kernel is not self.event.kernel:
            return False
        if event.path != self.event.path:
            return False
        self.cell_ids.append(event.cell_id)
        return True


class Notice(Delivered[ev.Notice], namespace="workbench", bubble=False):
    pass


MESSAGE_OF: dict[type[Any], type[Delivered[Any]]] = {
    ev.NotebookLoaded: NotebookLoaded,
    ev.NotebookBroken: NotebookBroken,
    ev.NotebookRemoved: NotebookRemoved,
    ev.NotebooksListed: NotebooksListed,
    ev.TaskChanged: TaskChanged,
    ev.ServiceState: ServiceState,
    ev.KernelChanged: KernelChanged,
    ev.Notice: Notice,
}


def deliver(event: ev.Event, current: Path | None, panes: Iterable[MessagePump]) -> int:
    """Post `event` to each pane that handles it; how many did."""
    kind = MESSAGE_OF[type(event)]
    about = getattr(event, "path", None)
    is_current = about is not None and about == current
    posted = 0
    for pane in panes:
        if not hasattr(pane, kind.handler_name):
            continue
        if isinstance(event, ev.KernelChanged):
            waiting = _waiting.get(pane)
            if waiting is not None and waiting.joins(event, is_current):
                continue
            joined = _waiting[pane] = KernelChanged(event, is_current)
            message: Delivered[Any] = joined
        else:
            message = kind(event, is_current)
        pane.post_message(message)
        posted += 1
    return posted


# The kernel message each pane has not taken yet: later changes join it.
_waiting: WeakKeyDictionary[MessagePump, KernelChanged] = WeakKeyDictionary()


H = TypeVar("H", bound=Callable[..., None])


def shows_errors(handler: H) -> H:
    """A view's bug is one notice, never the end of the workbench."""

    @functools.wraps(handler)
    def guarded(self: MessagePump, message: Delivered[Any]) -> None:
        try:
            handler(self, message)
        except Exception as exc:
            self.log.error(f"{type(message).__name__} {message.event!r} failed: {exc!r}")
            self.app.notify(f"display error: {type(exc).__name__}: {exc}", severity="error")

    return guarded  # type: ignore[return-value]
