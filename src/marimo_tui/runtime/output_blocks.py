"""The parts of a cell's output that more than one module needs to agree on: a chart (turned
into a picture by `runtime/charts`, drawn by the view) and a UI element (shown by the view,
changed through the sidecar session). Kept apart from the parsers and the renderers so that
each of those imports only this base, never the others."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ChartKind = Literal["vega-lite", "plotly", "matplotlib", "image", "svg"]


@dataclass(frozen=True)
class Chart:
    """Something to draw as a picture.

    `data` is what the kind needs: image bytes (PNG, JPEG, GIF, WebP) for `matplotlib` and
    `image`; SVG text for `svg`; the JSON text of the spec for `vega-lite` and of the figure
    for `plotly`. `title` names it in the one-line caption shown when no picture can be made.
    """

    kind: ChartKind
    data: bytes | str
    title: str = ""

    @property
    def key(self) -> str:
        """Identifies the picture across reruns: the same chart is drawn once."""
        raw = self.data.encode() if isinstance(self.data, str) else self.data
        return hashlib.blake2b(self.kind.encode() + b"\0" + raw, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Widget:
    """A marimo UI element (`<marimo-ui-element object-id=…>`) as read from its HTML.

    `kind` is the element's tag without `marimo-` (`slider`, `dropdown`, `checkbox`, …);
    `attrs` its `data-*` attributes, JSON-decoded, without the prefix (`start`, `options`…);
    `value` the value it shows: the initial value, or the last one set.
    `inner` is a `form`'s wrapped element (edited in place, submitted through the form).
    """

    object_id: str
    kind: str
    label: str = ""
    value: object = None
    attrs: Mapping[str, object] = field(default_factory=dict)
    inner: Widget | None = None
