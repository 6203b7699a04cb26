# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "pandas",
#     "pyarrow",
# ]
# ///
# /// marimo-tui
# description = "Cleaning pipeline from a messy raw file to a clean CSV/Parquet: names, whitespace, dates, numbers, categories, duplicates, missing values, with a report of what each step changed"
# data = ["raw_orders.csv"]
#
# [params]
# data = "Raw CSV or Parquet file, relative to the notebook (or an absolute path)"
# output = "Where the clean table is written (.csv or .parquet), relative to the notebook"
# dates = "Date columns (names after normalising), comma-separated"
# dayfirst = "Read ambiguous dates like 03/04/2024 as day first (3 April) instead of month first"
# numbers = "Numeric columns: currency symbols, codes and thousands separators are stripped"
# integers = "Numeric columns that hold whole numbers (nullable Int64)"
# categories = "Category columns to standardise (case, separators, known misspellings)"
# key = "Column(s) identifying a row; of several rows with one key the last is kept (empty: none)"
# required = "Rows missing any of these columns (after filling what can be derived) are dropped"
# fill_text = "Value for missing text in the columns that are not required"
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
    # Cleaning pipeline

    From a raw export (hand-typed, merged from several systems, re-sent) to a table you can
    load: one function per step, each reporting what it changed, then the clean table is
    written to `output`. Running the pipeline again, or on its own output, gives the same
    file. Adapt the steps to your data: the renames and category spellings are in the
    *Rules* cell, the columns each step handles are parameters.
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param KEY=VALUE` writes new ones here, and
    # `marimo run notebook.py -- --KEY VALUE` overrides them for one run.
    _defaults = {
        "data": "data/raw_orders.csv",
        "output": "data/orders_clean.csv",
        "dates": "order_date",
        "dayfirst": False,
        "numbers": "order_id,quantity,unit_price,amount",
        "integers": "order_id,quantity",
        "categories": "region,product,status",
        "key": "order_id",
        "required": "order_id,order_date,quantity,unit_price",
        "fill_text": "unknown",
    }
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def _():
    import re
    from pathlib import Path

    import pandas as pd

    return Path, pd, re


@app.cell
def settings(Path, mo, params):
    # Validate the parameters before reading anything.
    def _columns(name):
        return [_c.strip() for _c in str(params[name]).split(",") if _c.strip()]

    def _path(name):
        path = Path(str(params[name])).expanduser()
        return path if path.is_absolute() else (mo.notebook_dir() or Path.cwd()) / path

    def _bool(name):
        text = str(params[name]).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{name} must be true or false, got {params[name]!r}")

    source, output = _path("data"), _path("output")
    if not output.name.lower().endswith((".csv", ".parquet")):
        raise ValueError(f"output must end in .csv or .parquet, got {output.name}")
    if output.resolve() == source.resolve():
        raise ValueError(f"output would overwrite the raw input {source}: choose another path")
    dates, numbers, integers = _columns("dates"), _columns("numbers"), _columns("integers")
    numbers += [_c for _c in integers if _c not in numbers]
    categories, key, required = _columns("categories"), _columns("key"), _columns("required")
    dayfirst = _bool("dayfirst")
    fill_text = str(params["fill_text"])
    return (
        categories,
        dates,
        dayfirst,
        fill_text,
        integers,
        key,
        numbers,
        output,
        required,
        source,
    )


@app.cell
def _(mo):
    mo.md(r"""
    ## Rules

    What only you know about the source: columns to rename after the names are made
    `snake_case`, the spellings of each category and the text that means *missing*.
    """)
    return


@app.cell
def rules():
    renames = {"qty": "quantity", "total": "amount", "customer_name": "customer"}
    # Spelling → canonical value, after lower-casing and turning - _ . into spaces.
    category_fixes = {
        "region": {"n": "north", "s": "south", "e": "east", "w": "west"},
        "product": {"widgets": "widget", "gadgets": "gadget", "gizmos": "gizmo"},
        "status": {"canceled": "cancelled"},
    }
    missing_tokens = {"", "n/a", "na", "null", "none", "nan", "-", "?"}
    return category_fixes, missing_tokens, renames


@app.function
def need_columns(df, columns, parameter):
    """Fail naming the parameter when a column it lists is not in the table."""
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise ValueError(
            f"{parameter}: no column {', '.join(absent)} "
            f"(the columns are {', '.join(map(str, df.columns))})"
        )


@app.cell
def _(mo):
    mo.md(r"""
    ## Raw input

    Read as text, so that nothing is guessed before the steps below decide.
    """)
    return


@app.cell
def load(pd, source):
    if not source.is_file():
        raise FileNotFoundError(f"data file not found: {source} (set the `data` parameter)")
    if source.name.lower().endswith((".parquet", ".pq")):
        raw = pd.read_parquet(source)
    else:
        raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    raw
    return (raw,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Steps

    Each step takes a table and returns `(table, values changed, note)`; the pipeline below
    runs them in order. Add, drop or reorder steps there.
    """)
    return


@app.cell
def _(re, renames):
    def normalise_columns(df):
        """Column names in snake_case (`' Order ID '` → `order_id`), then the renames."""
        names = {}
        for col in df.columns:
            text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(col).strip())
            snake = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
            names[col] = renames.get(snake, snake)
        clashes = sorted({n for n in names.values() if list(names.values()).count(n) > 1})
        if clashes:
            raise ValueError(f"columns collide after normalising names: {', '.join(clashes)}")
        renamed = {old: new for old, new in names.items() if old != new}
        note = ", ".join(f"{old!r} → {new}" for old, new in renamed.items())
        return df.rename(columns=names), 0, note or "names already clean"

    return (normalise_columns,)


@app.cell
def _(missing_tokens, pd):
    def trim_strings(df):
        """Strip and collapse whitespace in text; placeholders like 'n/a' or '' become missing."""
        out = df.copy()
        changed = blanked = 0
        for col in out.columns:
            if not pd.api.types.is_string_dtype(out[col]):
                continue
            before = out[col]
            text = before.str.strip().str.replace(r"\s+", " ", regex=True)
            after = text.mask(text.str.lower().isin(missing_tokens))
            changed += int((after.notna() & (before.fillna("") != after.fillna(""))).sum())
            blanked += int((before.notna() & after.isna()).sum())
            out[col] = after
        return out, changed + blanked, f"{changed} values trimmed, {blanked} placeholders → missing"

    return (trim_strings,)


@app.cell
def _(dates, dayfirst, pd):
    def parse_dates(df):
        """Dates in any common format → datetime; what cannot be read becomes missing."""
        need_columns(df, dates, "dates")
        out = df.copy()
        rewritten, notes = 0, []
        for col in dates:
            before = out[col]
            after = pd.to_datetime(before, format="mixed", dayfirst=dayfirst, errors="coerce")
            if not pd.api.types.is_datetime64_any_dtype(before):
                iso = before.astype("str").str.fullmatch(r"\d{4}-\d{2}-\d{2}")
                rewritten += int((after.notna() & ~iso).sum())
            bad = before.notna() & after.isna()
            if bad.any():
                notes.append(f"{col}: unreadable {', '.join(map(repr, before[bad].unique()))}")
            out[col] = after
        unreadable = sum(int((df[c].notna() & out[c].isna()).sum()) for c in dates)
        note = f"{rewritten} dates in other formats than YYYY-MM-DD, {unreadable} unreadable"
        return out, rewritten + unreadable, "; ".join([note, *notes])

    return (parse_dates,)


@app.cell
def _(integers, numbers, pd):
    def coerce_numbers(df):
        """Text → numbers: currency symbols and codes, spaces and thousands separators go.

        Assumes a decimal point (12.50); for decimal commas (12,50) adapt the pattern.
        """
        need_columns(df, numbers, "numbers")
        out = df.copy()
        stripped_count = bad_count = 0
        for col in numbers:
            before = out[col]
            if pd.api.types.is_numeric_dtype(before):
                values = before.astype("float64")
            else:
                stripped = before.str.replace(r"[^0-9.\-]", "", regex=True)
                values = pd.to_numeric(stripped.mask(stripped == ""), errors="coerce")
                stripped_count += int((values.notna() & (stripped != before)).sum())
            if col in integers:
                values = values.mask(values.notna() & (values % 1 != 0))
                values = values.round().astype("Int64")
            else:
                values = values.astype("float64")
            bad_count += int((before.notna() & values.isna()).sum())
            out[col] = values
        note = f"{stripped_count} values had symbols or separators, {bad_count} not numbers"
        return out, stripped_count + bad_count, note

    return (coerce_numbers,)


@app.cell
def _(categories, category_fixes):
    def standardise_categories(df):
        """Lower case, one spelling per category: 'S.', 'south ' and 'South' → 'south'."""
        need_columns(df, categories, "categories")
        out = df.copy()
        changed, notes = 0, []
        for col in categories:
            before = out[col].astype("str").mask(out[col].isna())
            text = before.str.lower().str.replace(r"[\s_.\-]+", " ", regex=True).str.strip()
            after = text.replace(category_fixes.get(col, {}))
            changed += int((after.notna() & (after != before)).sum())
            notes.append(f"{col}: {before.nunique()} → {after.nunique()} values")
            out[col] = after
        return out, changed, "; ".join(notes)

    return (standardise_categories,)


@app.cell
def _(key):
    def drop_duplicates(df):
        """Identical rows once; of rows sharing a key, the last (the latest correction)."""
        exact = df.duplicated()
        out = df[~exact]
        if key:
            later = out.duplicated(subset=key, keep="last") & out[key].notna().all(axis=1)
            out = out[~later]
        else:
            later = exact[:0]
        note = f"{int(exact.sum())} identical rows, {int(later.sum())} older versions of a key"
        return out, 0, note

    return (drop_duplicates,)


@app.cell
def _(fill_text, pd, required):
    def handle_missing(df):
        """Derive what follows from other columns, drop incomplete rows, fill missing text."""
        out = df.copy()
        derived = []
        # amount = quantity × unit_price: any one of the three follows from the other two.
        if {"quantity", "unit_price", "amount"} <= set(out.columns):
            qty, price, amount = out["quantity"], out["unit_price"], out["amount"]
            fill = amount.isna() & qty.notna() & price.notna()
            out.loc[fill, "amount"] = (qty.astype("float64") * price)[fill].round(2)
            derived.append(f"{int(fill.sum())} amount")
            ratio = amount / price.where(price != 0)
            fill = qty.isna() & ratio.notna() & (ratio.round() - ratio).abs().lt(1e-9)
            out.loc[fill, "quantity"] = ratio[fill].round().astype(out["quantity"].dtype)
            derived.append(f"{int(fill.sum())} quantity")
            fill = price.isna() & amount.notna() & qty.notna() & qty.ne(0)
            out.loc[fill, "unit_price"] = (amount / qty.astype("float64"))[fill].round(2)
            derived.append(f"{int(fill.sum())} unit_price")
        need_columns(out, required, "required")
        incomplete = out[required].isna().any(axis=1)
        out = out[~incomplete].copy()
        filled = 0
        for col in out.columns:
            if pd.api.types.is_string_dtype(out[col]) and col not in required:
                filled += int(out[col].isna().sum())
                out[col] = out[col].fillna(fill_text)
        note = (
            f"derived {', '.join(derived) or 'nothing'}; dropped {int(incomplete.sum())} rows "
            f"missing {'/'.join(required) or 'nothing'}; {filled} text values → {fill_text!r}"
        )
        changed = sum(int(d.split()[0]) for d in derived) + filled
        return out, changed, note

    return (handle_missing,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Pipeline

    What each step did: rows in and out, values it changed and missing cells left after it.
    """)
    return


@app.cell
def pipeline(
    coerce_numbers,
    drop_duplicates,
    handle_missing,
    key,
    mo,
    normalise_columns,
    parse_dates,
    pd,
    raw,
    standardise_categories,
    trim_strings,
):
    steps = [
        normalise_columns,
        trim_strings,
        parse_dates,
        coerce_numbers,
        standardise_categories,
        drop_duplicates,
        handle_missing,
    ]
    _df = raw
    _log = []
    stages = {}
    for _step in steps:
        _rows_in = len(_df)
        _df, _changed, _note = _step(_df)
        stages[_step.__name__] = _df
        _log.append(
            {
                "step": _step.__name__,
                "rows_in": _rows_in,
                "rows_out": len(_df),
                "values_changed": _changed,
                "missing_after": int(_df.isna().sum().sum()),
                "note": _note,
            }
        )
    # A stable order makes the output reproducible: by key, else as read.
    clean = _df.sort_values(key, kind="stable") if key else _df
    clean = clean.reset_index(drop=True)
    report = pd.DataFrame(_log)
    mo.ui.table(report, selection=None, page_size=max(10, len(report)))
    return clean, report, stages


@app.cell
def _(mo):
    mo.md(r"""
    ## Before and after

    Every column's name, type, missing and distinct values in the raw file and in the
    clean table; then the rows dropped because a required value was missing.
    """)
    return


@app.cell
def compare(clean, missing_tokens, mo, pd, raw, required, stages):
    def _missing(series):
        text = series.astype("str").str.strip().str.lower()
        return series.isna() | text.isin(missing_tokens)

    _names = dict(zip(raw.columns, stages["normalise_columns"].columns, strict=True))
    _columns = pd.DataFrame(
        [
            {
                "raw_column": _old,
                "column": _new,
                "raw_dtype": str(raw[_old].dtype),
                "dtype": str(clean[_new].dtype),
                "raw_missing": int(_missing(raw[_old]).sum()),
                "missing": int(clean[_new].isna().sum()),
                "raw_distinct": int(raw[_old].nunique()),
                "distinct": int(clean[_new].nunique()),
            }
            for _old, _new in _names.items()
        ]
    )
    # The dropped rows as they were in the raw file, with what they lacked before deriving.
    _kept = stages["handle_missing"].index
    _before = stages["drop_duplicates"]
    _gone = _before.index.difference(_kept)
    dropped = raw.loc[_gone].reset_index(names="raw_row")
    dropped.insert(
        1,
        "missing",
        [", ".join(_c for _c in required if pd.isna(_before.at[_i, _c])) for _i in _gone],
    )
    mo.vstack(
        [
            mo.ui.table(_columns, selection=None, page_size=max(10, len(_columns))),
            mo.md(f"**{len(dropped)} rows dropped as incomplete** (raw values):"),
            dropped,
        ]
    )
    return


@app.cell
def write(clean, mo, output):
    # Write next to the target, then move into place: a reader never sees half a file.
    output.parent.mkdir(parents=True, exist_ok=True)
    _partial = output.with_name(output.name + ".partial")
    if output.name.lower().endswith(".parquet"):
        clean.to_parquet(_partial, index=False)
    else:
        clean.to_csv(_partial, index=False)
    _partial.replace(output)
    mo.md(f"Wrote **{len(clean)} rows × {clean.shape[1]} columns** to `{output}`.")
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Clean output
    """)
    return


@app.cell
def _(clean):
    clean
    return


@app.cell
def summary(clean, mo, output, raw, report):
    _steps = report.set_index("step")
    _duplicates = _steps.at["drop_duplicates", "rows_in"] - _steps.at["drop_duplicates", "rows_out"]
    _incomplete = _steps.at["handle_missing", "rows_in"] - _steps.at["handle_missing", "rows_out"]
    mo.md(f"""
    ## Summary

    - **{len(raw)} raw rows → {len(clean)} clean rows** × {clean.shape[1]} columns, written to
      `{output}`
    - Dropped: {_duplicates} duplicates, {_incomplete} incomplete rows
    - Values changed: {int(report["values_changed"].sum())}; missing cells left:
      {int(clean.isna().sum().sum())}
    """)
    return


if __name__ == "__main__":
    app.run()
