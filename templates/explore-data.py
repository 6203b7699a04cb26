# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "matplotlib",
#     "pandas",
#     "pyarrow",
# ]
# ///
# /// marimo-tui
# description = "Profile a CSV or Parquet table: shape, column types, missing values, numeric and category summaries, distributions, date range"
# data = ["sales.csv"]
#
# [params]
# data = "CSV, TSV or Parquet file to explore, relative to the notebook (or an absolute path)"
# sample_rows = "How many rows the preview shows"
# top_values = "How many of the most frequent values to list per text column"
# date_column = "Column holding dates (empty: detect columns of ISO dates like 2024-01-31)"
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell
def _(mo):
    mo.md(r"""
    # Explore a table

    A first look at a CSV or Parquet file before you build on it: its shape and column types,
    where values are missing, how the numbers are distributed, which categories dominate and
    what period the dates cover. Point `data` at your own file
    (`marimo run notebook.py -- --data path/to/file.parquet`).
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param KEY=VALUE` writes new ones here, and
    # `marimo run notebook.py -- --KEY VALUE` overrides them for one run.
    _defaults = {
        "data": "data/sales.csv",
        "sample_rows": 10,
        "top_values": 5,
        "date_column": "",
    }
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def _():
    from pathlib import Path

    import matplotlib.pyplot as plt
    import pandas as pd

    return Path, pd, plt


@app.cell
def settings(Path, mo, params):
    # Validate the parameters before touching any data.
    def _positive_int(name):
        try:
            value = int(params[name])
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a whole number, got {params[name]!r}") from None
        if value < 1:
            raise ValueError(f"{name} must be ≥ 1, got {value}")
        return value

    sample_rows = _positive_int("sample_rows")
    top_values = _positive_int("top_values")
    date_column = str(params["date_column"]).strip()
    source = Path(str(params["data"])).expanduser()
    if not source.is_absolute():
        source = (mo.notebook_dir() or Path.cwd()) / source
    return date_column, sample_rows, source, top_values


@app.cell
def load(date_column, pd, source):
    # Read by file type; strings that all look like ISO dates become datetimes.
    if not source.is_file():
        raise FileNotFoundError(f"data file not found: {source} (set the `data` parameter)")
    _name = source.name.lower()
    if _name.endswith((".parquet", ".pq")):
        df = pd.read_parquet(source)
    elif _name.endswith((".tsv", ".tsv.gz", ".tab")):
        df = pd.read_csv(source, sep="\t")
    elif _name.endswith((".csv", ".csv.gz", ".csv.zip", ".txt")):
        df = pd.read_csv(source)
    else:
        raise ValueError(f"cannot read {source}: use a .csv, .tsv or .parquet file")

    date_columns = []
    if date_column:
        if date_column not in df.columns:
            raise ValueError(
                f"date_column {date_column!r} is not a column of {source.name}; "
                f"columns: {', '.join(map(str, df.columns))}"
            )
        df[date_column] = pd.to_datetime(df[date_column], format="mixed", errors="coerce")
        date_columns.append(date_column)
    for _col in df.columns:
        if _col in date_columns:
            continue
        if pd.api.types.is_datetime64_any_dtype(df[_col]):
            date_columns.append(_col)
            continue
        if not pd.api.types.is_string_dtype(df[_col]):
            continue
        _values = df[_col].dropna().astype(str)
        if _values.empty or not _values.str.match(r"\d{4}-\d{2}-\d{2}").all():
            continue
        _parsed = pd.to_datetime(df[_col], format="ISO8601", errors="coerce")
        if _parsed.notna().sum() == len(_values):
            df[_col] = _parsed
            date_columns.append(_col)
    return date_columns, df


@app.cell
def _(mo):
    mo.md(r"""
    ## Overview

    Size, memory and a preview of the first rows. Fully duplicated rows are usually a load
    that ran twice.
    """)
    return


@app.cell
def overview(df, mo, sample_rows, source):
    duplicate_rows = int(df.duplicated().sum())
    _memory = df.memory_usage(deep=True).sum() / 1024**2
    mo.vstack(
        [
            mo.md(
                f"**{source.name}**: {len(df):,} rows × {df.shape[1]} columns, "
                f"{_memory:.2f} MB in memory, {duplicate_rows} fully duplicated rows"
            ),
            df.head(sample_rows),
        ]
    )
    return (duplicate_rows,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Columns

    Type, missing values and distinct values per column. A number stored as text (`str`),
    a column that is mostly missing, or an identifier that is not unique is worth a look
    before anything is built on it.
    """)
    return


