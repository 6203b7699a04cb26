"""`marimo-tui doctor`: one line per check, with a fix for each problem."""

from __future__ import annotations

import os
import shutil
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from marimo_tui.config_parse import ConfigError
from marimo_tui.config_schema import Config
from marimo_tui.doctor_base import Check, reason
from marimo_tui.doctor_llm import check_llm
from marimo_tui.doctor_mcp import check_mcp

MARIMO_RANGE = ((0, 25), (0, 26))  # the minor version our adapter was written against


def check_python() -> Check:
    v = sys.version_info
    ok = v >= (3, 11)
    return Check(
        "python",
        ok,
        f"{v.major}.{v.minor}.{v.micro} ({sys.executable})",
        "" if ok else "install Python 3.11 or newer",
        blocking=not ok,
    )


def check_marimo() -> Check:
    try:
        found = version("marimo")
    except PackageNotFoundError:
        return Check("marimo", False, "not installed", "pip install 'marimo>=0.25,<0.26'", True)
    parts = tuple(int(p) for p in found.split(".")[:2] if p.isdigit())
    ok = MARIMO_RANGE[0] <= parts < MARIMO_RANGE[1]
    return Check(
        "marimo",
        ok,
        f"{found} (supported: >=0.25,<0.26)",
        "" if ok else "pip install 'marimo>=0.25,<0.26'",
        blocking=not ok,
    )


def check_config(config: Config | None, error: ConfigError | None) -> Check:
    if error is not None:
        return Check("config", False, str(error), "fix the key named above", blocking=True)
    assert config is not None
    if config.path is None:
        return Check("config", True, "no marimo-tui.yaml: defaults (run `marimo-tui init`)")
    return Check("config", True, str(config.path))


def check_notebooks(config: Config, paths: list[Path] | None = None) -> list[Check]:
    from marimo_tui.notebook.errors import NotebookError
    from marimo_tui.notebook.pyversion import cell_requirement
    from marimo_tui.notebook.reader import read_notebook
    from marimo_tui.project import discover_notebooks

    explicit = paths
    skipped: list[tuple[Path, str]] = []
    if paths is None:
        paths = discover_notebooks(config, skipped)
    checks: list[Check] = [
        Check(
            "notebook",
            False,
            f"{_shown(config, path)}: is {kind}, not a notebook; skipped",
            "rename or remove it",
        )
        for path, kind in skipped
    ]
    broken_cells = newer_cells = 0
    for path in paths:
        rel = _shown(config, path)
        try:
            nb = read_notebook(path)
        except NotebookError as exc:
            checks.append(
                Check("notebook", False, f"{rel}: {exc.reason}", "open and fix the file", True)
            )
            continue
        for position, cell in enumerate(nb.cells, 1):
            if not cell.error:
                continue
            needs = cell_requirement(cell.error, cell.code)
            if needs is not None:
                newer_cells += 1
                checks.append(
                    Check(
                        "notebook",
                        False,
                        f"{rel}: cell {position} {needs}; kept as written",
                        "run marimo-tui (and marimo) with that Python to run the cell",
                    )
                )
                continue
            broken_cells += 1
            checks.append(
                Check(
                    "notebook",
                    False,
                    f"{rel}:{cell.lineno} cell {cell.label}: {cell.error}",
                    "fix the cell's syntax (marimo keeps it as an unparsable cell)",
                )
            )
    bad = sum(1 for c in checks if c.blocking)
    summary = f"{len(paths) - bad} of {len(paths)} notebooks parse"
    if explicit is None:
        summary += f" in {config.notebooks_dir}"
    if broken_cells:
        summary += f"; {broken_cells} cells with syntax errors"
    if newer_cells:
        verb = "cells need" if newer_cells > 1 else "cell needs"
        summary += f"; {newer_cells} {verb} a newer Python"
    head = Check("notebooks", not checks, summary, "" if not checks else "see the lines below")
    return [head, *checks]


def _shown(config: Config, path: Path) -> Path:
    return path.relative_to(config.root) if path.is_relative_to(config.root) else path


