"""`marimo_asset`: a marimo notebook as a Dagster asset, as dagstermill does for Jupyter.

Each materialization runs the notebook headless once (in a worker process that ending the
run also ends, see `marimo_tui.runtime.export`), passes its parameters as command-line
arguments that the notebook reads with `mo.cli_args()`, writes the run's HTML export to a file
of its own and attaches, as materialization metadata, the export's path and URL, a markdown
summary of the cells' outputs, what they printed, each cell's status, the parameters and the
duration. A cell that raises fails the asset with that cell's error; the HTML is written and
attached all the same.

Like any asset it can be partitioned and take upstream assets as inputs: the partition key and
the upstream values (loaded by Dagster's IO manager) reach the notebook as parameters, and a
cell hands the asset's own value to downstream assets with `asset_output` (see `notebook_io`).

This module imports Dagster: it is only imported where Dagster is installed
(`pip install 'marimo-tui[dagster]'`), through `marimo_tui.dagster.marimo_asset`.
"""

# No `from __future__ import annotations`: Dagster reads the compute function's annotations.
import inspect
import json
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from marimo_tui.dagster import asset_definition as define
from marimo_tui.dagster import asset_report as report_of
from marimo_tui.dagster.asset_definition import AssetRef
from marimo_tui.dagster.notebook_io import (
    OUTPUT_PARAM,
    PARTITION_PARAM,
    PARTITIONS_PARAM,
    read_value,
    write_value,
)
from marimo_tui.runtime.export import ExportError, export_notebook
from marimo_tui.safe_text import visible

__all__ = ["cli_args", "marimo_asset"]


