"""A log that follows its end while the reader is there, and keeps still once they scroll up.

Textual's `RichLog` jumps to the end on every write, wherever the reader was, and has no keys of
its own for scrolling. Here the keys scroll it, `End` goes to the last line and follows again,
and a write only scrolls when the reader was at the end before it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import RichLog


class FollowLog(RichLog):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "follow", "End", show=False),
    ]

    def __init__(self, *, id: str | None = None, wrap: bool = False, max_lines: int = 5000) -> None:
        super().__init__(id=id, wrap=wrap, max_lines=max_lines, auto_scroll=False)
        self.following = True

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Lines arriving grow max_scroll_y without moving scroll_y: only the reader's own
        # scrolling (or the follow below) gets here, so this says where the reader is.
        self.following = new_value >= self.max_scroll_y

    def add(self, content: object) -> None:
        """Write one line (or renderable); scroll to it when following."""
        self.write(content, scroll_end=self.following)

    def action_follow(self) -> None:
        self.following = True
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def action_scroll_home(self) -> None:
        self.following = False
        self.scroll_home(animate=False, immediate=True)
