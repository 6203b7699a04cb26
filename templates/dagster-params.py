# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "marimo-tui[dagster]",
#     "pandas>=2",
# ]
# ///
# /// marimo-tui
# description = "A parameterised notebook for Dagster: one date window per run (like a partition), validated params, one output file per window"
# dagster = true
# data = ["sales.csv"]
#
# [params]
# data = "The orders file (CSV), relative to the notebook"
# start = "First day of the window (YYYY-MM-DD)"
# days = "How many days the window covers"
# region = "Only orders of this region (empty: all regions)"
# min_orders = "Fail the run when the window has fewer orders than this"
# output_dir = "Folder of the per-window files, relative to the notebook"
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import datetime as dt

    import marimo as mo
    import pandas as pd

    return dt, mo, pd


@app.cell
def _(mo):
    mo.md(r"""
    # Orders for one date window

    Each Dagster run processes one window, given by its run config (`start`, `days`), like a
    partition: `marimo-tui run NOTEBOOK --param start=2024-03-01 --param days=7`. Rerunning a
    window rewrites only that window's file, so backfills are safe to repeat.
    """)
    return


@app.cell
def parameters(mo):
    _defaults = {
        "data": "data/sales.csv",
        "start": "2024-06-01",
        "days": 7,
        "region": "",
        "min_orders": 1,
        "output_dir": "data/windows",
    }
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def window(dt, params):
    # Run config arrives as text or numbers: check everything before any work is done.
    try:
        start = dt.date.fromisoformat(str(params["start"]))
    except ValueError:
        raise ValueError(f"start must be a date like 2024-06-01, got {params['start']!r}") from None
    days = int(params["days"])
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    end = start + dt.timedelta(days=days)  # exclusive
    return end, start


@app.cell
def load(end, mo, params, pd, start):
    _path = mo.notebook_dir() / str(params["data"])
    if not _path.is_file():
        raise FileNotFoundError(f"no orders file at {_path}")
    _all = pd.read_csv(_path, parse_dates=["date"])
    _dates = _all["date"].dt.date
    orders = _all[(_dates >= start) & (_dates < end)]
    if params["region"]:
        orders = orders[orders["region"] == params["region"]]
    if len(orders) < int(params["min_orders"]):
        raise ValueError(
            f"{len(orders)} orders between {start} and {end} (fewer than min_orders="
            f"{params['min_orders']}); the data covers {_dates.min()} to {_dates.max()}"
        )
    return (orders,)


@app.cell
def summary(orders):
    by_product = (
        orders.groupby("product")
        .agg(orders=("order_id", "count"), units=("units", "sum"), revenue=("amount", "sum"))
        .sort_values("revenue", ascending=False)
    )
    by_product
    return (by_product,)


@app.cell
def write(by_product, mo, params, start):
    _region = params["region"] or "all"
    _folder = mo.notebook_dir() / str(params["output_dir"])
    _folder.mkdir(parents=True, exist_ok=True)
    written = _folder / f"{start.isoformat()}_{int(params['days'])}d_{_region}.csv"
    by_product.to_csv(written)
    return (written,)


@app.cell
def _(by_product, end, mo, orders, start, written):
    mo.md(f"""
    **{len(orders)} orders** from {start} to {end} (exclusive), revenue
    {by_product["revenue"].sum():,.2f}; written to `{written.name}`
    """)
    return


if __name__ == "__main__":
    app.run()
