"""A code location with every kind of launch Dagster has, for marimo-tui's launch tests:

    dagster dev -f tests/dagster_projects/launch_kinds/definitions.py

- `daily` (daily partitions from 2024-01-01 to 2024-01-31), `colour` (static: red, green,
  blue), `region` (dynamic: the keys added to Dagster's `regions`) and `shelf` (two dimensions:
  colour × size) need a partition; they write it where the tests can read it back.
- `configured` needs run config (a `dg.Config`, `rows` has no default).
- `sums_job` is a job over assets; `greet_job` an op job whose op needs `name`.
- `graph_pair` (`pair/left`, `pair/right`) is a graph-backed multi-asset that cannot be subset;
  `split/one`, `split/two` are an `@multi_asset(can_subset=True)`.
- `flaky` fails until a marker file exists (re-execute from failure); `checked` has an asset
  check.
Each asset writes what it ran with to `$LAUNCH_KINDS_OUT/<name>.json` (default: beside this file).
"""

import json
import os
from pathlib import Path

import dagster as dg

OUT = Path(os.environ.get("LAUNCH_KINDS_OUT") or Path(__file__).parent / "out")


def record(file: str, **values: object) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{file}.json").write_text(json.dumps(values, sort_keys=True))


daily_partitions = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")
colours = dg.StaticPartitionsDefinition(["red", "green", "blue"])


@dg.asset(partitions_def=daily_partitions, group_name="partitioned")
def daily(context: dg.AssetExecutionContext) -> None:
    record(f"daily-{context.partition_key}", partition=context.partition_key)


@dg.asset(partitions_def=colours, group_name="partitioned")
def colour(context: dg.AssetExecutionContext) -> None:
    record("colour", partition=context.partition_key)


regions = dg.DynamicPartitionsDefinition(name="regions")
shelves = dg.MultiPartitionsDefinition(
    {"colour": colours, "size": dg.StaticPartitionsDefinition(["s", "l"])}
)


@dg.asset(partitions_def=regions, group_name="partitioned")
def region(context: dg.AssetExecutionContext) -> None:
    record(f"region-{context.partition_key}", partition=context.partition_key)


@dg.asset(partitions_def=shelves, group_name="partitioned")
def shelf(context: dg.AssetExecutionContext) -> None:
    key = context.partition_key
    assert isinstance(key, dg.MultiPartitionKey)
    record("shelf", partition=str(key), dimensions=key.keys_by_dimension)


class RowsConfig(dg.Config):
    rows: int
    label: str = "plain"


@dg.asset(group_name="configured")
def configured(config: RowsConfig) -> None:
    record("configured", rows=config.rows, label=config.label)


@dg.asset(group_name="jobs")
def base() -> int:
    return 1


@dg.asset(group_name="jobs")
def doubled(base: int) -> int:
    record("doubled", value=base * 2)
    return base * 2


sums_job = dg.define_asset_job("sums_job", selection=["base", "doubled"])


class GreetConfig(dg.Config):
    name: str


@dg.op
def greet(config: GreetConfig) -> None:
    record("greet", name=config.name)


@dg.job
def greet_job() -> None:
    greet()


@dg.op(out={"left": dg.Out(), "right": dg.Out()})
def split_pair() -> tuple[int, int]:
    return 1, 2


@dg.graph_multi_asset(
    outs={"left": dg.AssetOut(key=["pair", "left"]), "right": dg.AssetOut(key=["pair", "right"])},
    group_name="multi",
)
def graph_pair():  # type: ignore[no-untyped-def]
    left, right = split_pair()
    return {"left": left, "right": right}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["split", "one"], group_name="multi"),
        dg.AssetSpec(["split", "two"], group_name="multi"),
    ],
    can_subset=True,
)
def split(context: dg.AssetExecutionContext):  # type: ignore[no-untyped-def]
    keys = sorted("/".join(k.path) for k in context.selected_asset_keys)
    record("split", keys=keys)
    for key in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=key)


@dg.asset(group_name="flaky")
def flaky_first() -> None:
    record("flaky_first", ran=True)


@dg.asset(group_name="flaky", deps=[flaky_first])
def flaky(context: dg.AssetExecutionContext) -> None:
    marker = OUT / "flaky.ok"
    if not marker.exists():
        raise RuntimeError(f"flaky fails until {marker.name} exists")
    record("flaky", tags=dict(context.run.tags))


@dg.asset(group_name="checked")
def checked() -> int:
    return 3


@dg.asset_check(asset=checked)
def checked_is_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


# One process a run: the default executor starts another per step (~7 s a run here, not ~2.5),
# and the tests launch many runs. Nothing of marimo-tui's depends on the executor.
defs = dg.Definitions(
    assets=[
        daily,
        colour,
        region,
        shelf,
        configured,
        base,
        doubled,
        graph_pair,
        split,
        flaky_first,
        flaky,
        checked,
    ],
    asset_checks=[checked_is_positive],
    jobs=[sums_job, greet_job],
    executor=dg.in_process_executor,
)
