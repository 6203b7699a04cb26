"""The base of the app's mixins (pane_layout.py, app_events.py, plain_app.py): `App` to the
type checker, so they may use the app's API, and a plain object at run time. Textual takes CSS
along the first DOMNode base only, so a mixin that were an `App` would drop the app's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

    AppMixin = App[None]
else:
    AppMixin = object
