"""`SteadyScrollBar` draws what Textual's own scrollbar draws, and skips the redraw only when
the bar would look the same."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from marimo_tui.tui.widgets.steady_scrollbar import SteadyScrollBar, SteadyScrollbars


class Steady(SteadyScrollbars, ScrollView):
    def render_line(self, y: int) -> Strip:
        return Strip.blank(self.size.width)


class Plain(ScrollView):
    def render_line(self, y: int) -> Strip:
        return Strip.blank(self.size.width)


class Pair(App[None]):
    CSS = "Steady, Plain { height: 1fr; width: 1fr; }"

    def compose(self) -> ComposeResult:
        yield Steady()
        yield Plain()


def drawn(bar: ScrollBar) -> list[Strip]:
    return bar.render_lines(Region(0, 0, *bar.size))


def texts(lines: list[Strip]) -> list[list[tuple[str, object]]]:
    return [[(s.text, s.style) for s in line] for line in lines]


async def test_draws_as_textual_does_and_again_only_when_the_thumb_moves() -> None:
    app = Pair()
    async with app.run_test(size=(40, 40)) as pilot:
        steady, plain = app.query_one(Steady), app.query_one(Plain)

        async def both(size: Size, y: int) -> tuple[list[Strip], list[Strip]]:
            for view in (steady, plain):
                view.virtual_size = size
            await pilot.pause()
            for view in (steady, plain):
                view.scroll_to(y=y, animate=False, immediate=True)
            await pilot.pause()
            return drawn(steady.vertical_scrollbar), drawn(plain.vertical_scrollbar)

        bar = steady.vertical_scrollbar
        assert isinstance(bar, SteadyScrollBar)
        assert isinstance(steady.horizontal_scrollbar, SteadyScrollBar)

        first, expected = await both(Size(10, 4000), 0)
        assert bar.size.height == 20  # Textual's layout shows it: ScrollView's CSS is kept
        assert texts(first) == texts(expected)
        # One row more over 4000: the thumb does not move, the rows are the same objects.
        again, expected = await both(Size(10, 4001), 0)
        assert texts(again) == texts(expected)
        assert all(a is b for a, b in zip(again, first, strict=True))
        # Scrolled: the thumb moves, the bar is drawn again, as Textual draws it.
        moved, expected = await both(Size(10, 4001), 2000)
        assert texts(moved) == texts(expected)
        assert texts(moved) != texts(first)
        # Content that fits: no thumb; then a theme with other colours.
        fits, expected = await both(Size(10, 21), 0)
        assert texts(fits) == texts(expected)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        themed, expected = drawn(bar), drawn(plain.vertical_scrollbar)
        assert texts(themed) == texts(expected)
        assert texts(themed) != texts(fits)
