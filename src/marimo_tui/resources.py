"""Where the bundled templates and themes live: inside the wheel, or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(folder: str) -> Path:
    """`templates` or `themes`: `_bundled/` in an installed wheel, the repo's top level in a
    source checkout (an editable install does not copy them)."""
    installed = _PACKAGE / "_bundled" / folder
    if installed.is_dir():
        return installed
    return _PACKAGE.parent.parent / folder
