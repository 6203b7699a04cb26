# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "duckdb",
#     "marimo>=0.25",
#     "pandas",
#     "sqlglot",
# ]
# ///
# /// marimo-tui
# description = "SQL over pandas dataframes with mo.sql (DuckDB): aggregates, a join with targets, window functions, a safely parameterised query, reconciled against pandas"
# data = ["sales.csv", "targets.csv"]
#
# [params]
# data = "Orders CSV (date, order_id, region, product, units, amount), relative to the notebook"
# targets = "Targets CSV (region, monthly_target), relative to the notebook"
# min_amount = "Orders at or above this amount are listed as large orders (a number ≥ 0)"
# region = "Only large orders of this region (empty: all regions)"
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell
def _():
    import math

    import pandas as pd

    return math, pd


@app.cell
def _(mo):
    mo.md(r"""
    # SQL over dataframes

    `mo.sql` runs a query with DuckDB; every dataframe defined in the notebook is a table the
    query can name (`FROM sales`), and the result is a dataframe again, so SQL and Python cells
    chain. Each query below is reconciled against pandas at the end: SQL that silently drops or
    duplicates rows is the classic bug of a reporting pipeline.
    """)
    return


@app.cell
def parameters(math, mo):
    # Defaults: `marimo-tui new --param KEY=VALUE` writes new ones here, and
    # `marimo run notebook.py -- --KEY VALUE` overrides them for one run.
    _defaults = {
        "data": "data/sales.csv",
        "targets": "data/targets.csv",
        "min_amount": 150.0,
        "region": "",
    }
    params = {**_defaults, **mo.cli_args()}
    try:
        _min = float(params["min_amount"])
    except (TypeError, ValueError):
        raise ValueError(f"min_amount must be a number, got {params['min_amount']!r}") from None
    if not math.isfinite(_min) or _min < 0:
        raise ValueError(f"min_amount must be a number ≥ 0, got {params['min_amount']!r}")
    return (params,)


@app.cell
def load(mo, params, pd):
    def _read(name: str, columns: set[str], **kwargs) -> pd.DataFrame:
        _path = mo.notebook_dir() / str(params[name])
        if not _path.is_file():
            raise FileNotFoundError(f"{name} file not found: {_path}")
        _frame = pd.read_csv(_path, **kwargs)
        _missing = columns - set(_frame.columns)
        if _missing:
            raise ValueError(f"{_path.name} lacks column(s): {', '.join(sorted(_missing))}")
        return _frame

    sales = _read(
        "data",
        {"date", "order_id", "region", "product", "units", "amount"},
        parse_dates=["date"],
    )
    targets = _read("targets", {"region", "monthly_target"})
    mo.md(
        f"`sales`: **{len(sales):,} orders**, {sales['date'].min():%Y-%m-%d} to "
        f"{sales['date'].max():%Y-%m-%d}. `targets`: **{len(targets)} regions** with a "
        "monthly revenue target."
    )
    return sales, targets


@app.cell
def _(mo):
    mo.md(r"""
    ## 1. Aggregates

    Revenue per region, and per region and month (`strftime` buckets the order dates).
    """)
    return


@app.cell
def by_region_sql(mo, sales):
    by_region = mo.sql(
        f"""
        SELECT
            region,
            count(*) AS orders,
            CAST(sum(units) AS BIGINT) AS units,
            round(sum(amount), 2) AS revenue,
            round(avg(amount), 2) AS avg_order_value
        FROM sales
        GROUP BY region
        ORDER BY revenue DESC
        """
    )
    return (by_region,)


@app.cell
def monthly_sql(mo, sales):
    monthly = mo.sql(
        f"""
        SELECT
            region,
            strftime(date, '%Y-%m') AS month,
            count(*) AS orders,
            round(sum(amount), 2) AS revenue
        FROM sales
        GROUP BY region, month
        ORDER BY month, region
        """,
        output=False
    )
    return (monthly,)


@app.cell
def _(mo):
    mo.md(r"""
    ## 2. Join with the targets

    A `LEFT JOIN` keeps every month of every region, also when a region has no target yet
    (its target is then `NULL`, caught by the checks below).
    """)
    return


@app.cell
def vs_target_sql(mo, monthly, targets):
    vs_target = mo.sql(
        f"""
        SELECT
            m.region,
            m.month,
            m.revenue,
            t.monthly_target AS target,
            round(100 * m.revenue / t.monthly_target, 1) AS attainment_pct,
            m.revenue >= t.monthly_target AS hit
        FROM monthly AS m
        LEFT JOIN targets AS t ON t.region = m.region
        ORDER BY m.month, m.region
        """
    )
    return (vs_target,)


@app.cell
def _(mo):
    mo.md(r"""
    ## 3. Window functions

    The running revenue of each region through the months, the month-over-month change, and
    each region's rank within its month.
    """)
    return


