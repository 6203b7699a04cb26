import dagster as dg
import pandas as pd

from dg_project.defs.partitions import daily


@dg.asset(partitions_def=daily, group_name="sales")
def report_total(daily_report: pd.DataFrame) -> float:
    """Downstream of the notebook: takes the value its cell handed on."""
    return float(daily_report["total"].sum())
