import dagster as dg

from marimo_tui.dagster import marimo_asset

from .kpis import kpis

weekly = marimo_asset("../notebooks/weekly.py", key=["reports", "weekly"], group="reports")

defs = dg.Definitions(assets=[kpis, weekly])
