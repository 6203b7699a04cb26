import dagster as dg

from marimo_tui.dagster import marimo_asset

from .kpis import kpis

weekly = marimo_asset("../notebooks/weekly.py", key=["reports", "weekly"], group="reports")

# One process a run: the default executor starts another per step (~7 s a run here, not ~2.5),
# and the tests launch many runs. Nothing of marimo-tui's depends on the executor.
defs = dg.Definitions(assets=[kpis, weekly], executor=dg.in_process_executor)
