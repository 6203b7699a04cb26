"""Which graphics the output viewer draws images with, decided before the app starts.

textual-image finds out whether the terminal speaks sixel or kitty graphics by asking it over
stdin/stdout, which only works before Textual owns the terminal (and costs a round trip, slow
over SSH). So the question is asked only when the user forces a protocol (`images: sixel` or
`kitty`) or, with `images: auto`, when the environment names a terminal known to have one;
everywhere else images are half blocks, which every terminal (and tmux) shows.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

WIDGET_MODULE = "textual_image.widget"
# Terminals with sixel or kitty graphics, as their environment names them.
GRAPHICS_TERMS = ("kitty", "foot", "mlterm", "contour", "wezterm", "ghostty")
GRAPHICS_PROGRAMS = ("WezTerm", "iTerm.app", "ghostty", "mintty", "vscode")
GRAPHICS_MARKERS = ("KITTY_WINDOW_ID", "WEZTERM_EXECUTABLE", "KONSOLE_VERSION", "GHOSTTY_BIN_DIR")

# The textual-image widget class the viewer uses, or None for half blocks.
widget_class: str | None = None


def wanted_widget(mode: str, environ: Mapping[str, str]) -> str | None:
    if mode == "sixel":
        return "SixelImage"
    if mode == "kitty":
        return "TGPImage"
    if mode != "auto" or environ.get("TMUX"):  # tmux passes neither protocol on by default
        return None
    term = environ.get("TERM", "")
    likely = (
        any(name in term for name in GRAPHICS_TERMS)
        or environ.get("TERM_PROGRAM", "") in GRAPHICS_PROGRAMS
        or any(marker in environ for marker in GRAPHICS_MARKERS)
    )
    return "Image" if likely else None  # textual-image's own pick after asking the terminal


def prepare_images(mode: str, environ: Mapping[str, str] | None = None) -> None:
    """Import textual-image (it asks the terminal) when its graphics may be used."""
    global widget_class
    wanted = wanted_widget(mode, os.environ if environ is None else environ)
    if wanted is None or not sys.stdout.isatty():
        widget_class = None
        return
    try:
        __import__(WIDGET_MODULE)
    except Exception:  # no answer, an odd terminal: half blocks it is
        widget_class = None
        return
    widget_class = wanted
