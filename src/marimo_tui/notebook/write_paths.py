"""The one check every write of ours passes: the path, with every symlink on it resolved, lies
inside the project root. A `data/` folder, a `.marimo-tui/` folder or a notebook that is a
symlink to elsewhere is refused, not written through.

What it cannot close: a symlink swapped in between this check and the write (a race only
another program of the user's own could run; notebook code can when not confined, see
`marimo.confine`).
"""

from __future__ import annotations

import os
from pathlib import Path

from marimo_tui.notebook.errors import StoreError


class OutsideRoot(StoreError):
    """A write whose target resolves outside the project root: refused, nothing written."""


def inside_root(path: Path | str, root: Path) -> Path:
    """`path` (relative to `root` unless absolute), symlinks resolved; OutsideRoot when that
    is not inside `root` (itself resolved)."""
    base = root.resolve()
    given = Path(path)
    full = given if given.is_absolute() else base / given
    resolved = full.resolve()
    if not resolved.is_relative_to(base):
        linked = resolved != Path(os.path.normpath(full))
        shown = f"{path} (through a link, {resolved})" if linked else str(path)
        raise OutsideRoot(f"{shown} is outside the project root {base}: refused")
    return resolved


def check_inside(path: Path, root: Path | None) -> None:
    """`inside_root` for writers that may be used without a root (then: no check)."""
    if root is not None:
        inside_root(path, root)
