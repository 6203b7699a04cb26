"""The sidecar process itself: `python -m marimo_tui.runtime.sidecar_main PARENT OVERRIDES -- ARGS`.

Two things `marimo edit` cannot do from its command line:

- die with the workbench. The kernel processes marimo starts poll their parent and exit when it
  goes, but the server has no such check; a parent-death signal (Linux) makes a SIGKILLed
  workbench take its server along, and the kernels then follow their server.
- take our runtime settings (`watcher_on_save`) without touching the user's configuration.
  marimo layers its config (user file, pyproject, script header, environment); we add one more
  layer on top, in this process only, so the user's files are never edited and still apply
  to everything we do not set.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from marimo_tui.processes import die_with_parent


def add_config_layer(overrides: dict[str, Any]) -> None:
    """Put `overrides` on top of marimo's configuration for this server (private API, 0.25)."""
    import marimo._server.start as start

    original: Any = getattr(start, "get_default_config_manager")  # noqa: B009 (not exported)

    def with_ours(*, current_path: str | None) -> Any:
        return original(current_path=current_path).with_overrides(overrides)

    setattr(start, "get_default_config_manager", with_ours)  # noqa: B010


def main(argv: list[str]) -> None:
    parent, overrides, separator, *marimo_args = argv
    if separator != "--":
        sys.exit("usage: sidecar_main PARENT_PID OVERRIDES_JSON -- MARIMO_ARGS")
    die_with_parent(int(parent))
    add_config_layer(json.loads(overrides))
    from marimo._cli.cli import main as marimo_main

    marimo_main(args=marimo_args, prog_name="marimo")


if __name__ == "__main__":
    main(sys.argv[1:])
