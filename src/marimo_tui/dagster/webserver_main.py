"""`python -m marimo_tui.dagster.webserver_main PARENT -- ARGS`: `dagster-webserver ARGS` that
exits with its parent (a parent-death signal), so a killed workbench leaves no server behind."""

from __future__ import annotations

import sys

from marimo_tui.processes import die_with_parent


def main(argv: list[str]) -> None:
    parent, separator, *args = argv
    if separator != "--":
        raise SystemExit("usage: webserver_main PARENT -- ARGS")
    die_with_parent(int(parent))
    try:
        from dagster_webserver.cli import main as webserver
    except ImportError:
        raise SystemExit(
            "dagster-webserver is not installed here: pip install 'marimo-tui[dagster]'"
        ) from None
    sys.argv = ["dagster-webserver", *args]
    webserver()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main(sys.argv[1:])
