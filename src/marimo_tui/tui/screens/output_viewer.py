"""`v`: one cell's whole output, scrollable, with its console below.

Images use textual-image's widget (sixel or kitty graphics) when `images.prepare_images`
chose one before the app started (see `tui/images.py`); otherwise half blocks, as in the
cell view. A chart with no picture yet (vega-lite, plotly, SVG) shows its half blocks first;
with such graphics, its PNG is drawn off the UI thread and replaces them. Tables keep every
column at its natural width and the body scrolls sideways (left/right, shift+wheel);
accordions are open; the cell's tab choices are kept.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Mapping

from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label

from marimo_tui.runtime.outputs import Output
from marimo_tui.safe_text import one_line
from marimo_tui.tui import images
from marimo_tui.tui.widgets.output_render import (
    OutputStyles,
    render_output_lines,
    text_strips,
)

GRAPHICS_WIDTH_PX = 1200  # a chart drawn for sixel/kitty: textual-image scales it to the pane


class StripLines(Widget):
    """Lines rendered for the container's width on demand; only visible lines are drawn.
    A line may be wider than the container (a wide table): the widget is then as wide as
    its widest line, for the container to scroll sideways."""

    DEFAULT_CSS = "StripLines { height: auto; width: auto; min-width: 100%; }"

    def __init__(self, render: Callable[[int], list[Strip]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._make_lines = render
        self._width = -1
        self._strips: list[Strip] = []

    def strips(self, width: int) -> list[Strip]:
        if width != self._width:
            self._strips = self._make_lines(max(1, width))
            self._width = width
        return self._strips

    def forget(self) -> None:
        """Make the lines again (what they show changed: a tab, a picture now drawn)."""
        self._width = -1
        self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        lines = self.strips(container.width)
        return max([container.width, *(s.cell_length for s in lines)])

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.strips(self._width if self._width > 0 else width))

    def render_line(self, y: int) -> Strip:
        strips = self.strips(self._width if self._width > 0 else self.size.width)
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width)


class OutputScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    OutputScreen { align: center middle; }
    OutputScreen > #output-frame {
        width: 96%; height: 94%; border: round $accent; background: $panel;
    }
    OutputScreen #output-title { text-style: bold; padding: 0 1; width: 1fr; }
    OutputScreen #output-body { height: 1fr; padding: 0 1; overflow-x: auto; overflow-y: auto; }
    OutputScreen #output-hint { color: $text-muted; padding: 0 1; }
    OutputScreen .section { color: $text-muted; text-style: bold; margin-top: 1; }
    OutputScreen #output-image { width: auto; height: auto; }
    OutputScreen > .output-screen--dim { color: $text-muted; }
    OutputScreen > .output-screen--error { color: $error; }
    OutputScreen > .output-screen--error-line { color: $error; text-style: bold reverse; }
    OutputScreen > .output-screen--heading { color: $accent; text-style: bold; }
    OutputScreen > .output-screen--header { color: $accent; text-style: bold; }
    """
    COMPONENT_CLASSES = {
        "output-screen--dim",
        "output-screen--error",
        "output-screen--error-line",
        "output-screen--heading",
        "output-screen--header",
    }
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="close_output"),
        Binding("home,g", "jump('home')", "Top", show=False, id="output_top"),
        Binding("end,G", "jump('end')", "Bottom", show=False, id="output_bottom"),
        Binding("c", "copy", "Copy text", id="copy_output"),
        Binding("right_square_bracket", "next_tab", "Next tab", show=False, id="output_tab"),
    ]

    def __init__(
        self,
        title: str,
        output: Output,
        console: str,
        code: str = "",
        *,
        cell_names: Mapping[str, str] | None = None,
        tabs: Mapping[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.cell_names = dict(cell_names or {})
        self.tabs = dict(tabs or {})
        self.title_text = title
        self.output = output
        self.console = console
        self.code = code
        self._styles: OutputStyles | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="output-frame"):
            title = one_line(f"{self.title_text} · {self.output.kind}")
            yield Label(title, id="output-title", markup=False)
            with ScrollableContainer(id="output-body"):
                if self.output.kind != "empty":
                    yield self._output_widget()
                if self.console:
                    yield Label("console", classes="section")
                    yield StripLines(self._console_lines, id="output-console")
            yield Label("esc close · c copy text · g/G top/bottom", id="output-hint")

    def on_mount(self) -> None:
        self.query_one("#output-body", ScrollableContainer).focus()
        chart = self.output.chart
        drawn = chart is not None and isinstance(chart.data, bytes)
        if chart is not None and not drawn and self._graphics() is not None:
            self.run_worker(self._show_chart_graphics(), exclusive=True)

    def _output_widget(self) -> Widget:
        chart = self.output.chart
        image = chart.data if chart is not None else self.output.image
        if isinstance(image, bytes):  # an image, or a chart that is one (matplotlib)
            widget = self._graphics_widget(image)
            if widget is not None:
                return widget
        return StripLines(self._output_lines, id="output-content")

    @staticmethod
    def _graphics() -> Callable[..., Widget] | None:
        """textual-image's widget class, when sixel/kitty graphics were chosen at start."""
        module = sys.modules.get(images.WIDGET_MODULE)
        if module is None or images.widget_class is None:
            return None
        factory: Callable[..., Widget] = getattr(module, images.widget_class)
        return factory

    def _graphics_widget(self, image: bytes) -> Widget | None:
        factory = self._graphics()
        if factory is None:
            return None
        try:
            return factory(io.BytesIO(image), id="output-image")
        except Exception:  # not an image Pillow can read: half blocks say so
            return None

    async def _show_chart_graphics(self) -> None:
        import asyncio

        from marimo_tui.runtime.charts import picture
        from marimo_tui.runtime.output_text import chart_caption

        chart = self.output.chart
        if chart is None:
            return
        png = await asyncio.to_thread(picture, chart, GRAPHICS_WIDTH_PX, None)
        widget = self._graphics_widget(png) if png is not None else None
        if widget is None:
            return
        body = self.query_one("#output-body", ScrollableContainer)
        await self.query_one("#output-content").remove()
        head = Label(one_line(chart_caption(chart)), id="output-caption", markup=False)
        await body.mount_all([head, widget], before=0)

    def _output_lines(self, width: int) -> list[Strip]:
        image_rows = max(16, self.app.size.height - 8)
        return render_output_lines(
            self.output,
            width,
            self.styles_for_output(),
            code=self.code,
            max_image_rows=image_rows,
            max_lines=None,
            max_table_rows=None,
            cell_names=self.cell_names,
            tabs=self.tabs,
            on_ready=self._picture_ready,
            wide_tables=True,
            expand_all=True,
        )

    def _picture_ready(self) -> None:
        for lines in self.query("#output-content").results(StripLines):
            lines.forget()

    def _console_lines(self, width: int) -> list[Strip]:
        return text_strips(self.console.rstrip("\n"), width, Style(), max_lines=None)

    def styles_for_output(self) -> OutputStyles:
        if self._styles is None:
            self._styles = OutputStyles.from_widget(self, "output-screen")
        return self._styles

    def action_jump(self, where: str) -> None:
        body = self.query_one("#output-body", ScrollableContainer)
        if where == "home":
            body.scroll_home(animate=False)
        else:
            body.scroll_end(animate=False)

    def action_next_tab(self) -> None:
        """`]`: the next pane of the output's first tabs (as in the cell view)."""
        from marimo_tui.runtime.output_layouts import Tabs

        first = next((b for b in self.output.blocks if isinstance(b, Tabs)), None)
        if first is None or not first.panes:
            return
        self.tabs[0] = (self.tabs.get(0, 0) + 1) % len(first.panes)
        lines = self.query_one("#output-content", StripLines)
        lines.forget()

    def action_copy(self) -> None:
        parts = [self.output.text] if self.output.kind != "image" else []
        parts += [e.traceback or e.message for e in self.output.errors]
        if self.output.table is not None:
            from marimo_tui.runtime.html_convert import table_text

            parts.append(table_text(self.output.table, markdown=False))
        parts.append(self.console)
        text = "\n\n".join(p for p in parts if p)
        self.app.copy_to_clipboard(text)
        self.notify(f"copied {len(text)} characters", timeout=2)
