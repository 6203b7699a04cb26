# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "matplotlib",
#     "pandas",
# ]
# ///
# /// marimo-tui
# description = "Period sales report in markdown: headline figures vs the previous period, top products and regions, callouts for big changes, a chart; export it as HTML"
# data = ["sales.csv"]
#
# [params]
# data = "Orders CSV (date, order_id, region, product, units, amount), relative to the notebook"
# title = "Report title"
# period_start = "First day of the reported period (YYYY-MM-DD)"
# period_end = "Last day of the reported period, inclusive (YYYY-MM-DD)"
# alert_pct = "Changes of at least this many percent get a callout"
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
    import datetime as dt

    import matplotlib.pyplot as plt
    import pandas as pd

    return dt, pd, plt


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param KEY=VALUE` writes new ones here, and
    # `marimo run notebook.py -- --KEY VALUE` overrides them for one run.
    # HTML: `marimo export html report.py -o report.html -- --period_start 2024-05-01`
    _defaults = {
        "data": "data/sales.csv",
        "title": "Sales report",
        "period_start": "2024-04-01",
        "period_end": "2024-06-30",
        "alert_pct": 10.0,
    }
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def period(dt, params):
    def _day(name: str) -> dt.date:
        try:
            return dt.date.fromisoformat(str(params[name]).strip())
        except ValueError:
            raise ValueError(
                f"{name} must be an ISO date (YYYY-MM-DD), got {params[name]!r}"
            ) from None

    start, end = _day("period_start"), _day("period_end")
    if end < start:
        raise ValueError(
            f"period_end {end} is before period_start {start}: the end date must be on or after the start date"
        )
    try:
        alert_pct = float(params["alert_pct"])
    except (TypeError, ValueError):
        alert_pct = float("nan")
    if not alert_pct >= 0:
        raise ValueError(f"alert_pct must be a number ≥ 0, got {params['alert_pct']!r}")
    # The previous period has the same length and ends the day before `start`.
    days = (end - start).days + 1
    prev_end = start - dt.timedelta(days=1)
    prev_start = prev_end - dt.timedelta(days=days - 1)
    return alert_pct, days, end, prev_end, prev_start, start


@app.cell
def load(end, mo, params, pd, prev_end, prev_start, start):
    _path = mo.notebook_dir() / str(params["data"])
    if not _path.is_file():
        raise FileNotFoundError(f"sales data not found: {_path}")
    sales = pd.read_csv(_path, parse_dates=["date"])
    _missing = {"date", "order_id", "region", "product", "units", "amount"} - set(sales.columns)
    if _missing:
        raise ValueError(f"{_path.name} lacks column(s): {', '.join(sorted(_missing))}")
    _day = sales["date"].dt.date
    current = sales[(_day >= start) & (_day <= end)]
    previous = sales[(_day >= prev_start) & (_day <= prev_end)]
    return current, previous, sales


@app.cell
def _():
    def figures(frame):
        """Headline figures of a set of orders."""
        _orders = int(frame["order_id"].nunique())
        _revenue = float(frame["amount"].sum())
        return {
            "Revenue": _revenue,
            "Orders": _orders,
            "Units": int(frame["units"].sum()),
            "Average order value": _revenue / _orders if _orders else 0.0,
        }

    def change(now: float, before: float) -> float | None:
        """Percent change, or None when there is nothing to compare with."""
        return (now - before) / before * 100 if before else None

    def arrow(pct: float | None) -> str:
        if pct is None:
            return "n/a"
        return f"{'▲' if pct > 0 else '▼' if pct < 0 else '▬'} {pct:+.1f}%"

    def fmt(value: float) -> str:
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"

    return arrow, change, figures, fmt


@app.cell(hide_code=True)
def title(days, end, mo, params, prev_end, prev_start, sales, start):
    mo.md(f"""
    # {params["title"]}

    **{start:%d %B %Y} – {end:%d %B %Y}** ({days} days), compared with the previous
    {days} days ({prev_start:%d %B %Y} – {prev_end:%d %B %Y}). Source: {len(sales):,} orders
    from {sales["date"].min():%d %B %Y} to {sales["date"].max():%d %B %Y}.
    """)
    return


@app.cell(hide_code=True)
def headline(
    arrow,
    change,
    current,
    end,
    figures,
    fmt,
    mo,
    previous,
    sales,
    start,
):
    now, before = figures(current), figures(previous)
    if current.empty:
        _out = mo.callout(
            mo.md(
                f"**No orders between {start} and {end}.** The data covers "
                f"{sales['date'].min():%Y-%m-%d} to {sales['date'].max():%Y-%m-%d}; "
                "pick a period inside it."
            ),
            kind="warn",
        )
    else:
        _rows = [
            f"| {_name} | {fmt(now[_name])} | {fmt(before[_name])} | "
            f"{arrow(change(now[_name], before[_name]))} |"
            for _name in now
        ]
        _out = mo.md(
            "## Headline figures\n\n| | this period | previous period | change |\n"
            "|---|---:|---:|---:|\n" + "\n".join(_rows)
        )
    _out
    return before, now


@app.cell(hide_code=True)
def notable(alert_pct, before, change, current, mo, now, previous):
    # A callout for every headline figure and every region that moved by at least alert_pct.
    _notes = []
    for _name in now:
        _pct = change(now[_name], before[_name])
        if _pct is not None and abs(_pct) >= alert_pct:
            _notes.append((_pct, f"**{_name}** {'rose' if _pct > 0 else 'fell'} {abs(_pct):.1f}%"))
    _now = current.groupby("region")["amount"].sum()
    _before = previous.groupby("region")["amount"].sum()
    for _region, _value in _now.items():
        _pct = change(_value, _before.get(_region, 0.0))
        if _pct is not None and abs(_pct) >= alert_pct:
            _notes.append(
                (
                    _pct,
                    f"Revenue in **{_region}** {'rose' if _pct > 0 else 'fell'} {abs(_pct):.1f}%",
                )
            )
    if current.empty:
        _out = mo.md("")
    elif previous.empty:
        _out = mo.callout(
            mo.md("No orders in the previous period: there is nothing to compare with."),
            kind="info",
        )
    elif not _notes:
        _out = mo.callout(
            mo.md(f"No figure or region moved by {alert_pct:g}% or more."), kind="neutral"
        )
    else:
        _out = mo.vstack(
            [
                mo.callout(
                    mo.md(_text + " against the previous period."),
                    kind="success" if _pct > 0 else "danger",
                )
                for _pct, _text in _notes
            ]
        )
    _out
    return


@app.cell
def _(arrow, change, fmt):
    def breakdown(orders, earlier, column: str, top: int = 5) -> str:
        """A markdown table of revenue by `column`: share and change vs the previous period."""
        _now = orders.groupby(column).agg(revenue=("amount", "sum"), orders=("order_id", "nunique"))
        _now = _now.sort_values("revenue", ascending=False).head(top)
        _before = earlier.groupby(column)["amount"].sum()
        _total = orders["amount"].sum()
        _lines = [
            f"| {column} | revenue | share | orders | change |",
            "|---|---:|---:|---:|---:|",
        ]
        for _key, _row in _now.iterrows():
            _pct = change(_row["revenue"], _before.get(_key, 0.0))
            _lines.append(
                f"| {_key} | {fmt(float(_row['revenue']))} | {_row['revenue'] / _total:.0%} | "
                f"{int(_row['orders']):,} | {arrow(_pct)} |"
            )
        return "\n".join(_lines)

    return (breakdown,)


@app.cell(hide_code=True)
def tables(breakdown, current, mo, previous):
    if current.empty:
        _out = mo.md("")
    else:
        _out = mo.md(
            "## Top products\n\n"
            + breakdown(current, previous, "product")
            + "\n\n## Regions\n\n"
            + breakdown(current, previous, "region")
        )
    _out
    return


@app.cell(hide_code=True)
def chart(current, days, mo, pd, plt, prev_start, previous, start):
    # Cumulative revenue by day of the period: both periods on one axis.
    def _cumulative(frame, first):
        _offset = (frame["date"] - pd.Timestamp(first)).dt.days
        _daily = frame.groupby(_offset)["amount"].sum().reindex(range(days), fill_value=0.0)
        return _daily.cumsum()

    if current.empty:
        _out = mo.md("")
    else:
        _fig, _ax = plt.subplots(figsize=(9, 3.4))
        _ax.plot(_cumulative(current, start), label=f"this period, from {start}", color="tab:blue")
        if not previous.empty:
            _ax.plot(
                _cumulative(previous, prev_start),
                label=f"previous period, from {prev_start}",
                color="tab:gray",
                linestyle="--",
            )
        _ax.set_xlabel("day of the period")
        _ax.set_ylabel("cumulative revenue")
        _ax.set_ylim(bottom=0)
        _ax.grid(alpha=0.3)
        _ax.legend(loc="upper left", frameon=False)
        _ax.set_title("Cumulative revenue")
        _fig.tight_layout()
        _out = _fig
    _out
    return


@app.cell(hide_code=True)
def summary(arrow, before, change, current, end, fmt, mo, now, start):
    if current.empty:
        _text = f"No orders between {start} and {end}: nothing to report."
    else:
        _best = current.groupby("product")["amount"].sum().idxmax()
        _text = (
            f"Revenue of **{fmt(now['Revenue'])}** from {now['Orders']:,} orders "
            f"({arrow(change(now['Revenue'], before['Revenue']))} against the previous period); "
            f"**{_best}** is the best-selling product."
        )
    mo.md(f"""
    ## Summary

    {_text}

    *Export this report: `marimo export html NOTEBOOK.py -o report.html -- --period_start
    {start} --period_end {end}`.*
    """)
    return


if __name__ == "__main__":
    app.run()
