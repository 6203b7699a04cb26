"""The Dagster commands: `discover`, `run` (launch anything Dagster can) and `dev` (our
webserver, daemon and marimo server for a tmux split). Heavy modules load inside them."""

from __future__ import annotations

import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, NoReturn

import click

from marimo_tui.cli_common import State, echo, fail, pass_state
from marimo_tui.launch import EXIT_USAGE


def _dagster(work: Coroutine[Any, Any, int]) -> NoReturn:
    """Run a Dagster command; its errors become one line and exit 1."""
    import asyncio

    from marimo_tui.dagster.errors import DagsterError
    from marimo_tui.dagster.launch_request import RequestError

    try:
        code = asyncio.run(work)
    except DagsterError as exc:
        fail(str(exc))
    except RequestError as exc:
        fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the workspace as JSON.")
@pass_state
def discover(state: State, as_json: bool) -> None:
    """List Dagster's code locations (with load errors), jobs and assets, and the notebook each
    asset is paired with. Exits 1 when a code location failed to load."""
    from marimo_tui.dagster.commands import discover as run_discover

    _dagster(run_discover(state.config(), echo, as_json=as_json))


@click.command("run")
@click.argument("notebook", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--asset",
    "asset_keys",
    multiple=True,
    metavar="KEY",
    help="Launch this asset (e.g. sales/report); repeat for several in one run (a multi-asset "
    "subset).",
)
@click.option("--job", metavar="NAME", help="Launch this job.")
@click.option("--partition", metavar="KEY", help="The partition to materialize.")
@click.option(
    "--partition-range",
    metavar="START...END",
    help="A backfill of these partitions (Dagster's daemon launches its runs).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Run config from this YAML file.",
)
@click.option("--config-json", metavar="JSON", help="Run config as JSON (over --config).")
@click.option("--tag", "tags", multiple=True, metavar="K=V", help="A run tag (repeatable).")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="K=V",
    help="A notebook parameter for this run (repeatable; read with mo.cli_args()).",
)
@click.option(
    "--relaunch",
    metavar="RUN_ID",
    help="Launch this run again with its config, partition and tags.",
)
@click.option(
    "--from-failure",
    metavar="RUN_ID",
    help="Re-execute this failed run from its failure (its config, partition and tags kept).",
)
@click.option("--wait", is_flag=True, help="Follow the run; exit 0 on SUCCESS, 1 otherwise.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
@pass_state
def run_command(
    state: State,
    notebook: Path | None,
    asset_keys: tuple[str, ...],
    job: str | None,
    partition: str | None,
    partition_range: str | None,
    config_file: Path | None,
    config_json: str | None,
    tags: tuple[str, ...],
    params: tuple[str, ...],
    relaunch: str | None,
    from_failure: str | None,
    wait: bool,
    as_json: bool,
) -> None:
    """Launch in Dagster: NOTEBOOK's paired asset, --asset KEYs, a --job, or a run again
    (--relaunch / --from-failure RUN_ID).

    Exits 0 when launched (with --wait: when the run succeeded), 1 when Dagster refused or the
    run failed, 2 for usage errors.
    """
    from marimo_tui.dagster.commands import run as run_asset
    from marimo_tui.dagster.launch_request import (
        Reexecution,
        RequestError,
        config_from_file,
        config_from_json,
        merge_config,
        parse_range,
        parse_tags,
    )
    from marimo_tui.dagster.params import parse_params

    again = relaunch or from_failure
    chosen = [notebook is not None or bool(asset_keys), job is not None, again is not None]
    if sum(chosen) != 1 or (relaunch and from_failure):
        fail(
            "give one of: a NOTEBOOK and/or --asset KEYs, --job NAME, --relaunch RUN_ID, "
            "--from-failure RUN_ID",
            EXIT_USAGE,
        )
    if notebook is not None and not notebook.is_file():
        fail(f"{notebook}: no such notebook", EXIT_USAGE)
    if wait and partition_range:
        fail("--wait follows one run; a backfill's runs are launched by the daemon", EXIT_USAGE)
    try:
        values = parse_params(params)
        run_tags = parse_tags(tags)
        if again is not None:
            extra = [partition, partition_range, config_file, config_json, *params]
            if any(x is not None for x in extra):
                raise RequestError(
                    "a relaunch keeps the run's partition and config: give only --tag with it"
                )
            reexecute = Reexecution(
                again, "FROM_FAILURE" if from_failure else "ALL_STEPS", tags=run_tags
            )
            work = run_asset(state.config(), echo, reexecute=reexecute, wait=wait, as_json=as_json)
        else:
            config = merge_config(
                config_from_file(config_file) if config_file else {},
                config_from_json(config_json) if config_json else {},
            )
            work = run_asset(
                state.config(),
                echo,
                notebook=notebook,
                asset_keys=asset_keys,
                params=values,
                job=job,
                partition=partition,
                partition_range=parse_range(partition_range) if partition_range else None,
                run_config=config,
                tags=run_tags,
                wait=wait,
                as_json=as_json,
            )
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    _dagster(work)


@click.command()
@pass_state
def dev(state: State) -> None:
    """Start a Dagster webserver for the project and the marimo sidecar; print their URLs and
    follow their health until Ctrl-C, which stops both (for a tmux split)."""
    from marimo_tui.devservers import run_dev

    _dagster(run_dev(state.config(), echo))
