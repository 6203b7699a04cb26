"""Themes from YAML files (`themes/*.yaml`, bundled and the user's) as Textual themes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

import yaml
from textual.color import Color, ColorParseError
from textual.theme import Theme

from marimo_tui.config import YAML_LOADER

_FIELDS = {f.name for f in fields(Theme)}
_COLOURS = {
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
}


class ThemeFileError(Exception):
    pass


def load_theme(path: Path) -> Theme:
    """One theme file; its keys are `textual.theme.Theme` fields (`name` defaults to the stem)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise ThemeFileError(f"{path}: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise ThemeFileError(f"{path}: a theme is a mapping of Theme fields")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ThemeFileError(
            f"{path}: unknown theme key {unknown[0]!r} (keys: {', '.join(sorted(_FIELDS))})"
        )
    data.setdefault("name", path.stem)
    if "primary" not in data:
        raise ThemeFileError(f"{path}: a theme needs at least `primary`")
    for key, value in data.items():
        if key in _COLOURS and value is not None:
            try:
                Color.parse(value)  # a bad colour fails here, not at the first paint
            except (ColorParseError, TypeError, ValueError, AttributeError):
                raise ThemeFileError(f"{path}: {key}: not a colour: {value!r}") from None
    try:
        return Theme(**data)
    except TypeError as exc:
        raise ThemeFileError(f"{path}: {exc}") from None


def load_themes(folders: Iterable[Path]) -> tuple[list[Theme], list[str]]:
    """Every theme in `folders` (later folders override earlier ones by name), and the
    one-line errors of the files that could not be loaded."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.y*ml")):
            try:
                theme = load_theme(path)
            except ThemeFileError as exc:
                errors.append(str(exc))
                continue
            themes[theme.name] = theme
    return list(themes.values()), errors
