# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "marimo-tui[dagster]",
# ]
# ///
# /// marimo-tui
# description = "A notebook that is also a Dagster asset (marimo_asset), with run parameters"
# dagster = true
#
# [params]
# rows = "How many rows the asset produces"
# region = "Only rows of this region (empty: all)"
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell
def _(mo):
    mo.md(r"""
    # Dagster asset

    Dagster runs this notebook with `marimo_asset` and keeps each run's HTML export; the
    parameters below come from the run's config (`mo.cli_args()`).
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui run NOTEBOOK --param rows=20` or the run config override them.
    _defaults = {"rows": 8, "region": ""}
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def build(params):
    _regions = ["north", "south", "east", "west"]
    table = [
        {"region": _regions[i % len(_regions)], "amount": 10 * (i + 1)}
        for i in range(int(params["rows"]))
    ]
    if params["region"]:
        table = [row for row in table if row["region"] == params["region"]]
    table
    return (table,)


@app.cell
def check(table):
    # A failing check fails the Dagster run, with this cell's error in the run's log.
    assert all(row["amount"] > 0 for row in table), "amounts must be positive"
    return


@app.cell
def _(mo, table):
    mo.md(f"""
    **{len(table)} rows**, total amount {sum(row["amount"] for row in table)}
    """)
    return


if __name__ == "__main__":
    app.run()
