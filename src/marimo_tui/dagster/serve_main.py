"""`python -m marimo_tui.dagster.serve_main PROGRAM PARENT -- ARGS`: `dagster-webserver ARGS`
(PROGRAM `webserver`) or `dagster-daemon run ARGS` (PROGRAM `daemon`) that exits with its parent
(a parent-death signal), so a killed workbench or `dev` leaves no Dagster process behind.

Both run in this process rather than as their console scripts: the parent-death signal is
armed here, before Dagster starts, and there is no launcher script between us and it."""

from __future__ import annotations

import sys

from marimo_tui.processes import die_with_parent

PROGRAMS = ("webserver", "daemon")


def main(argv: list[str]) -> None:
    program, parent, separator, *args = argv
    if separator != "--" or program not in PROGRAMS:
        raise SystemExit("usage: serve_main webserver|daemon PARENT -- ARGS")
    die_with_parent(int(parent))
    if program == "daemon":
        from dagster._daemon.cli import main as daemon

        sys.argv = ["dagster-daemon", "run", *args]
        daemon()
        return
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
