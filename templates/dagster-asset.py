# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "marimo-tui[dagster]",
#     "pandas>=2",
# ]
# ///
# /// marimo-tui
# description = "A Dagster asset notebook: sales to a daily revenue table for downstream assets, checked on each run"
# dagster = true
# data = ["sales.csv"]
#
# [params]
# data = "The orders file the asset reads (CSV), relative to the notebook"
# region = "Only orders of this region (empty: all regions)"
# output = "Where the daily table is written (CSV or .parquet), relative to the notebook"
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import pandas as pd

    from marimo_tui.dagster.notebook_io import asset_output

    return asset_output, mo, pd


@app.cell
def _(mo):
    mo.md(r"""
    # Daily revenue

    Dagster runs this notebook as an asset (`marimo_asset`) and keeps each run's HTML export.
    The parameters come from the run's config (`mo.cli_args()`); the table it writes, also
    handed to Dagster with `asset_output`, is what downstream assets read.
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui run NOTEBOOK --param region=north` or the run config override them.
    _defaults = {"data": "data/sales.csv", "region": "", "output": "data/daily_revenue.csv"}
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def load(mo, params, pd):
    _path = mo.notebook_dir() / str(params["data"])
    if not _path.is_file():
        raise FileNotFoundError(f"no orders file at {_path}")
    orders = pd.read_csv(_path, parse_dates=["date"])
    if params["region"]:
        orders = orders[orders["region"] == params["region"]]
        if orders.empty:
            raise ValueError(f"no orders for region {params['region']!r}")
    orders
    return (orders,)


@app.cell
def build(orders):
    daily = (
        orders.groupby([orders["date"].dt.date.rename("day"), "region"])
        .agg(orders=("order_id", "count"), units=("units", "sum"), revenue=("amount", "sum"))
        .reset_index()
        .sort_values(["day", "region"], ignore_index=True)
    )
    daily
    return (daily,)


@app.cell
def check(daily, orders):
    # A failing check fails the Dagster run, with this cell's error in the run's log, and
    # keeps `write` from running: the last good table stays where it was.
    assert (daily["revenue"] >= 0).all(), "revenue must not be negative"
    assert not daily.duplicated(["day", "region"]).any(), "one row per day and region"
    assert round(daily["revenue"].sum(), 2) == round(orders["amount"].sum(), 2), "revenue lost"
    checked = daily
    return (checked,)


@app.cell
def write(asset_output, checked, mo, params):
    _out = mo.notebook_dir() / str(params["output"])
    _out.parent.mkdir(parents=True, exist_ok=True)
    if _out.suffix == ".parquet":
        checked.to_parquet(_out, index=False)
    else:
        checked.to_csv(_out, index=False)
    # The asset's value: stored by Dagster's IO manager for assets that take it as an input.
    asset_output(checked)
    written = _out
    return (written,)


@app.cell
def _(daily, mo, written):
    mo.md(f"""
    **{len(daily)} rows**, revenue {daily["revenue"].sum():,.2f} over
    {daily["day"].nunique()} days, written to `{written.name}`
    """)
    return


if __name__ == "__main__":
    app.run()