def marimo_asset(
    notebook: str | Path,
    *,
    key: str | Sequence[str] | dg.AssetKey | None = None,
    deps: Sequence[Any] | None = None,
    ins: Mapping[str, dg.AssetIn | AssetRef] | Sequence[AssetRef] | None = None,
    partitions_def: dg.PartitionsDefinition | None = None,
    group: str | None = None,
    params: Mapping[str, Any] | None = None,
    description: str | None = None,
    output_dir: str | Path | None = None,
    timeout: float | None = None,
) -> dg.AssetsDefinition:
    """An asset that runs the marimo notebook NOTEBOOK and keeps its HTML export.

    notebook: the notebook's file. A relative path is looked up next to the file that calls
        `marimo_asset` (a `definitions.py` or a `defs/` module beside its notebooks works
        wherever Dagster is started), then in the current directory. A missing file or one
        that is not a marimo notebook fails here, at definition time (Dagster shows a code
        location load error). Notebooks are read with marimo's parser, also when their cells
        use syntax newer than the running Python.
    key: the asset key; a string with slashes (`"marimo/sales"`) is a key path. Default: the
        notebook's file name without `.py`. The op is named after the key
        (`["marimo", "sales"]` → `marimo__sales`), as for any `@asset`.
    deps: upstream assets that must run first but whose values the notebook does not take,
        as `@asset(deps=...)` takes them (keys, specs or definitions).
    ins: upstream assets whose values the notebook takes: `{name: upstream}` (an `AssetIn`, a
        key, a key path, a spec or a definition), or a list of upstreams each named after the
        last part of its key. Dagster loads each value through its IO manager; the notebook
        gets parameter NAME, the path of a file holding it, and reads it with
        `marimo_tui.dagster.notebook_io.asset_input(NAME)`.
    partitions_def: partition the asset (daily, static, dynamic…). The run's partition key
        reaches the notebook as parameter `partition_key` (a range of partitions in one run:
        `partition_keys`).
    group: the asset group.
    params: default parameters, passed to the notebook as `--NAME=VALUE` after `--`, which
        `mo.cli_args()` reads back: numbers and `true`/`false` come back typed, a list or tuple
        becomes the argument repeated (a list again when it has 2+ items), a dict is passed as
        JSON text, None leaves the parameter out.
    description: the asset's description. Default: the notebook's first markdown heading,
        else its `app_title`, else the first line of its docstring, else
        "marimo notebook PATH".
    output_dir: where the HTML exports go, one file per run:
        `OUTPUT_DIR/<key path>/<run id>[-<partition>].html`. Default: `marimo/` in the Dagster
        instance's storage folder (`$DAGSTER_HOME/storage`), else in the system's temporary
        folder. A relative folder is resolved like a relative notebook path.
    timeout: seconds the notebook may run; then it is ended and the asset fails.

    Run config: parameters given in a run's config override the defaults, key by key:

        {"ops": {"marimo__sales": {"config": {"params": {"rows": 5}}}}}

    (`ops.<op name>.config.params`, any names and JSON values; the defaults are in the
    schema, so Dagster's launchpad scaffolds them.)

    The asset's value: a cell that calls `asset_output(value)` makes `value` the asset's
    output, stored by the IO manager for downstream assets that take this one as an input.
    Without it the asset records its materialization only (nothing for an input to load).

    Materialization metadata: `html` (path), `html_url` (file:// URL), `summary` (markdown:
    each cell's status and a few lines of its output), `printed` (what the cells printed,
    also written to the run's stdout), `cells` (JSON: position, id, name, line, status,
    output summary and prints of every cell, in file order), `duration_s`, `notebook` (path),
    `params` (JSON: the parameters the run used, with its partition), and `inputs` (the
    upstream key of each input). When a cell raises, the asset fails with a
    `dagster.Failure` whose description names the cell, its error and line, carrying the same
    metadata, which an asset observation also records on the asset; each failing cell is
    also logged as an error.
    """
    base = define.caller_folder()
    path = define.find_notebook(notebook, base)
    info = define.notebook_info(path)
    asset_key = define.asset_key(key, path)
    defaults = dict(params or {})
    define.check_params(defaults, f"marimo_asset({path.name!r}): params")
    inputs = define.asset_ins(ins, f"marimo_asset({path.name!r}): ins")
    define.check_names(defaults, inputs, path)
    out_root = define.resolve(Path(output_dir), base) if output_dir is not None else None

    decorator_args: dict[str, Any] = {
        "key": asset_key,
        "deps": list(deps) if deps is not None else None,
        "ins": inputs or None,
        "partitions_def": partitions_def,
        "group_name": group,
        "description": description or info or f"marimo notebook {path}",
        "metadata": {"notebook": dg.MetadataValue.path(str(path))}
        | ({"default_params": dg.MetadataValue.json(defaults)} if defaults else {}),
        "config_schema": {
            "params": dg.Field(
                define.params_schema(defaults),
                is_required=False,
                description="Parameters for mo.cli_args(); they override the defaults.",
            )
        },
    }
    if "kinds" in inspect.signature(dg.asset).parameters:
        decorator_args["kinds"] = {"marimo"}

    # A generator: a failed run yields its observation before it raises (an event logged with
    # `context.log_event` is lost when the step raises).
    def _marimo_notebook(context: dg.AssetExecutionContext, **upstream: Any) -> Iterator[Any]:
        config = context.op_config or {}
        given = config.get("params") or {}
        define.check_params(given, "params")
        # An unpartitioned asset in a partitioned run (a job over several assets) has none.
        partitioned = partitions_def is not None
        run_params = {**defaults, **given, **(_partition_params(context) if partitioned else {})}
        root = out_root or _storage_root(context.instance)
        suffix = _partition_suffix(context) if partitioned else ""
        target = root.joinpath(*context.asset_key.path) / f"{context.run_id}{suffix}.html"
        with tempfile.TemporaryDirectory(prefix="marimo-asset-") as scratch:
            handed = _hand_over(Path(scratch), upstream)
            output = Path(scratch) / "output.pickle"
            run = _Run(context, path, run_params, inputs, target, timeout, partitioned)
            yield from run.materialize({**handed, OUTPUT_PARAM: str(output)}, output)

    # `**upstream`: Dagster passes each input of `ins` by its name.
    decorate: Callable[[Callable[..., Any]], dg.AssetsDefinition] = dg.asset(**decorator_args)
    return decorate(_marimo_notebook)


def cli_args(params: Mapping[str, Any]) -> list[str]:
    """Parameters as the arguments after `--` that `mo.cli_args()` reads back."""
    args: list[str] = []
    for name, value in params.items():
        if value is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, bool):
                shown = "true" if item else "false"
            elif isinstance(item, dict | list | tuple):
                shown = json.dumps(item, default=str)
            else:
                shown = str(item)
            # One argument `--name=value`: marimo would join a separate value containing
            # spaces with the next words, and split on the first `=` only.
            args.append(f"--{name}={shown}")
    return args


# --- running ---------------------------------------------------------------------------