@app.cell
def columns(df, mo, pd):
    profile = pd.DataFrame(
        {
            "column": [str(_c) for _c in df.columns],
            "dtype": [str(_t) for _t in df.dtypes],
            "non_null": df.notna().sum().to_numpy(),
            "missing": df.isna().sum().to_numpy(),
            "missing_pct": (df.isna().mean() * 100).round(1).to_numpy(),
            "unique": df.nunique().to_numpy(),
            "example": [
                str(df[_c].dropna().iloc[0]) if df[_c].notna().any() else "" for _c in df.columns
            ],
        }
    )
    mo.ui.table(profile, selection=None, page_size=max(10, min(len(profile), 100)))
    return (profile,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Numeric columns

    The usual summary, plus skew and the number of outliers (values more than 1.5 × IQR
    outside the quartiles). Integer columns named like `*_id` whose values are all distinct
    are treated as identifiers and left out of the charts.
    """)
    return


@app.cell
def numeric(df, mo, pd):
    numeric_columns = [
        _c
        for _c in df.select_dtypes(include="number").columns
        if not pd.api.types.is_bool_dtype(df[_c])
    ]
    identifier_columns = [
        _c
        for _c in numeric_columns
        if pd.api.types.is_integer_dtype(df[_c])
        and (str(_c).lower() == "id" or str(_c).lower().endswith(("_id", " id", "-id")))
        and df[_c].nunique() == df[_c].notna().sum()
    ]
    if numeric_columns:
        _numbers = df[numeric_columns].astype("float64")
        _q1, _q3 = _numbers.quantile(0.25), _numbers.quantile(0.75)
        _fence = 1.5 * (_q3 - _q1)
        numeric_summary = _numbers.describe().T
        numeric_summary["skew"] = _numbers.skew()
        numeric_summary["outliers"] = (
            (_numbers.lt(_q1 - _fence) | _numbers.gt(_q3 + _fence)).sum().astype(int)
        )
        numeric_summary = numeric_summary.round(3).reset_index(names="column")
        _view = numeric_summary
    else:
        numeric_summary = pd.DataFrame()
        _view = mo.md("No numeric columns.")
    _view
    return identifier_columns, numeric_columns, numeric_summary


@app.cell
def distributions(df, identifier_columns, numeric_columns, plt):
    _cols = [_c for _c in numeric_columns if _c not in identifier_columns][:12]
    if _cols:
        _ncols = min(3, len(_cols))
        _nrows = -(-len(_cols) // _ncols)
        _fig, _axes = plt.subplots(
            _nrows, _ncols, figsize=(4 * _ncols, 2.6 * _nrows), squeeze=False
        )
        for _ax, _col in zip(_axes.flat, _cols):
            _values = df[_col].dropna()
            _ax.hist(_values, bins=min(30, max(1, _values.nunique())), color="#4c78a8")
            _ax.axvline(_values.median(), color="#e45756", linewidth=1, label="median")
            _ax.set_title(str(_col), fontsize=10)
        for _ax in list(_axes.flat)[len(_cols) :]:
            _ax.set_visible(False)
        _axes.flat[0].legend(fontsize=8)
        _fig.suptitle("Distributions of the numeric columns")
        _fig.tight_layout()
    else:
        _fig = None
    _fig
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Text columns

    The most frequent values of each text (or boolean) column, with their share of the rows;
    `<missing>` counts the empty cells. Spelling variants of one category show up here.
    """)
    return


