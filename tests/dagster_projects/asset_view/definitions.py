"""A code location for the runs pane and its asset view (tests/test_tui_runs_pane.py):

    dagster dev -f tests/dagster_projects/asset_view/definitions.py

`chatty` logs `lines` lines, `pause` seconds apart (a run that streams events, and a long log);
`daily` has seven daily partitions, `regions` three static ones of which `east` fails;
`checked` has a check that passes and one that fails; `plain` just succeeds.
"""

import time

import dagster as dg

DAYS = dg.DailyPartitionsDefinition(start_date="2026-11-01", end_date="2026-11-08")
REGIONS = dg.StaticPartitionsDefinition(["north", "south", "east"])


@dg.asset(
    group_name="view",
    config_schema={
        "lines": dg.Field(int, default_value=300),
        "pause": dg.Field(float, default_value=0.0),
    },
)
def chatty(context: dg.AssetExecutionContext) -> int:
    config = context.op_execution_context.op_config
    for i in range(config["lines"]):
        context.log.info(f"chatty line {i:04d}")
        time.sleep(config["pause"])
    return config["lines"]


@dg.asset(group_name="view", partitions_def=DAYS)
def daily(context: dg.AssetExecutionContext) -> str:
    return context.partition_key


@dg.asset(group_name="view", partitions_def=REGIONS)
def regions(context: dg.AssetExecutionContext) -> str:
    if context.partition_key == "east":
        raise ValueError("no data for east")
    return context.partition_key


@dg.asset(group_name="view")
def checked() -> int:
    return 1


@dg.asset_check(asset=checked)
def checked_is_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=checked)
def checked_is_big() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, description="1 is not big")


@dg.asset(group_name="view")
def plain() -> int:
    return 1


# One process a run: the default executor starts another per step (~7 s a run here, not ~2.5),
# and the tests launch many runs. Nothing of marimo-tui's depends on the executor.
defs = dg.Definitions(
    assets=[chatty, daily, regions, checked, plain],
    asset_checks=[checked_is_positive, checked_is_big],
    executor=dg.in_process_executor,
)
