"""Themes from YAML files (`themes/*.yaml`, bundled and the user's) as Textual themes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from textual.color import Color, ColorParseError
from textual.theme import Theme

from marimo_tui.config import YAML_LOADER

if TYPE_CHECKING:
    from textual.app import App

    from marimo_tui.tui.app import WorkbenchApp

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


def register_themes(app: App[Any], wanted: str) -> list[str]:
    """The bundled and the user's themes registered with `app`, `wanted` switched on (or the
    first one); what went wrong, one line each, to be told once the app shows."""
    from marimo_tui.config import user_config_dir
    from marimo_tui.resources import bundled

    themes, errors = load_themes([bundled("themes"), user_config_dir() / "themes"])
    for theme in themes:
        app.register_theme(theme)
    if wanted in app.available_themes:
        app.theme = wanted
    else:
        errors.append(f"theme {wanted!r} not found; themes: {', '.join(t.name for t in themes)}")
        app.theme = themes[0].name if themes else "textual-dark"
    return errors


def save_theme(app: WorkbenchApp, theme: Theme) -> None:
    """A theme picked in the palette is kept in the project's config."""
    config = app.workbench.config
    if theme.name == config.theme:
        return
    from marimo_tui.project import save_setting

    try:
        path = save_setting(config, "theme", theme.name)
    except Exception as exc:
        app.notify(f"theme not saved: {exc}", severity="warning")
        return
    config.theme = theme.name
    app.notify(f"theme {theme.name} (saved to {path.name})", timeout=3)