def check_dagster(config: Config) -> Check:
    url = config.dagster.url
    if not url:
        return Check(
            "dagster", None, "not configured (set dagster.url to pair notebooks with assets)"
        )
    import httpx

    from marimo_tui.dagster.client import endpoint

    headers = {"Content-Type": "application/json"}
    if token := os.environ.get(config.dagster.token_env):
        headers["Dagster-Cloud-Api-Token"] = token
    try:
        response = httpx.post(
            endpoint(url),
            json={"query": "{ version }"},
            headers=headers,
            timeout=config.dagster.timeout,
        )
        response.raise_for_status()
        found = response.json().get("data", {}).get("version", "?")
    except Exception as exc:
        return Check(
            "dagster",
            False,
            f"GraphQL not reachable at {url} ({reason(exc)})",
            "start it (e.g. `dagster dev`) or fix dagster.url",
        )
    return Check("dagster", True, f"GraphQL at {url} (Dagster {found})")


def check_dagster_daemon(config: Config) -> Check:
    """Whether a `dagster-daemon` works for the configured Dagster: without one a backfill
    waits forever, and schedules and sensors never tick."""
    import httpx

    from marimo_tui.dagster.client import endpoint
    from marimo_tui.dagster.daemon_health import parse_health
    from marimo_tui.dagster.documents import document

    headers = {"Content-Type": "application/json"}
    if token := os.environ.get(config.dagster.token_env):
        headers["Dagster-Cloud-Api-Token"] = token
    try:
        response = httpx.post(
            endpoint(config.dagster.url or ""),
            json={"query": document("daemon")},
            headers=headers,
            timeout=config.dagster.timeout,
        )
        response.raise_for_status()
        health = parse_health(response.json()["data"])
    except Exception as exc:
        return Check("dagster-daemon", None, f"its health could not be read ({reason(exc)})")
    if not health.required:
        return Check("dagster-daemon", None, "not used: this instance runs no daemons")
    if health.running():
        return Check("dagster-daemon", True, "running (backfills, schedules, sensors)")
    return Check(
        "dagster-daemon",
        False,
        "not running: backfills wait, schedules and sensors do not tick",
        "`marimo-tui dev` runs one beside its webserver (or `dagster dev`, `dagster-daemon run`)",
    )


def check_terminal() -> Check:
    size = shutil.get_terminal_size(fallback=(0, 0))
    if os.environ.get("NO_COLOR"):
        colours = "no colour (NO_COLOR)"
    elif os.environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        colours = "truecolor"
    elif "256" in os.environ.get("TERM", ""):
        colours = "256 colours"
    else:
        colours = f"basic colours (TERM={os.environ.get('TERM', 'unset')})"
    where = "inside tmux" if os.environ.get("TMUX") else "not in tmux"
    dims = f"{size.columns}x{size.lines}" if size.columns else "not a terminal"
    detail = f"{dims}, {colours}, {where}"
    small = 0 < size.columns < 80 or 0 < size.lines < 24
    hint = "make the terminal at least 80x24" if small else ""
    if (
        "tmux" in where
        and "256" not in os.environ.get("TERM", "")
        and not os.environ.get("NO_COLOR")
    ):
        hint = hint or "in ~/.tmux.conf: set -g default-terminal tmux-256color"
    return Check("terminal", not small, detail, hint)


def check_confinement(config: Config) -> Check:
    """Whether notebook code (the agent's included) is confined to the project, as said."""
    from marimo_tui.runtime.landlock import abi_version, unavailable_reason
    from marimo_tui.runtime.manager import wants_confinement

    abi = abi_version()
    if not wants_confinement(config):
        can = f"Landlock ABI {abi} here: marimo.confine: project" if abi else unavailable_reason()
        return Check("confinement", None, f"off: notebook code writes wherever you can ({can})")
    if abi:
        return Check(
            "confinement",
            True,
            f"kernels write only inside the project, their temp folder and marimo's cache "
            f"(Landlock ABI {abi})",
        )
    return Check(
        "confinement",
        False,
        f"marimo.confine is on, but kernels run NOT confined: {unavailable_reason()}",
        "use Linux 5.13+ with Landlock enabled, or set marimo.confine: off to accept it",
    )


def run_checks(
    config: Config | None, error: ConfigError | None, notebooks: list[Path] | None = None
) -> list[Check]:
    checks = [check_python(), check_marimo(), check_config(config, error)]
    if config is not None:
        checks += check_notebooks(config, notebooks)
        checks += check_llm(config)
        checks.append(dagster := check_dagster(config))
        if dagster.ok:
            checks.append(check_dagster_daemon(config))
        checks.append(check_confinement(config))
        checks.append(check_mcp(config.root))
    checks.append(check_terminal())
    return checks
