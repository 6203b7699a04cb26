"""What the app writes to the terminal itself (notices, the title, the clipboard) is plain
text: many notices carry a server's error or a file name, and a notebook's output can reach a
title, so nothing is parsed as markup and no control character is sent raw. A mixin of
`WorkbenchApp`, listed before `App`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marimo_tui.safe_text import one_line, visible
from marimo_tui.tui.app_mixin import AppMixin

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel


class PlainText(AppMixin):
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notice is plain text (`markup` is ignored); control characters are shown,
        not sent."""
        super().notify(
            visible(message),
            title=one_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def validate_title(self, title: object) -> str:
        # Textual draws the title in a header and the palette; never a raw sequence there.
        return one_line(super().validate_title(title))

    def validate_sub_title(self, sub_title: object) -> str:
        return one_line(super().validate_sub_title(sub_title))

    def copy_to_clipboard(self, text: str) -> None:
        from marimo_tui.tui.clipboard import osc52

        self._clipboard = text
        if self._driver is not None:
            self._driver.write(osc52(text))
