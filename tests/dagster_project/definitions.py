"""A Dagster code location of three marimo notebooks, for the tests and a local webserver:

    dagster dev -f tests/dagster_project/definitions.py

`marimo/sales` succeeds (parameter `rows`), `marimo/broken` fails in its cell `load_rows`,
`marimo/slow` waits `seconds` (60 unless the run config says otherwise) to be terminated.
"""

import dagster as dg

from marimo_tui.dagster import marimo_asset

sales = marimo_asset(
    "notebooks/sales.py", key=["marimo", "sales"], group="notebooks", params={"rows": 3}
)
broken = marimo_asset(
    "notebooks/broken.py", key=["marimo", "broken"], group="notebooks", deps=[sales]
)
slow = marimo_asset(
    "notebooks/slow.py", key=["marimo", "slow"], group="notebooks", params={"seconds": 60}
)

# One process a run: the default executor starts another per step (~7 s a run here, not ~2.5),
# and the tests launch many runs. Nothing of marimo-tui's depends on the executor.
defs = dg.Definitions(assets=[sales, broken, slow], executor=dg.in_process_executor)
