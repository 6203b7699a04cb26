# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "matplotlib",
#     "pandas",
# ]
# ///
# /// marimo-tui
# description = "Interactive sales dashboard: filters, KPI cards with change vs the previous period, trend and region charts, filtered table"
# data = ["sales.csv"]
#
# [params]
# data = "Orders CSV (date, order_id, region, product, units, amount), relative to the notebook"
# default_metric = "Metric selected when the dashboard opens: amount, units or orders"
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
    import matplotlib.pyplot as plt
    import pandas as pd

    return pd, plt


@app.cell
def _(mo):
    mo.md(r"""
    # Sales dashboard

    Pick regions, a product, a date range, the metric and the time grain; the KPI cards, the
    charts and the table below follow the selection. Each KPI is compared with the **previous
    period of the same length** (e.g. March against February for a one-month range).
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param KEY=VALUE` writes new ones here, and
    # `marimo run notebook.py -- --KEY VALUE` overrides them for one run.
    _defaults = {"data": "data/sales.csv", "default_metric": "amount"}
    params = {**_defaults, **mo.cli_args()}
    if params["default_metric"] not in ("amount", "units", "orders"):
        raise ValueError(
            f"default_metric must be amount, units or orders, got {params['default_metric']!r}"
        )
    return (params,)


@app.cell
def load(mo, params, pd):
    _path = mo.notebook_dir() / str(params["data"])
    if not _path.is_file():
        raise FileNotFoundError(f"sales data not found: {_path}")
    sales = pd.read_csv(_path, parse_dates=["date"])
    _missing = {"date", "order_id", "region", "product", "units", "amount"} - set(sales.columns)
    if _missing:
        raise ValueError(f"{_path.name} lacks column(s): {', '.join(sorted(_missing))}")
    sales["date"] = sales["date"].dt.normalize()
    mo.md(
        f"Loaded **{len(sales):,} rows** from `{_path.name}`: "
        f"{sales['date'].min():%Y-%m-%d} to {sales['date'].max():%Y-%m-%d}, "
        f"{sales['region'].nunique()} regions, {sales['product'].nunique()} products."
    )
    return (sales,)


@app.cell
def controls(mo, params, sales):
    _regions = sorted(sales["region"].astype(str).unique().tolist())
    _products = sorted(sales["product"].astype(str).unique().tolist())
    region = mo.ui.multiselect(options=_regions, value=_regions, label="Regions")
    product = mo.ui.dropdown(
        options={"All products": None, **{_p: _p for _p in _products}},
        value="All products",
        label="Product",
    )
    dates = mo.ui.date_range(
        start=sales["date"].min().date(),
        stop=sales["date"].max().date(),
        label="Dates",
    )
    metric = mo.ui.radio(
        options=["amount", "units", "orders"],
        value=params["default_metric"],
        label="Metric",
        inline=True,
    )
    freq = mo.ui.dropdown(options=["day", "week", "month"], value="week", label="Grain")
    mo.hstack([region, product, dates, metric, freq], wrap=True, align="end")
    return dates, freq, metric, product, region


@app.cell
def selection(dates, pd, product, region, sales):
    # The selected window, and the window of the same length just before it.
    period_start, period_end = (pd.Timestamp(_d) for _d in dates.value)
    _days = (period_end - period_start).days + 1
    previous_end = period_start - pd.Timedelta(days=1)
    previous_start = previous_end - pd.Timedelta(days=_days - 1)
    _mask = sales["region"].isin(region.value)
    if product.value is not None:
        _mask &= sales["product"] == product.value
    filtered = sales[_mask & sales["date"].between(period_start, period_end)].sort_values(
        ["date", "order_id"]
    )
    previous = sales[_mask & sales["date"].between(previous_start, previous_end)]
    return (
        filtered,
        period_end,
        period_start,
        previous,
        previous_end,
        previous_start,
    )


@app.cell
def _(pd):
    def measure(frame: pd.DataFrame, metric: str) -> float:
        """The metric over a frame: orders are counted, amount and units summed."""
        if metric == "orders":
            return float(frame["order_id"].nunique())
        return float(frame[metric].sum())

    def fmt(value: float, metric: str) -> str:
        return f"{value:,.2f}" if metric == "amount" else f"{value:,.0f}"

    return fmt, measure


@app.cell
def kpis(
    filtered,
    fmt,
    measure,
    metric,
    mo,
    period_end,
    period_start,
    previous,
    previous_end,
    previous_start,
):
    _total = measure(filtered, metric.value)
    _before = measure(previous, metric.value)
    _orders = filtered["order_id"].nunique()
    _aov = filtered["amount"].sum() / _orders if _orders else 0.0
    if _before:
        _change = (_total - _before) / _before * 100
        _delta = mo.stat(
            f"{_change:+.1f}%",
            label=f"Change in {metric.value}",
            caption=f"vs {previous_start:%Y-%m-%d} to {previous_end:%Y-%m-%d} ({fmt(_before, metric.value)})",
            direction="increase" if _change >= 0 else "decrease",
            bordered=True,
        )
    else:
        _delta = mo.stat(
            "n/a",
            label=f"Change in {metric.value}",
            caption=f"no data from {previous_start:%Y-%m-%d} to {previous_end:%Y-%m-%d}",
            bordered=True,
        )
    mo.hstack(
        [
            mo.stat(
                fmt(_total, metric.value),
                label=f"Total {metric.value}",
                caption=f"{period_start:%Y-%m-%d} to {period_end:%Y-%m-%d}",
                bordered=True,
            ),
            mo.stat(f"{_orders:,}", label="Orders", bordered=True),
            mo.stat(f"{_aov:,.2f}", label="Average order value", bordered=True),
            _delta,
        ],
        widths="equal",
        gap=1,
    )
    return


@app.cell
def trend_chart(filtered, freq, measure, metric, plt):
    _rule = {"day": "D", "week": "W-MON", "month": "MS"}[freq.value]
    _series = (
        filtered.set_index("date")
        .resample(_rule, label="left", closed="left")
        .apply(lambda _frame: measure(_frame, metric.value))
    )
    _fig, _ax = plt.subplots(figsize=(9, 3.2))
    if _series.empty:
        _ax.text(0.5, 0.5, "No orders in this selection", ha="center", va="center")
        _ax.set_axis_off()
    else:
        _ax.plot(_series.index, _series.to_numpy(), marker="o", markersize=3, color="tab:blue")
        _ax.fill_between(_series.index, _series.to_numpy(), alpha=0.15, color="tab:blue")
        _ax.set_ylim(bottom=0)
        _ax.grid(axis="y", alpha=0.3)
        _ax.set_title(f"{metric.value.capitalize()} per {freq.value}")
    _fig.tight_layout()
    _fig
    return


@app.cell
def region_chart(filtered, measure, metric, plt):
    _by_region = (
        filtered.groupby("region")
        .apply(lambda _frame: measure(_frame, metric.value), include_groups=False)
        .sort_values()
        if not filtered.empty
        else None
    )
    _fig, _ax = plt.subplots(figsize=(9, 2.6))
    if _by_region is None:
        _ax.text(0.5, 0.5, "No orders in this selection", ha="center", va="center")
        _ax.set_axis_off()
    else:
        _bars = _ax.barh(_by_region.index, _by_region.to_numpy(), color="tab:orange")
        _ax.bar_label(_bars, fmt="{:,.0f}", padding=3)
        _ax.set_xlim(right=_by_region.max() * 1.15)
        _ax.set_title(f"{metric.value.capitalize()} by region")
    _fig.tight_layout()
    _fig
    return


@app.cell
def table(filtered, mo):
    mo.ui.table(
        filtered.assign(date=filtered["date"].dt.date).sort_values(
            ["date", "order_id"], ascending=False
        ),
        page_size=10,
        selection=None,
        label=f"{len(filtered):,} orders in the selection",
    )
    return


@app.cell
def summary(filtered, fmt, measure, metric, mo, period_end, period_start):
    if filtered.empty:
        _text = "No orders match the selection: widen the regions, product or dates."
    else:
        _regions = filtered.groupby("region")["amount"].sum().sort_values(ascending=False)
        _products = filtered.groupby("product")["amount"].sum().sort_values(ascending=False)
        _text = (
            f"From {period_start:%Y-%m-%d} to {period_end:%Y-%m-%d}: "
            f"**{fmt(measure(filtered, metric.value), metric.value)} {metric.value}** over "
            f"{filtered['order_id'].nunique():,} orders. Top region **{_regions.index[0]}** "
            f"({_regions.iloc[0] / _regions.sum():.0%} of the amount), top product "
            f"**{_products.index[0]}** ({_products.iloc[0] / _products.sum():.0%})."
        )
    mo.md(f"""
    ## Summary

    {_text}
    """)
    return


if __name__ == "__main__":
    app.run()
