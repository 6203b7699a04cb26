"""Copying over SSH and tmux: OSC 52, which the terminal on the user's desk carries out."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping


def osc52(text: str, environ: Mapping[str, str] | None = None) -> str:
    """The escape sequence that puts `text` on the clipboard of the terminal we run in.

    Inside tmux the plain sequence reaches tmux, which keeps it (set-clipboard) and may or may
    not pass it on; wrapped in tmux's DCS passthrough it reaches the outer terminal too
    (needs `allow-passthrough on`). Both are sent: whichever tmux lets through works.
    """
    env = os.environ if environ is None else environ
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    plain = f"\x1b]52;c;{payload}\x07"
    if not env.get("TMUX"):
        return plain
    # Passthrough: ESC P tmux; <sequence with every ESC doubled> ESC \
    wrapped = "\x1bPtmux;" + plain.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return plain + wrapped
