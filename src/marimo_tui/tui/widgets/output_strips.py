"""The base of output rendering: the styles a view passes in, text and markdown as Strips,
and the private rich Console everything renders through (a string buffer: nothing here
touches the real terminal). Every notebook text goes through `safe_text` first."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderableType
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from rich.theme import Theme
from textual.strip import Strip

from marimo_tui.safe_text import console_text, last_redraw, visible

if TYPE_CHECKING:
    from textual.widget import Widget

MAX_TEXT_LINES = 2000  # source lines rendered in a cell; the output viewer shows everything


@dataclass(frozen=True)
class OutputStyles:
    """Rich styles the cell view passes in (from its component classes)."""

    text: Style
    dim: Style
    error: Style
    error_line: Style  # the failing source line
    heading: Style
    table_header: Style

    @classmethod
    def from_widget(cls, widget: Widget, prefix: str) -> OutputStyles:
        """From `widget`'s component classes `{prefix}--dim`, `--error`, `--error-line`,
        `--heading` and `--header` (so the theme colours outputs)."""

        def style(name: str) -> Style:
            return widget.get_component_rich_style(f"{prefix}--{name}", partial=True)

        return cls(
            text=Style(),
            dim=style("dim"),
            error=style("error"),
            error_line=style("error-line"),
            heading=style("heading"),
            table_header=style("header"),
        )


# -- text -------------------------------------------------------------------------------------
def cap_text(text: str, max_lines: int | None) -> str:
    if max_lines is None:
        return text
    cut = -1
    for _ in range(max_lines):
        cut = text.find("\n", cut + 1)
        if cut < 0:
            return text
    more = text.count("\n", cut) + (0 if text.endswith("\n") else 1) - 1
    return text[:cut] + (f"\n… {more} more lines" if more > 0 else "")


def text_strips(
    text: str, width: int, style: Style, *, max_lines: int | None = MAX_TEXT_LINES
) -> list[Strip]:
    """Text wrapped to width; ANSI colours kept (through rich's decoder, which sees nothing
    but SGR), every other control character and sequence shown as `safe_text` shows it."""
    text = cap_text(text, max_lines)
    if "\x1b" in text:
        return rich_lines(Text.from_ansi(console_text(text), style=style), width)
    strips: list[Strip] = []
    for raw in text.split("\n"):
        line = visible(last_redraw(raw))
        if "\t" in line:
            line = line.expandtabs(4)
        if len(line) <= width and line.isascii():
            strips.append(Strip([Segment(line, style)], len(line)))
        else:
            strips += rich_lines(Text(line, style=style), width)
    return strips


def rich_lines(
    renderable: RenderableType, width: int, console: Console | None = None
) -> list[Strip]:
    console = console or output_console(None)
    options = _options(console, width)
    lines = console.render_lines(renderable, options, pad=False, new_lines=False)
    return [Strip(line).simplify() for line in lines]


# -- markdown ---------------------------------------------------------------------------------
def markdown_strips(source: str, width: int, styles: OutputStyles) -> list[Strip]:
    console = output_console(styles)
    # rich's Markdown passes text (and code blocks) through as they are written.
    markdown = Markdown(visible(source), hyperlinks=False, code_theme="ansi_dark")
    strips = rich_lines(markdown, width, console)
    while strips and not strips[-1].text.strip():
        strips.pop()
    return strips


# -- the private console -------------------------------------------------------------------
@lru_cache(maxsize=8)
def output_console(styles: OutputStyles | None) -> Console:
    theme = None
    if styles is not None:
        heading = styles.heading + Style(bold=True)
        theme = Theme(
            {
                "markdown.h1": heading,
                "markdown.h1.border": styles.dim,
                "markdown.h2": heading + Style(underline=True),
                "markdown.h3": heading,
                "markdown.h4": heading + Style(italic=True),
                "markdown.h5": styles.heading,
                "markdown.h6": styles.heading + Style(italic=True),
                "markdown.hr": styles.dim,
                "markdown.block_quote": styles.dim,
                "markdown.link_url": styles.dim,
            }
        )
    return Console(
        file=io.StringIO(),
        width=80,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        theme=theme,
        highlight=False,
        markup=False,
        emoji=False,
    )


def _options(console: Console, width: int) -> ConsoleOptions:
    return console.options.update(width=width, max_width=width, height=None, highlight=False)
