# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "pandas",
#     "pyarrow",
# ]
# ///
# /// marimo-tui
# description = "Data-quality gate: declared checks (not null, unique key, ranges, allowed values, dates, freshness, row count, row rules) with failing rows; fails the run when one fails"
# data = ["sales.csv"]
#
# [params]
# data = "CSV or Parquet file to check, relative to the notebook (or an absolute path)"
# key = "Column(s) that must be unique and present, comma-separated (empty: no key check)"
# not_null = "Columns that must have no missing values, comma-separated"
# ranges = "Numeric ranges, COLUMN:MIN..MAX, comma-separated; either end may be left out (units:1..100, amount:0..)"
# allowed = "Allowed values, COLUMN:A|B|C, separated by semicolons (compared as text)"
# date_column = "Column holding the row's date, for date_range and max_age_days (empty: no date checks)"
# date_range = "Dates must fall in FIRST..LAST (inclusive; either end may be left out; empty: no check)"
# max_age_days = "Freshness: the newest date must be at most this many days before as_of (0: no check)"
# as_of = "Date freshness is measured from, YYYY-MM-DD (empty: today)"
# expressions = "Row rules every row must hold, pandas eval syntax, separated by semicolons (on a command line: --expressions='...')"
# min_rows = "The table must have at least this many rows"
# sample_size = "How many failing rows to show per failed check"
# fail_on_error = "Raise at the end when a check fails, so a scheduled run (Dagster) fails"
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
    # Data-quality checks

    Declared rules, checked on every run: required columns are filled, the key is unique,
    numbers stay in range, categories come from a known list, dates are plausible and
    recent, the table is not suspiciously small, and row-level rules hold. Each check
    reports how many rows fail and shows a sample of them. With `fail_on_error` the last
    cell raises, so a scheduled run (a Dagster asset, a CI job) stops on bad data.
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param KEY=VALUE` writes new ones here, and
    # `marimo run notebook.py -- --KEY VALUE` overrides them for one run.
    _defaults = {
        "data": "data/sales.csv",
        "key": "order_id",
        "not_null": "date,order_id,region,product,units,unit_price,amount",
        "ranges": "units:1..100, unit_price:0.01.., amount:0..",
        "allowed": "region:north|south|east|west; product:widget|gadget|gizmo",
        "date_column": "date",
        "date_range": "2024-01-01..2024-12-31",
        "max_age_days": 0,
        "as_of": "",
        "expressions": "abs(amount - units * unit_price) < 0.01",
        "min_rows": 100,
        "sample_size": 5,
        "fail_on_error": True,
    }
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def _():
    import datetime as dt
    from pathlib import Path

    import pandas as pd

    return Path, dt, pd


@app.cell
def rules(Path, dt, mo, params, pd):
    # Parse and validate every rule up front: a typo in a rule is an error, not a pass.
    def _int(name, minimum):
        try:
            value = int(params[name])
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a whole number, got {params[name]!r}") from None
        if value < minimum:
            raise ValueError(f"{name} must be ≥ {minimum}, got {value}")
        return value

    def _bool(name):
        value = params[name]
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{name} must be true or false, got {value!r}")

    def _list(text, sep=","):
        return [_part.strip() for _part in str(text).split(sep) if _part.strip()]

    def _date(name, text):
        try:
            return pd.Timestamp(dt.date.fromisoformat(text.strip()))
        except ValueError:
            raise ValueError(f"{name}: {text.strip()!r} is not a date like 2024-01-31") from None

    def _number(text):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"ranges: {text.strip()!r} is not a number") from None

    def _span(name, text, parse):
        low, sep, high = text.partition("..")
        if not sep:
            raise ValueError(f"{name}: expected FIRST..LAST, got {text.strip()!r}")
        low = parse(low) if low.strip() else None
        high = parse(high) if high.strip() else None
        if low is not None and high is not None and low > high:
            raise ValueError(f"{name}: {text.strip()!r} starts above where it ends")
        return low, high

    min_rows = _int("min_rows", 0)
    checks = [{"check": "row_count", "column": "", "rule": f"≥ {min_rows} rows", "low": min_rows}]
    key = _list(params["key"])
    if key:
        checks.append({"check": "unique_key", "column": ",".join(key), "rule": "unique, present"})
    for _col in _list(params["not_null"]):
        checks.append({"check": "not_null", "column": _col, "rule": "no missing values"})
    for _item in _list(params["ranges"]):
        _col, _sep, _text = _item.partition(":")
        if not _sep or not _col.strip():
            raise ValueError(f"ranges: expected COLUMN:MIN..MAX, got {_item!r}")
        _low, _high = _span("ranges", _text, _number)
        checks.append(
            {
                "check": "in_range",
                "column": _col.strip(),
                "rule": _text.strip(),
                "low": _low,
                "high": _high,
            }
        )
    for _item in _list(params["allowed"], ";"):
        _col, _sep, _text = _item.partition(":")
        _values = _list(_text, "|")
        if not _sep or not _col.strip() or not _values:
            raise ValueError(f"allowed: expected COLUMN:A|B|C, got {_item!r}")
        checks.append(
            {
                "check": "allowed_values",
                "column": _col.strip(),
                "rule": "|".join(_values),
                "values": _values,
            }
        )
    _date_column = str(params["date_column"]).strip()
    _date_range = str(params["date_range"]).strip()
    if _date_range:
        if not _date_column:
            raise ValueError("date_range needs a date_column")
        _low, _high = _span("date_range", _date_range, lambda text: _date("date_range", text))
        checks.append(
            {
                "check": "date_range",
                "column": _date_column,
                "rule": _date_range,
                "low": _low,
                "high": _high,
            }
        )
    _as_of = str(params["as_of"]).strip()
    as_of = _date("as_of", _as_of) if _as_of else pd.Timestamp(dt.date.today())
    _max_age = _int("max_age_days", 0)
    if _max_age:
        if not _date_column:
            raise ValueError("max_age_days needs a date_column")
        _oldest = as_of - pd.Timedelta(days=_max_age)
        checks.append(
            {
                "check": "freshness",
                "column": _date_column,
                "rule": f"newest ≥ {_oldest:%Y-%m-%d}",
                "low": _oldest,
            }
        )
    for _expr in _list(params["expressions"], ";"):
        checks.append({"check": "expression", "column": "", "rule": _expr})
    sample_size = _int("sample_size", 1)
    fail_on_error = _bool("fail_on_error")
    source = Path(str(params["data"])).expanduser()
    if not source.is_absolute():
        source = (mo.notebook_dir() or Path.cwd()) / source
    return checks, fail_on_error, sample_size, source


@app.cell
def load(pd, source):
    if not source.is_file():
        raise FileNotFoundError(f"data file not found: {source} (set the `data` parameter)")
    if source.name.lower().endswith((".parquet", ".pq")):
        df = pd.read_parquet(source)
    elif source.name.lower().endswith((".csv", ".csv.gz", ".txt")):
        df = pd.read_csv(source)
    else:
        raise ValueError(f"cannot read {source}: use a .csv or .parquet file")
    return (df,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Results

    One line per declared check. `failing_rows` counts the rows that break the rule (empty
    for checks on the whole table); `sample` lists a few offending values, or row numbers
    when the value itself is missing. A rule on a column the table does not have fails.
    """)
    return


@app.cell
def run_checks(checks, df, mo, pd, sample_size):
    def _dates(series):
        """Naive datetimes (zoned ones in UTC) from dates or text; unreadable text → NaT."""
        if not pd.api.types.is_datetime64_any_dtype(series):
            parsed = pd.to_datetime(series, format="ISO8601", errors="coerce", utc=True)
            retry = series.notna() & parsed.isna()
            if retry.any():  # other formats, guessed one value at a time (slower)
                parsed[retry] = pd.to_datetime(
                    series[retry], format="mixed", errors="coerce", utc=True
                )
            series = parsed
        return series.dt.tz_convert(None) if series.dt.tz is not None else series

    def _values(series, mask):
        values = series[mask].drop_duplicates().head(sample_size)
        return ", ".join(str(_v) for _v in values)

    def _rows(mask):
        return "rows " + ", ".join(str(_r) for _r in df.index[mask][:sample_size])

    def _run(spec):
        """(failing-row mask, or None for a check on the whole table; passed; detail; sample)"""
        kind, col = spec["check"], spec["column"]
        cols = [_c.strip() for _c in col.split(",")] if col else []
        absent = [_c for _c in cols if _c not in df.columns]
        if absent:
            return None, False, f"column not in table: {', '.join(absent)}", ""
        if kind == "row_count":
            return None, len(df) >= spec["low"], f"{len(df)} rows", ""
        if kind == "unique_key":
            present = df[cols].notna().all(axis=1)
            dupes = df.duplicated(subset=cols, keep=False) & present
            keys = pd.Series(
                [", ".join(map(str, _k)) for _k in df.loc[dupes, cols].itertuples(index=False)],
                index=df.index[dupes],
                dtype="str",
            )
            detail = f"{keys.nunique()} duplicated keys, {int((~present).sum())} missing"
            return (
                dupes | ~present,
                not (dupes | ~present).any(),
                detail,
                _values(keys, keys.notna()),
            )
        if kind == "not_null":
            mask = df[col].isna()
            return mask, not mask.any(), "", _rows(mask) if mask.any() else ""
        if kind == "in_range":
            numbers = pd.to_numeric(df[col], errors="coerce")
            mask = df[col].notna() & numbers.isna()
            if spec["low"] is not None:
                mask |= numbers < spec["low"]
            if spec["high"] is not None:
                mask |= numbers > spec["high"]
            detail = (
                f"min {numbers.min():g}, max {numbers.max():g}" if numbers.notna().any() else ""
            )
            return mask, not mask.any(), detail, _values(df[col], mask)
        if kind == "allowed_values":
            mask = df[col].notna() & ~df[col].astype(str).isin(spec["values"])
            detail = f"{df.loc[mask, col].nunique()} unexpected values"
            return mask, not mask.any(), detail, _values(df[col], mask)
        if kind == "date_range":
            dates = _dates(df[col])
            mask = df[col].notna() & dates.isna()
            if spec["low"] is not None:
                mask |= dates < spec["low"]
            if spec["high"] is not None:
                mask |= dates >= spec["high"] + pd.Timedelta(days=1)
            detail = (
                f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}" if dates.notna().any() else ""
            )
            return mask, not mask.any(), detail, _values(df[col], mask)
        if kind == "freshness":
            newest = _dates(df[col]).max()
            if pd.isna(newest):
                return None, False, "no dates", ""
            return None, newest >= spec["low"], f"newest {newest:%Y-%m-%d}", ""
        if kind == "expression":
            try:
                result = df.eval(spec["rule"])
            except Exception as exc:  # a bad rule or a missing column fails the check
                return None, False, f"cannot evaluate: {exc}", ""
            if not isinstance(result, pd.Series) or not pd.api.types.is_bool_dtype(result):
                return None, False, "not a true/false rule per row", ""
            mask = ~result.fillna(False).astype(bool)
            return mask, not mask.any(), "", _rows(mask) if mask.any() else ""
        raise ValueError(f"unknown check {kind}")

    _table = []
    failing_rows = {}
    for _spec in checks:
        _mask, _passed, _detail, _sample = _run(_spec)
        _what = _spec["column"] or (_spec["rule"] if _spec["check"] == "expression" else "")
        _name = f"{_spec['check']}({_what})" if _what else _spec["check"]
        _count = None if _mask is None else int(_mask.sum())
        _table.append(
            {
                "check": _name,
                "rule": _spec["rule"],
                "status": "pass" if _passed else "fail",
                "failing_rows": _count,
                "failing_pct": None if _count is None else round(100 * _count / max(len(df), 1), 2),
                "detail": _detail,
                "sample": _sample,
            }
        )
        if _mask is not None and _mask.any():
            failing_rows[_name] = df[_mask].head(sample_size)
    results = pd.DataFrame(_table).astype({"failing_rows": "Int64", "failing_pct": "Float64"})
    mo.ui.table(results, selection=None, page_size=max(10, len(results)))
    return failing_rows, results


@app.cell
def _(mo):
    mo.md(r"""
    ## Failing rows

    The first rows that break each failed check, with their row number in the table.
    """)
    return


@app.cell
def samples(failing_rows, mo, pd):
    if failing_rows:
        _frames = [
            _rows.reset_index(names="row").assign(failed_check=_name)
            for _name, _rows in failing_rows.items()
        ]
        _sample = pd.concat(_frames, ignore_index=True)
        _sample = _sample[["failed_check", *[_c for _c in _sample.columns if _c != "failed_check"]]]
        _view = mo.ui.table(_sample, selection=None, page_size=max(10, len(_sample)))
    else:
        _view = mo.md("No failing rows.")
    _view
    return


@app.cell
def summary(df, mo, pd, results, source):
    failed = results[results["status"] == "fail"]
    _lines = [
        f"**{len(results)} checks on `{source.name}` ({len(df):,} rows): "
        f"{len(results) - len(failed)} passed, {len(failed)} failed.**",
        "",
    ]
    for _, _r in failed.iterrows():
        _count = "" if pd.isna(_r["failing_rows"]) else f"{_r['failing_rows']} failing rows; "
        _lines.append(f"- `{_r['check']}`: {_count}{_r['detail']}".rstrip("; "))
    if not len(failed):
        _lines.append("The table is fit to use.")
    mo.callout(mo.md("\n".join(_lines)), kind="danger" if len(failed) else "success")
    return (failed,)


@app.cell
def gate(fail_on_error, failed, pd, results):
    # The run fails here, after every check has been reported, when fail_on_error is set.
    def _label(row):
        count = row["failing_rows"]
        if pd.isna(count):
            return row["check"]
        return f"{row['check']} ({count} failing row{'' if count == 1 else 's'})"

    if fail_on_error and len(failed):
        raise AssertionError(
            f"{len(failed)} of {len(results)} data-quality checks failed: "
            + "; ".join(_label(_r) for _, _r in failed.iterrows())
        )
    return


if __name__ == "__main__":
    app.run()
