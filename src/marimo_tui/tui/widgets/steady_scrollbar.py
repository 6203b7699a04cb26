"""Scrollbars that draw again only when what they show changed.

Textual redraws a scrollbar whenever its view's virtual size changes, row by row through the
styles pipeline. The cell view's virtual size changes with nearly every edit (a cell one line
longer), yet over thousands of rows the thumb does not move: that redraw was 3-10 ms of each
edit's frame on a 50-row pane. `SteadyScrollBar` works out the bar's segments (cheap: one
segment a row) and hands back its last rows when they are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widget import Widget

    _Scrolling = Widget
else:
    # Not a DOMNode at run time: Textual takes a widget's default CSS (here `ScrollView`'s
    # overflow) along the first DOMNode base only, so a Widget mixin first would drop it.
    _Scrolling = object


class SteadyScrollBar(ScrollBar):
    def __init__(self, vertical: bool = True, name: str | None = None, *, thickness: int = 1):
        super().__init__(vertical, name, thickness=thickness)
        self._drawn: tuple[object, list[Strip]] | None = None

    def _drawing(self, crop: Region) -> object | None:
        """What the rows in `crop` will show, as a comparable value (None: not known)."""
        bar = self.render()
        if not isinstance(bar, ScrollBarRender):
            return None
        width, height = self.size
        style = bar.style
        if isinstance(style, str):
            return None
        segments = bar.render_bar(
            size=height if bar.vertical else width,
            virtual_size=bar.virtual_size,
            window_size=bar.window_size,
            position=bar.position,
            thickness=width if bar.vertical else height,
            vertical=bar.vertical,
            **({"back_color": style.bgcolor} if style.bgcolor else {}),
            **({"bar_color": style.color} if style.color else {}),
        )
        return (crop, self.size, tuple(segments.segments))

    def render_lines(self, crop: Region) -> list[Strip]:
        drawing = self._drawing(crop)
        if drawing is not None and self._drawn is not None and self._drawn[0] == drawing:
            return list(self._drawn[1])
        lines = super().render_lines(crop)
        self._drawn = None if drawing is None else (drawing, lines)
        return lines

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn = None


class SteadyScrollbars(_Scrolling):
    """A mixin, listed before the widget's class, whose scrollbars are `SteadyScrollBar`s.
    It makes them as `Widget` makes its own: on first use, hidden until the layout shows
    them."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = self._steady_bar(True, self.scrollbar_size_vertical)
            self.app._start_widget(self, self._vertical_scrollbar)
        return self._vertical_scrollbar

    @property
    def horizontal_scrollbar(self) -> ScrollBar:
        if self._horizontal_scrollbar is None:
            self._horizontal_scrollbar = self._steady_bar(False, self.scrollbar_size_horizontal)
            self.app._start_widget(self, self._horizontal_scrollbar)
        return self._horizontal_scrollbar

    @staticmethod
    def _steady_bar(vertical: bool, thickness: int) -> SteadyScrollBar:
        name = "vertical" if vertical else "horizontal"
        bar = SteadyScrollBar(vertical, name, thickness=thickness)
        bar.display = False
        return bar
