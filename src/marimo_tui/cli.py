"""The `marimo-tui` command line. Heavy modules are imported inside the commands that need them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from marimo_tui import __version__, cli_agent
from marimo_tui.cli_common import State, echo, fail, pass_state
from marimo_tui.cli_dagster import dev, discover, run_command
from marimo_tui.config import ENV_CONFIG, Config, ConfigError, load_config
from marimo_tui.launch import EXIT_FAILURE, EXIT_OK, EXIT_USAGE

F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=ENV_CONFIG,
    help=f"Configuration file (default: marimo-tui.yaml found upward; env {ENV_CONFIG}).",
)
@click.version_option(__version__, "--version", prog_name="marimo-tui")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """marimo-tui: a terminal workbench for agentic marimo notebook work.

    `marimo-tui [PATH]` opens the workbench on a project folder or one notebook (default: the
    current folder); `marimo-tui demo` opens a demo project.
    """
    ctx.obj = State(config_path)


DAGSTER_OPTION = click.option(
    "--dagster",
    "serve_dagster",
    is_flag=True,
    help="Also run the project's Dagster webserver (as `dev` does) while the workbench is open.",
)


@main.command("open")
@click.argument("path", type=click.Path(path_type=Path), default=".")
@DAGSTER_OPTION
@pass_state
def open_workbench(state: State, path: Path, serve_dagster: bool) -> None:
    """Open the workbench on PATH: a project folder or one notebook (the default command)."""
    _launch(state, path, demo=False, serve_dagster=serve_dagster)


@main.command()
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default="marimo-tui-demo"
)
@click.option(
    "--script",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FILE]",
    help="Play a scripted agent session, labelled a replay: the guided tour when no FILE is "
    "given, else that YAML file of agent turns.",
)
@DAGSTER_OPTION
@pass_state
def demo(state: State, directory: Path, script: str | None, serve_dagster: bool) -> None:
    """Create a demo project in DIRECTORY from the templates (reused if it exists) and open it.

    Needs no LLM and no Dagster. With --dagster the paired asset runs in a Dagster webserver
    started for the demo (needs `pip install 'marimo-tui[dagster]'`).
    """
    _launch(
        state,
        directory,
        demo=True,
        script=None if script is None else Path(script),
        serve_dagster=serve_dagster,
    )


def _launch(
    state: State,
    path: Path,
    *,
    demo: bool,
    script: Path | None = None,
    serve_dagster: bool = False,
) -> None:
    from marimo_tui.launch import LaunchError, launch, open_demo

    try:
        if demo:
            open_demo(state.config_path, path, script=script, serve_dagster=serve_dagster)
        else:
            launch(state.config_path, path, serve_dagster=serve_dagster)
    except LaunchError as exc:
        fail(str(exc), exc.code)


@main.command()
@click.argument("notebooks", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_context
def doctor(ctx: click.Context, notebooks: tuple[Path, ...], as_json: bool) -> None:
    """Check Python, marimo, the config, the notebooks, the LLM, Dagster and the terminal.

    Checks NOTEBOOKS when given, else every notebook of the project. Exits 0 when nothing
    blocking is wrong, 2 when the configuration is invalid.
    """
    from marimo_tui.doctor import run_checks

    state: State = ctx.obj
    config: Config | None = None
    error: ConfigError | None = None
    try:
        config = load_config(state.config_path)
    except ConfigError as exc:
        error = exc
    checks = run_checks(config, error, [p.resolve() for p in notebooks] or None)
    blocking = [c for c in checks if c.ok is False and c.blocking]
    if as_json:
        echo(json.dumps({"ok": not blocking, "checks": [c.to_json() for c in checks]}, indent=2))
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            mark = {
                True: click.style("✓", fg="green"),
                False: click.style("✗", fg="red"),
                None: click.style("·", dim=True),
            }[c.ok]
            echo(f"{mark} {c.name:<{width}}  {c.detail}")
            if c.ok is False and c.hint:
                echo(f"  {'':<{width}}  fix: {c.hint}")
        problems = [c for c in checks if c.ok is False]
        echo(
            f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''}, "
            f"{len(blocking)} blocking"
            if problems
            else "\nall good"
        )
    sys.exit(EXIT_USAGE if error else EXIT_FAILURE if blocking else EXIT_OK)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def init(directory: Path) -> None:
    """Set up a project in DIRECTORY: marimo-tui.yaml, notebooks/, .gitignore entry.

    In an existing project only what is missing is added; no file is overwritten.
    """
    from marimo_tui.project import init_project

    try:
        steps = init_project(directory)
    except OSError as exc:
        fail(f"cannot set up {directory}: {exc.strerror or exc}")
    for step in steps:
        colour = {"created": "green", "updated": "yellow", "kept": None}[step.action]
        echo(f"{click.style(step.action, fg=colour):>9}  {step.path}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the templates as JSON.")
@pass_state
def templates(state: State, as_json: bool) -> None:
    """List notebook templates with their description and parameters."""
    from marimo_tui.notebook.templates import discover_templates
    from marimo_tui.project import template_folders

    problems: list[str] = []
    found = discover_templates(template_folders(state.config()), problems)
    for problem in problems:
        echo(f"skipped template {problem}", err=True)
    if as_json:
        echo(json.dumps([t.to_json() for t in found.values()], indent=2))
        return
    width = max((len(n) for n in found), default=0)
    for t in found.values():
        echo(f"{click.style(t.name.ljust(width), bold=True)}  {t.description}")
        for p in t.params:
            echo(f"{'':<{width}}    --param {p.name}={p.default!s}  ({p.type_name}) {p.help}")
        if t.data:
            names = ", ".join(p.name for p in t.data)
            echo(f"{'':<{width}}    sample data: {names} (copied to data/ next to it)")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--template",
    "-t",
    "template_name",
    default="minimal",
    show_default=True,
    help="Template name (see `marimo-tui templates`).",
)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set a template parameter's default; repeat for several.",
)
@pass_state
def new(state: State, path: Path, template_name: str, params: tuple[str, ...]) -> None:
    """Create the notebook PATH from a template. Never overwrites a file."""
    from marimo_tui.notebook.errors import NotebookError, StoreError
    from marimo_tui.notebook.store import NotebookStore
    from marimo_tui.notebook.templates import (
        copy_sample_data,
        discover_templates,
        instantiate,
        parse_param_args,
    )
    from marimo_tui.project import template_folders

    config = state.config()
    found = discover_templates(template_folders(config))
    template = found.get(template_name)
    if template is None:
        fail(f"no template {template_name!r}; templates: {', '.join(found)}", EXIT_USAGE)
    if path.suffix != ".py":
        fail(f"{path}: a marimo notebook file must end in .py", EXIT_USAGE)
    if path.exists():
        fail(f"{path} already exists: not overwritten")
    try:
        text = instantiate(template, parse_param_args(params))
    except StoreError as exc:
        fail(str(exc), EXIT_USAGE)
    path.parent.mkdir(parents=True, exist_ok=True)
    store = NotebookStore(config.root, config.state_dir, confine=False)
    try:
        nb = store.create(path.resolve(), text, op=f"new:{template.name}")
    except (StoreError, NotebookError) as exc:
        fail(str(exc))
    echo(f"created {path} from template {template.name} ({len(nb.cells)} cells)")
    folder = path.resolve().parent
    # The data stays in the project (or, for a notebook made elsewhere, beside it).
    root = config.root if folder.is_relative_to(config.root) else folder
    try:
        for copied in copy_sample_data(template, folder, root):
            echo(f"created {path.parent / copied.parent.name / copied.name} (sample data)")
    except (OSError, StoreError) as exc:
        fail(f"cannot copy the sample data of {template.name}: {exc}")
    if template.dagster:
        from marimo_tui.dagster.scaffold import pairing_lines

        echo(pairing_lines(path.resolve(), config.root))


@main.command()
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--journal", is_flag=True, help="Also remove the undo journal.")
@pass_state
def clean(state: State, yes: bool, journal: bool) -> None:
    """Remove caches under .marimo-tui/ and stray temp files. Never touches notebooks."""
    from marimo_tui.project import clean_targets, remove, size_of

    config = state.config()
    targets = clean_targets(config, journal=journal)
    if not targets:
        echo("nothing to clean")
        return
    total = sum(size_of(t) for t in targets)
    for t in targets:
        echo(f"  {t.relative_to(config.root) if t.is_relative_to(config.root) else t}")
    if not yes:
        if not sys.stdin.isatty():
            fail("refusing to delete without confirmation: pass --yes", EXIT_USAGE)
        click.confirm(f"Remove these {len(targets)} items ({total / 1024:.0f} KiB)?", abort=True)
    for t in targets:
        remove(t)
    echo(f"removed {len(targets)} items ({total / 1024:.0f} KiB)")


@main.command()
@click.argument("notebook", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "ipynb", "session"]),
    default="html",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file (default: next to NOTEBOOK with the format's extension; for session, "
    "marimo's __marimo__/session/NAME.py.json).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Give up (writing nothing) when the run takes longer.",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@pass_state
def export(
    state: State,
    notebook: Path,
    fmt: str,
    output: Path | None,
    timeout: float | None,
    args: tuple[str, ...],
) -> None:
    """Run NOTEBOOK headless and export it; name every cell that fails.

    Every format runs the notebook. ARGS after `--` reach the notebook's `mo.cli_args()`, e.g.
    `marimo-tui export nb.py --format md -- --rows 50`. The output is replaced atomically, also when
    cells fail. Exits 0 when every cell ran, 1 when a cell failed or the run did not finish,
    2 for usage errors.
    """
    from marimo_tui.redaction import child_env
    from marimo_tui.runtime.export import ExportError, export_notebook

    env = child_env(state.config())  # the notebook's code sees none of our secrets
    try:
        report = export_notebook(notebook, fmt, output, args, timeout, env)
    except ExportError as exc:
        fail(str(exc), exc.code)
    except KeyboardInterrupt:
        fail("interrupted; nothing written", 130)
    if report.ok:
        echo(f"wrote {report.output}: {report.cells} cells ran without errors")
        return
    echo(f"wrote {report.output}")
    for failure in report.failures:
        echo(failure.describe(str(notebook)), err=True)
    failed = len(report.failures)
    more = f" ({report.blocked} more did not run because of them)" if report.blocked else ""
    fail(
        f"{failed} cell{'s' if failed != 1 else ''} failed{more}"
        if failed
        else "marimo reported a failed cell it did not name"
    )


for command in (cli_agent.agent, cli_agent.mcp, discover, run_command, dev):
    main.add_command(command)


if __name__ == "__main__":
    main()