@app.cell
def running_sql(mo, monthly):
    running = mo.sql(
        f"""
        SELECT
            region,
            month,
            revenue,
            round(sum(revenue) OVER (PARTITION BY region ORDER BY month), 2) AS running_revenue,
            round(revenue - lag(revenue) OVER (PARTITION BY region ORDER BY month), 2)
                AS change_vs_previous_month,
            rank() OVER (PARTITION BY month ORDER BY revenue DESC) AS rank_in_month
        FROM monthly
        ORDER BY region, month
        """
    )
    return (running,)


@app.cell
def _(mo):
    mo.md(r"""
    ## 4. A parameterised query, safely

    `mo.sql` takes an f-string, so a value pasted into it becomes SQL text. Never interpolate
    raw user input: here `min_amount` is converted to a `float` (its text cannot carry SQL)
    and `region` must be one of the regions in the data, and is quoted as a SQL string literal
    (`'` doubled) all the same.
    """)
    return


@app.cell
def query_params(params, sales):
    min_amount = float(params["min_amount"])
    _region = str(params["region"]).strip()
    _known = sorted(sales["region"].astype(str).unique())
    if _region and _region not in _known:
        raise ValueError(f"region must be one of {', '.join(_known)} or empty, got {_region!r}")
    region_literal = "'" + _region.replace("'", "''") + "'"
    return min_amount, region_literal


@app.cell
def large_orders_sql(min_amount, mo, region_literal, sales):
    large_orders = mo.sql(
        f"""
        SELECT order_id, strftime(date, '%Y-%m-%d') AS day, region, product, units, amount
        FROM sales
        WHERE amount >= {min_amount}
          AND ({region_literal} = '' OR region = {region_literal})
        ORDER BY amount DESC, order_id
        """
    )
    return (large_orders,)


@app.cell
def checks(
    by_region,
    large_orders,
    min_amount,
    mo,
    monthly,
    params,
    running,
    sales,
    targets,
    vs_target,
):
    # Reconcile every SQL result with pandas: a failing check stops the notebook here.
    _revenue = sales.groupby("region")["amount"].sum().round(2)
    _sql_revenue = by_region.set_index("region")["revenue"]
    assert _sql_revenue.sort_index().to_dict() == _revenue.sort_index().to_dict(), (
        "revenue per region differs between SQL and pandas"
    )
    assert int(by_region["orders"].sum()) == len(sales), "by_region lost or duplicated orders"
    assert int(monthly["orders"].sum()) == len(sales), "monthly lost or duplicated orders"
    assert len(vs_target) == len(monthly), "the join with targets duplicated rows"
    _last = running.groupby("region")["running_revenue"].last().round(2)
    assert (_last - _revenue).abs().max() < 0.01, "running totals do not end at the region total"
    _expected = sales[sales["amount"] >= min_amount]
    if str(params["region"]).strip():
        _expected = _expected[_expected["region"] == str(params["region"]).strip()]
    assert sorted(large_orders["order_id"]) == sorted(_expected["order_id"]), (
        "large_orders differs from pandas' filter"
    )
    _untargeted = sorted(set(sales["region"]) - set(targets["region"]))
    mo.callout(
        mo.md(
            "All SQL results reconcile with pandas."
            + (
                f" Regions without a target: **{', '.join(_untargeted)}**."
                if _untargeted
                else " Every region has a target."
            )
        ),
        kind="warn" if _untargeted else "success",
    )
    return


@app.cell
def summary(
    by_region,
    large_orders,
    min_amount,
    mo,
    params,
    running,
    vs_target,
):
    _hits = int(vs_target["hit"].fillna(False).sum())
    _leader = running.sort_values("month").groupby("region")["running_revenue"].last().idxmax()
    _scope = f"in {params['region']}" if str(params["region"]).strip() else "in all regions"
    _lines = [
        "## Summary",
        "",
        "| region | orders | revenue | avg order value |",
        "|---|---:|---:|---:|",
        *(
            f"| {_r.region} | {_r.orders:,} | {_r.revenue:,.2f} | {_r.avg_order_value:,.2f} |"
            for _r in by_region.itertuples()
        ),
        "",
        f"- Total revenue **{by_region['revenue'].sum():,.2f}** from "
        f"{int(by_region['orders'].sum()):,} orders.",
        f"- Targets hit in **{_hits} of {len(vs_target)}** region-months; "
        f"**{_leader}** leads the running total.",
        f"- **{len(large_orders)} large orders** (amount ≥ {min_amount:,.2f}) {_scope}, "
        f"worth {large_orders['amount'].sum():,.2f}.",
    ]
    mo.md("\n".join(_lines))
    return


if __name__ == "__main__":
    app.run()