@app.cell
def categories(date_columns, df, mo, numeric_columns, pd, top_values):
    category_columns = [
        _c for _c in df.columns if _c not in numeric_columns and _c not in date_columns
    ]
    _rows = []
    for _col in category_columns:
        _counts = df[_col].value_counts(dropna=False)
        if len(_counts) > top_values and (_counts == 1).all():
            # Every value once (an identifier, free text): its "top values" say nothing.
            _counts = pd.Series({"<every value distinct>": len(df)})
        for _value, _count in _counts.head(top_values).items():
            _rows.append(
                {
                    "column": str(_col),
                    "distinct": int(df[_col].nunique()),
                    "value": "<missing>" if pd.isna(_value) else str(_value),
                    "count": int(_count),
                    "share_pct": round(100 * _count / len(df), 1) if len(df) else 0.0,
                }
            )
    top_table = pd.DataFrame(_rows, columns=["column", "distinct", "value", "count", "share_pct"])
    mo.ui.table(top_table, selection=None, page_size=max(10, min(len(top_table), 100)))
    return (category_columns,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Dates

    The period each date column covers, and the days inside it without a single row (a gap
    in the load, or just weekends?). The chart counts rows per week.
    """)
    return


@app.cell
def dates(date_columns, df, mo, pd):
    def _day(value):
        return f"{value:%Y-%m-%d}" if value == value.normalize() else str(value)

    _rows = []
    for _col in date_columns:
        _values = df[_col].dropna()
        if _values.empty:
            continue
        _days = _values.dt.normalize()
        _all_days = pd.date_range(_days.min(), _days.max(), freq="D")
        _rows.append(
            {
                "column": str(_col),
                "first": _day(_values.min()),
                "last": _day(_values.max()),
                "span_days": int((_days.max() - _days.min()).days) + 1,
                "distinct_days": int(_days.nunique()),
                "days_without_rows": len(_all_days.difference(pd.DatetimeIndex(_days.unique()))),
                "missing": int(df[_col].isna().sum()),
            }
        )
    date_summary = pd.DataFrame(
        _rows,
        columns=[
            "column",
            "first",
            "last",
            "span_days",
            "distinct_days",
            "days_without_rows",
            "missing",
        ],
    )
    date_summary if _rows else mo.md("No date column found: set `date_column` to parse one.")
    return (date_summary,)


@app.cell
def timeline(date_summary, df, plt):
    # Rows per week along the first date column: gaps and trend at a glance.
    if len(date_summary):
        _col = date_summary["column"].iloc[0]
        _weekly = df[_col].dropna().dt.to_period("W").value_counts().sort_index()
        _fig, _ax = plt.subplots(figsize=(9, 2.8))
        _ax.plot(_weekly.index.start_time, _weekly.to_numpy(), marker="o", markersize=3)
        _ax.set_title(f"Rows per week by {_col}", fontsize=10)
        _ax.set_ylim(bottom=0)
        _fig.autofmt_xdate()
        _fig.tight_layout()
    else:
        _fig = None
    _fig
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Summary
    """)
    return


@app.cell
def summary(
    category_columns,
    date_summary,
    df,
    duplicate_rows,
    identifier_columns,
    mo,
    numeric_columns,
    numeric_summary,
    profile,
    source,
):
    _missing = profile[profile["missing"] > 0]
    _constant = profile.loc[profile["unique"] <= 1, "column"].tolist()
    _lines = [
        f"- **{len(df):,} rows × {df.shape[1]} columns** from `{source.name}`: "
        f"{len(numeric_columns)} numeric, {len(category_columns)} text, "
        f"{len(date_summary)} date",
        "- Missing values: "
        + (
            ", ".join(
                f"`{_r.column}` {_r.missing} ({_r.missing_pct}%)" for _r in _missing.itertuples()
            )
            if len(_missing)
            else "none"
        ),
        f"- Fully duplicated rows: {duplicate_rows}",
    ]
    if _constant:
        _lines.append("- Constant columns: " + ", ".join(f"`{_c}`" for _c in _constant))
    if identifier_columns:
        _lines.append("- Identifiers: " + ", ".join(f"`{_c}`" for _c in identifier_columns))
    if len(numeric_summary):
        _outliers = numeric_summary[numeric_summary["outliers"] > 0]
        _lines.append(
            "- Outliers (1.5 × IQR): "
            + (
                ", ".join(f"`{_r.column}` {_r.outliers}" for _r in _outliers.itertuples())
                if len(_outliers)
                else "none"
            )
        )
    for _r in date_summary.itertuples():
        _lines.append(
            f"- `{_r.column}` runs from {_r.first} to {_r.last} "
            f"({_r.span_days} days, {_r.days_without_rows} without rows)"
        )
    mo.md("\n".join(_lines))
    return


if __name__ == "__main__":
    app.run()
