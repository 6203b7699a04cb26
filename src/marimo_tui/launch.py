"""Opening the workbench, with the fewest imports before the first frame.

`marimo-tui [--config FILE] [PATH]`, `marimo-tui open …` and `marimo-tui demo [DIR]` are
recognised here without click (about 40 ms of imports); everything else goes to `cli.py`,
whose `open` and `demo` commands end up in `launch` below as well.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.config import load_config
from marimo_tui.config_parse import ConfigError

if TYPE_CHECKING:
    from marimo_tui.agent.start import Overrides

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEMO_DIR = "marimo-tui-demo"


class LaunchError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def parse_workbench_args(args: list[str]) -> tuple[Path | None, str, Path] | None:
    """(config, "open" | "demo", path) when `args` only open the workbench; else None."""
    config: Path | None = None
    rest = list(args)
    if rest and rest[0].startswith("--config"):
        if rest[0] == "--config":
            if len(rest) < 2:
                return None
            config, rest = Path(rest[1]), rest[2:]
        else:
            config, rest = Path(rest[0].split("=", 1)[1]), rest[1:]
    if any(a.startswith("-") for a in rest) or len(rest) > 2:
        return None
    if rest and rest[0] == "demo":
        return (config, "demo", Path(rest[1] if len(rest) > 1 else DEMO_DIR))
    if rest and rest[0] == "open":
        rest = rest[1:]
    if len(rest) > 1 or (rest and _is_command(rest[0])):
        return None
    return (config, "open", Path(rest[0] if rest else "."))


# The CLI's commands (a test keeps this in step with cli.py, which is not imported here).
COMMANDS = frozenset(
    {
        "agent",
        "clean",
        "demo",
        "dev",
        "discover",
        "doctor",
        "export",
        "init",
        "mcp",
        "new",
        "open",
        "run",
        "templates",
    }
)


def _is_command(word: str) -> bool:
    # A word that names a CLI command and is not a file here is that command.
    return word in COMMANDS and not Path(word).exists()


DEMO_SCRIPT = Path(__file__).with_name("demo_session.yaml")


def open_demo(
    config: Path | None,
    directory: Path,
    *,
    script: Path | None = None,
    serve_dagster: bool = False,
) -> None:
    """Set up the demo project and open it; with `script`, the agent replays that file
    (`DEMO_SCRIPT`, the guided session, when `script` is an empty path)."""
    from marimo_tui.project import DEMO_START, create_demo

    agent = None
    if script is not None:
        from marimo_tui.agent.start import Overrides

        script = DEMO_SCRIPT if script == Path() else script
        if not script.is_file():
            raise LaunchError(f"{script}: no such script file", EXIT_USAGE)
        agent = Overrides(provider="scripted", script=script.resolve())
    try:
        create_demo(directory)
    except OSError as exc:
        raise LaunchError(f"cannot set up the demo in {directory}: {exc.strerror or exc}") from None
    launch(config, directory / DEMO_START, agent=agent, serve_dagster=serve_dagster)


def launch(
    config_path: Path | None,
    path: Path,
    *,
    agent: Overrides | None = None,
    serve_dagster: bool = False,
) -> None:
    """Load the config for PATH, read the notebook quickly (no marimo), run the app; marimo is
    imported later, in the background. `agent` overrides the config's agent settings;
    `serve_dagster` runs the project's Dagster webserver for as long as the app runs."""
    if not path.exists():
        raise LaunchError(f"{path}: no such file or folder", EXIT_USAGE)
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise LaunchError(
            "the workbench needs a terminal; for scripts use the other commands "
            "(marimo-tui --help)",
            EXIT_USAGE,
        )
    path = path.resolve()
    # Before Textual is imported: a frame every ~8 ms instead of ~17, so an output that
    # arrives just after a frame waits less for the next one (see bench/rerun.py).
    os.environ.setdefault("TEXTUAL_FPS", "120")
    # marimo's parse of a change (the analysis thread) and the image workers hold the GIL for
    # their 5 ms slices by default: every hand-off the UI thread and Textual's output thread
    # make while a frame is drawn waits that long. 1 ms slices keep the frame moving
    # (bench/follow.py: p50 about 120 -> 95 ms, p95 about 290-450 -> 220-270 ms).
    sys.setswitchinterval(0.001)
    try:
        config = load_config(config_path, start=path if path.is_dir() else path.parent)
    except ConfigError as exc:
        raise LaunchError(str(exc), EXIT_USAGE) from None
    if serve_dagster:
        from marimo_tui.dagster.webserver import cannot_serve

        if problem := cannot_serve(config.root):
            raise LaunchError(f"--dagster: {problem}", EXIT_USAGE)
    from marimo_tui.notebook.errors import StoreError
    from marimo_tui.workbench import Workbench

    workbench = Workbench(config)
    try:
        target = path if path.is_file() else workbench.first_notebook()
        initial = workbench.quick_open(target) if target is not None else None
    except StoreError as exc:
        raise LaunchError(str(exc), EXIT_USAGE) from None
    from marimo_tui.tui.app import WorkbenchApp
    from marimo_tui.tui.images import prepare_images

    prepare_images(config.images)  # before the app owns the terminal
    app = WorkbenchApp(workbench, initial, agent=agent, serve_dagster=serve_dagster)
    import asyncio

    from marimo_tui.tui.exit_signals import ExitSignals

    # A Runner, not `asyncio.run` (Textual's default), which waits for the worker threads
    # before it returns: after a signal the process ends by it as soon as the app has left.
    with asyncio.Runner() as runner, ExitSignals(runner.get_loop(), app.exit):
        app.run(loop=runner.get_loop())


def main(argv: list[str] | None = None) -> int:
    """The `marimo-tui` entry point."""
    args = sys.argv[1:] if argv is None else argv
    parsed = parse_workbench_args(args)
    from marimo_tui.notebook.errors import NotebookError, StoreError

    try:
        if parsed is None:
            from marimo_tui.cli import main as cli

            cli(args)
        elif parsed[1] == "demo":
            open_demo(parsed[0], parsed[2])
        else:
            launch(parsed[0], parsed[2])
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except (OSError, StoreError, NotebookError) as exc:
        # What a command did not expect of the disk (full, read-only, a link out of the
        # project): one line, not a traceback.
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def describe_error(exc: Exception) -> str:
    """`No space left on device: notebooks/x.py` for an OSError; the text of the others."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        return f"{exc.strerror}: {where}" if where else exc.strerror
    return str(exc) or type(exc).__name__


def entry() -> None:
    sys.exit(main())
