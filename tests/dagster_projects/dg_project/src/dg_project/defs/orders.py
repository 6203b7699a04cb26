import dagster as dg
import pandas as pd

from dg_project.defs.partitions import daily


@dg.asset(partitions_def=daily, group_name="sales")
def orders(context: dg.AssetExecutionContext) -> pd.DataFrame:
    """The day's orders: one row per order, the day's number of orders grows with the date."""
    day = pd.Timestamp(context.partition_key)
    return pd.DataFrame(
        {
            "day": [context.partition_key] * day.day,
            "amount": [10.0 * (i + 1) for i in range(day.day)],
        }
    )


@dg.asset(group_name="sales")
def regions() -> list[str]:
    return ["north", "south"]
