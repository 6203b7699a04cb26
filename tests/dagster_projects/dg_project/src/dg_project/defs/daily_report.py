from dg_project.defs.partitions import daily
from marimo_tui.dagster import marimo_asset

# A partitioned notebook asset with an upstream input: the day's orders reach the notebook.
daily_report = marimo_asset(
    "../../../notebooks/daily_report.py",
    key="daily_report",
    group="notebooks",
    partitions_def=daily,
    ins={"orders": "orders"},
    deps=["regions"],
)