def _partition_params(context: dg.AssetExecutionContext) -> dict[str, Any]:
    if context.has_partition_key:
        return {PARTITION_PARAM: str(context.partition_key)}
    if context.has_partition_key_range:
        return {PARTITIONS_PARAM: [str(k) for k in context.partition_keys]}
    return {}


def _partition_suffix(context: dg.AssetExecutionContext) -> str:
    if not (context.has_partition_key or context.has_partition_key_range):
        return ""
    if context.has_partition_key:
        shown = str(context.partition_key)
    else:
        keys = context.partition_key_range
        shown = f"{keys.start}...{keys.end}"
    return "-" + re.sub(r"[^A-Za-z0-9_.=-]+", "_", shown)[:80]


def _hand_over(scratch: Path, upstream: Mapping[str, Any]) -> dict[str, str]:
    """Each upstream value into a file of the scratch folder; the parameters naming them."""
    handed: dict[str, str] = {}
    for name, value in upstream.items():
        target = scratch / f"input-{name}.pickle"
        write_value(target, value)
        handed[name] = str(target)
    return handed


class _Run:
    """One materialization: run the notebook, then report it to Dagster either way."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        path: Path,
        params: dict[str, Any],
        inputs: Mapping[str, dg.AssetIn],
        target: Path,
        timeout: float | None,
        partitioned: bool,
    ) -> None:
        self.context, self.path, self.params = context, path, params
        self.inputs, self.target, self.timeout = inputs, target, timeout
        self.partitioned = partitioned

    def materialize(self, handed: dict[str, str], output: Path) -> Iterator[Any]:
        context, path, params = self.context, self.path, self.params
        shown = f" with {_params_text(params)}" if params else ""
        given = f" (inputs: {', '.join(self.inputs)})" if self.inputs else ""
        context.log.info(f"marimo: running {path}{shown}{given}")
        started = time.monotonic()
        try:
            report = export_notebook(
                path,
                "html",
                output=self.target,
                args=cli_args({**params, **handed}),
                timeout=self.timeout,
            )
        except ExportError as exc:
            duration = time.monotonic() - started
            why = visible(str(exc), "")  # may end with a line the notebook wrote
            context.log.error(f"marimo: {path.name}: {why}")
            raise dg.Failure(
                description=f"{path.name}: {why}",
                metadata={
                    "notebook": dg.MetadataValue.path(str(path)),
                    "params": dg.MetadataValue.json(params),
                    "duration_s": dg.MetadataValue.float(round(duration, 3)),
                },
            ) from None
        duration = time.monotonic() - started
        metadata = report_of.metadata(path, params, report, duration) | self._inputs_metadata()
        printed = report_of.printed_text(report)
        if printed:
            # The run's stdout: Dagster keeps it as the step's compute log.
            print(printed, end="" if printed.endswith("\n") else "\n", flush=True)
        outcome = report_of.outcome(report)
        context.log.info(f"marimo: {outcome} in {duration:.1f} s; html: {report.output}")
        if report.ok:
            if output.is_file():
                yield dg.Output(read_value(output), metadata=metadata)
            else:
                yield dg.MaterializeResult(metadata=metadata)
            return
        for failure in report.failures:
            context.log.error(f"marimo: {report_of.failure_line(failure, path)}")
        # A failed step materializes nothing; the observation keeps the run's HTML and prints
        # on the asset, where its materializations are.
        yield (
            dg.AssetObservation(
                asset_key=context.asset_key,
                partition=(
                    context.partition_key
                    if self.partitioned and context.has_partition_key
                    else None
                ),
                description=f"failed run: {report_of.failure_text(path, report)}",
                metadata=metadata,
            )
        )
        raise dg.Failure(description=report_of.failure_text(path, report), metadata=metadata)

    def _inputs_metadata(self) -> dict[str, Any]:
        if not self.inputs:
            return {}
        keys = {
            name: asset_in.key.to_user_string() if asset_in.key else name
            for name, asset_in in self.inputs.items()
        }
        return {"inputs": dg.MetadataValue.json(keys)}


def _params_text(params: Mapping[str, Any]) -> str:
    return " ".join(cli_args(params)) or "no parameters"


def _storage_root(instance: dg.DagsterInstance) -> Path:
    try:
        return Path(instance.storage_directory()) / "marimo"
    except Exception:  # an instance without local storage (Dagster+, custom storage)
        return Path(tempfile.gettempdir()) / "marimo-tui-dagster"
