"""The tabular templates: explore-data, data-quality and cleaning-pipeline, on real files."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from marimo_tui.runtime.outputs import convert_output
from tests.conftest import TEMPLATES
from tests.template_support import Cells, create, errors, run_failing, run_template

SALES = TEMPLATES / "data" / "sales.csv"
RAW_ORDERS = TEMPLATES / "data" / "raw_orders.csv"
Records = list[dict[str, Any]]


def error_text(cells: Cells) -> str:
    return " | ".join(str(o.get("evalue", o.get("text", ""))) for o in errors(cells))


def tables(cells: Cells) -> list[Records]:
    """Every table the cells show, as marimo sent it (records with JSON types)."""
    found: list[Records] = []
    for cell in cells:
        for output in cell["outputs"]:
            for data in output.get("data", {}).values():
                if not isinstance(data, str):
                    continue
                for match in re.finditer(r"data-data='([^']*)'", data):
                    records = json.loads(json.loads(html.unescape(match.group(1))))
                    if isinstance(records, list):
                        found.append(records)
    return found


def table_with(cells: Cells, *columns: str) -> Records:
    """The first table that has all these columns."""
    for records in tables(cells):
        if records and set(columns) <= set(records[0]):
            return records
    raise AssertionError(f"no table with columns {columns}")


def shown(cells: Cells) -> str:
    """What the terminal app shows of the cells' outputs (markdown, callouts, tables' text)."""
    parts = []
    for cell in cells:
        for output in cell["outputs"]:
            for mime, data in output.get("data", {}).items():
                parts.append(convert_output(mime, data).text)
    return "\n".join(parts)


# explore-data ------------------------------------------------------------------------------


def test_explore_profiles_the_shipped_sales(tmp_path: Path) -> None:
    sales = pd.read_csv(SALES)
    cells = run_template("explore-data", tmp_path, "--sample_rows", "3")
    assert errors(cells) == []
    out = shown(cells)
    assert "sales.csv: 382 rows × 7 columns" in out
    assert "0 fully duplicated rows" in out
    # The preview follows sample_rows.
    preview = table_with(cells, "order_id", "region", "amount")
    assert [r["order_id"] for r in preview] == sales["order_id"].head(3).tolist()

    profile = {r["column"]: r for r in table_with(cells, "column", "dtype", "missing")}
    assert list(profile) == list(sales.columns)
    assert profile["date"]["dtype"].startswith("datetime64")  # ISO strings were detected
    assert profile["region"]["unique"] == sales["region"].nunique()
    assert all(r["missing"] == 0 for r in profile.values())

    summary = {r["column"]: r for r in table_with(cells, "column", "mean", "outliers")}
    assert summary["amount"]["mean"] == round(sales["amount"].mean(), 3)
    assert summary["units"]["max"] == sales["units"].max()

    top = table_with(cells, "column", "value", "count")
    counts = sales["region"].value_counts()
    regions = {r["value"]: r["count"] for r in top if r["column"] == "region"}
    assert regions == counts.head(5).to_dict()

    dates = table_with(cells, "first", "last", "span_days")
    assert dates == [
        {
            "column": "date",
            "first": sales["date"].min(),
            "last": sales["date"].max(),
            "span_days": 182,
            "distinct_days": sales["date"].nunique(),
            "days_without_rows": 0,
            "missing": 0,
        }
    ]
    images = [c for c in cells for o in c["outputs"] if "image/png" in json.dumps(o)]
    assert len(images) == 2  # the histograms and the rows per week
    assert "Identifiers: `order_id`" in out


def test_explore_reads_a_parquet_file_with_gaps(tmp_path: Path) -> None:
    sales = pd.read_csv(SALES)
    sales.loc[[3, 50, 120], "region"] = None
    sales.loc[[7], "amount"] = None
    parquet = tmp_path / "sales_gaps.parquet"
    sales.to_parquet(parquet)
    cells = run_template("explore-data", tmp_path / "nb", params={"data": str(parquet)})
    assert errors(cells) == []
    out = shown(cells)
    assert "sales_gaps.parquet: 382 rows × 7 columns" in out
    profile = {r["column"]: r for r in table_with(cells, "column", "dtype", "missing")}
    assert profile["region"]["missing"] == 3
    assert profile["amount"]["missing"] == 1
    assert profile["region"]["missing_pct"] == round(100 * 3 / 382, 1)
    assert profile["date"]["dtype"].startswith("datetime64")
    summary = {r["column"]: r for r in table_with(cells, "column", "mean", "outliers")}
    assert summary["amount"]["count"] == 381
    assert summary["amount"]["mean"] == round(sales["amount"].mean(), 3)
    assert "Missing values: `region` 3 (0.8%), `amount` 1 (0.3%)" in out


def test_explore_top_values_and_date_column_parameters(tmp_path: Path) -> None:
    sales = pd.read_csv(SALES)
    sales["date"] = pd.to_datetime(sales["date"]).dt.strftime("%d %b %Y")  # not ISO: not detected
    sales["ref"] = "R" + sales["order_id"].astype(str)  # text, every value distinct
    data = tmp_path / "sales_dates.csv"
    sales.to_csv(data, index=False)
    cells = run_template("explore-data", tmp_path / "a", "--data", str(data), "--top_values", "1")
    assert errors(cells) == []
    top = table_with(cells, "column", "value", "count")
    assert [r["column"] for r in top] == ["date", "region", "product", "ref"]  # one value each
    assert top[1] == {
        "column": "region",
        "distinct": 4,
        "value": sales["region"].mode()[0],
        "count": int(sales["region"].value_counts().max()),
        "share_pct": round(100 * sales["region"].value_counts().max() / 382, 1),
    }
    assert top[3]["value"] == "<every value distinct>"
    assert "No date column found" in shown(cells)
    cells = run_template(
        "explore-data", tmp_path / "b", "--data", str(data), "--date_column", "date"
    )
    assert errors(cells) == []
    dates = table_with(cells, "first", "last", "span_days")
    assert dates[0]["span_days"] == 182


def test_explore_errors_name_the_problem(tmp_path: Path) -> None:
    cells = run_failing("explore-data", tmp_path / "a", "--data", "nowhere/missing.csv")
    message = error_text(cells)
    assert "data file not found" in message
    assert str(tmp_path / "a" / "nowhere" / "missing.csv") in message
    cells = run_failing("explore-data", tmp_path / "b", "--sample_rows", "0")
    assert "sample_rows must be ≥ 1, got 0" in error_text(cells)
    cells = run_failing("explore-data", tmp_path / "c", "--date_column", "when")
    assert "date_column 'when' is not a column of sales.csv" in error_text(cells)


# data-quality -----------------------------------------------------------------------------


def results(cells: Cells) -> dict[str, dict[str, Any]]:
    return {r["check"]: r for r in table_with(cells, "check", "status", "failing_rows")}


def dirty_sales(folder: Path) -> tuple[Path, pd.DataFrame]:
    """The sales with real-world damage: a re-sent batch, a reused id, gaps, typos."""
    df = pd.read_csv(SALES)
    df.loc[5, "order_id"] = df.loc[4, "order_id"]
    df = pd.concat([df, df.iloc[[10, 11, 12]]], ignore_index=True)
    df.loc[[20, 30], "region"] = None
    df.loc[40, "date"] = None
    df.loc[21, "region"] = "Nort"
    df.loc[22, "units"] = 0
    df.loc[23, "amount"] = -5
    df.loc[24, "date"] = "2023-12-31"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dirty.csv"
    df.to_csv(path, index=False)
    return path, df


def test_quality_passes_the_shipped_sales(tmp_path: Path) -> None:
    cells = run_template("data-quality", tmp_path)
    assert errors(cells) == []
    found = results(cells)
    assert all(r["status"] == "pass" for r in found.values()), found
    n_checks = len(found)
    assert n_checks == 16
    assert found["row_count"]["detail"] == "382 rows"
    assert found["row_count"]["failing_rows"] is None
    assert found["unique_key(order_id)"]["failing_rows"] == 0
    sales = pd.read_csv(SALES)
    units = found["in_range(units)"]
    assert units["detail"] == f"min {sales['units'].min()}, max {sales['units'].max()}"
    assert f"{n_checks} checks on sales.csv (382 rows): {n_checks} passed, 0 failed" in shown(cells)
    assert "No failing rows." in shown(cells)


def test_quality_reports_failing_checks_with_counts(tmp_path: Path) -> None:
    path, df = dirty_sales(tmp_path)
    cells = run_template(
        "data-quality", tmp_path / "report", params={"data": str(path), "fail_on_error": "false"}
    )
    assert errors(cells) == []
    found = results(cells)
    failed = {name for name, r in found.items() if r["status"] == "fail"}
    assert failed == {
        "unique_key(order_id)",
        "not_null(date)",
        "not_null(region)",
        "in_range(units)",
        "in_range(amount)",
        "allowed_values(region)",
        "date_range(date)",
        "expression(abs(amount - units * unit_price) < 0.01)",
    }
    key = df["order_id"]
    assert found["unique_key(order_id)"]["failing_rows"] == int(key.duplicated(keep=False).sum())
    assert found["unique_key(order_id)"]["detail"] == (
        f"{key[key.duplicated(keep=False)].nunique()} duplicated keys, 0 missing"
    )
    assert found["not_null(region)"]["failing_rows"] == int(df["region"].isna().sum()) == 2
    assert found["not_null(region)"]["sample"] == "rows 20, 30"
    assert found["not_null(date)"]["failing_rows"] == 1
    assert found["in_range(units)"]["failing_rows"] == int((df["units"] < 1).sum())
    assert found["in_range(amount)"]["sample"] == "-5.0"
    assert found["allowed_values(region)"]["sample"] == "Nort"
    assert found["date_range(date)"]["failing_rows"] == int((df["date"] < "2024-01-01").sum())
    expression = found["expression(abs(amount - units * unit_price) < 0.01)"]
    consistent = (df["amount"] - df["units"] * df["unit_price"]).abs() < 0.01
    assert expression["failing_rows"] == int((~consistent).sum()) == 2
    assert found["row_count"]["status"] == "pass"
    assert found["not_null(product)"]["failing_rows"] == 0
    # The failing rows themselves, by check, with their row numbers.
    sample = table_with(cells, "failed_check", "row", "order_id")
    assert {r["row"] for r in sample if r["failed_check"] == "not_null(region)"} == {20, 30}
    assert f"{len(found)} checks on dirty.csv ({len(df)} rows)" in shown(cells)


def test_quality_fail_on_error_fails_the_run_naming_the_checks(tmp_path: Path) -> None:
    path, df = dirty_sales(tmp_path)
    cells = run_failing("data-quality", tmp_path / "nb", "--data", str(path), "--not_null", "")
    message = error_text(cells)
    assert "AssertionError</span>: " in message  # the traceback names the exception
    # 9 checks without the not_null ones, 6 of them fail.
    dupes = int(df["order_id"].duplicated(keep=False).sum())
    assert dupes == 8
    assert f"6 of 9 data-quality checks failed: unique_key(order_id) ({dupes} failing rows);" in (
        message
    )
    assert "allowed_values(region) (1 failing row);" in message  # missing values are not_null's
    assert "not_null" not in message  # the rule was switched off from the command line
    # Only the gate (the last cell) failed: the results were all shown.
    failing = [i for i, c in enumerate(cells) for o in c["outputs"] if o.get("type") == "error"]
    assert failing == [len(cells) - 1]
    assert results(cells)


def test_quality_freshness_and_bad_rules(tmp_path: Path) -> None:
    stale = run_failing(
        "data-quality", tmp_path / "a", "--max_age_days", "7", "--as_of", "2024-07-10"
    )
    assert results(stale)["freshness(date)"]["detail"] == "newest 2024-06-30"
    assert "1 of 17 data-quality checks failed: freshness(date)" in error_text(stale)
    fresh = run_template(
        "data-quality", tmp_path / "b", "--max_age_days", "7", "--as_of", "2024-07-03"
    )
    assert errors(fresh) == []
    assert results(fresh)["freshness(date)"]["status"] == "pass"
    bad = run_failing("data-quality", tmp_path / "c", "--ranges", "units:5")
    assert "ranges: expected FIRST..LAST, got '5'" in error_text(bad)
    changed = run_template(
        "data-quality",
        tmp_path / "d",
        *("--not_null", "customer", "--ranges", "units:1..5", "--fail_on_error", "false"),
    )
    assert errors(changed) == []
    found = results(changed)
    assert found["not_null(customer)"]["detail"] == "column not in table: customer"
    units = pd.read_csv(SALES)["units"]
    assert found["in_range(units)"]["failing_rows"] == int((units > 5).sum())
    assert "not_null(region)" not in found and "in_range(amount)" not in found
    missing = run_failing("data-quality", tmp_path / "e", "--data", "data/none.parquet")
    assert f"data file not found: {tmp_path / 'e' / 'data' / 'none.parquet'}" in error_text(missing)


# cleaning-pipeline ------------------------------------------------------------------------

CLEAN_COLUMNS = [
    "order_id",
    "order_date",
    "customer",
    "region",
    "product",
    "quantity",
    "unit_price",
    "amount",
    "status",
]


def read_clean(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["order_date"], dtype={"quantity": "Int64"})


def test_cleaning_writes_the_clean_table(tmp_path: Path) -> None:
    cells = run_template("cleaning-pipeline", tmp_path)
    assert errors(cells) == []
    output = tmp_path / "data" / "orders_clean.csv"
    assert output.is_file()
    raw = pd.read_csv(RAW_ORDERS, dtype=str, keep_default_na=False)
    clean = read_clean(output)
    assert list(clean.columns) == CLEAN_COLUMNS
    # 44 raw rows: 5006 twice, 5024 twice once trimmed and lower-cased, 5012 corrected
    # (the last version is kept); 5013 and 5022 have no readable date, 5014 and 5032 no
    # quantity to derive, one row no order id.
    assert len(raw) == 44
    assert len(clean) == 36
    assert clean["order_id"].is_unique and clean["order_id"].is_monotonic_increasing
    assert not {5013, 5014, 5022, 5032} & set(clean["order_id"])
    assert clean.isna().sum().sum() == 0
    assert clean["order_id"].dtype == "int64" and clean["quantity"].dtype == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(clean["order_date"])
    assert clean["unit_price"].dtype == "float64" and clean["amount"].dtype == "float64"
    assert set(clean["region"]) == {"north", "south", "east", "west", "unknown"}
    assert set(clean["product"]) == {"widget", "gadget", "gizmo", "deluxe kit"}
    assert set(clean["status"]) == {"shipped", "cancelled", "returned", "pending", "unknown"}
    assert set(clean["customer"]) == {
        "Acme Corp",
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "unknown",
    }
    row = clean.set_index("order_id")
    assert row.at[5012, "quantity"] == 4  # the correction sent later
    assert row.at[5009, "quantity"] == 3  # derived: 90 / 30
    assert row.at[5008, "amount"] == 43.5  # derived: 6 × 7.25
    assert row.at[5034, "unit_price"] == 12.5  # derived: 37.5 / 3
    assert row.at[5011, "amount"] == 2500.0  # "2,500.00"
    assert str(row.at[5004, "order_date"].date()) == "2024-03-02"  # "Mar 2, 2024"
    assert str(row.at[5003, "order_date"].date()) == "2024-03-02"  # "03/02/2024", month first
    assert (clean["amount"] - clean["quantity"] * clean["unit_price"]).abs().max() < 0.01

    report = {r["step"]: r for r in table_with(cells, "step", "rows_in", "rows_out")}
    assert list(report) == [
        "normalise_columns",
        "trim_strings",
        "parse_dates",
        "coerce_numbers",
        "standardise_categories",
        "drop_duplicates",
        "handle_missing",
    ]
    assert report["normalise_columns"]["rows_in"] == 44
    assert (report["drop_duplicates"]["rows_in"], report["drop_duplicates"]["rows_out"]) == (44, 41)
    assert report["drop_duplicates"]["note"] == "2 identical rows, 1 older versions of a key"
    assert (report["handle_missing"]["rows_in"], report["handle_missing"]["rows_out"]) == (41, 36)
    assert "unreadable 'someday'" in report["parse_dates"]["note"]
    assert "region: 16 → 4 values" in report["standardise_categories"]["note"]
    dropped = table_with(cells, "raw_row", "missing", "Order ID")
    assert {(r["Order ID"], r["missing"]) for r in dropped} == {
        ("5013", "order_date"),
        ("5014", "quantity"),
        ("5022", "order_date"),
        ("5032", "quantity"),
        ("", "order_id"),
    }
    out = shown(cells)
    assert "44 raw rows → 36 clean rows" in out
    assert "Dropped: 3 duplicates, 5 incomplete rows" in out


def test_cleaning_is_idempotent(tmp_path: Path) -> None:
    run_template("cleaning-pipeline", tmp_path)
    output = tmp_path / "data" / "orders_clean.csv"
    first = output.read_bytes()
    run_template("cleaning-pipeline", tmp_path)  # the same raw file again
    assert output.read_bytes() == first
    # Cleaning the clean table changes nothing either.
    cells = run_template(
        "cleaning-pipeline", tmp_path, "--data", str(output), "--output", "data/twice.csv"
    )
    assert (tmp_path / "data" / "twice.csv").read_bytes() == first
    report = table_with(cells, "step", "rows_in", "rows_out", "values_changed")
    assert all(r["rows_in"] == r["rows_out"] == 36 for r in report)
    assert sum(r["values_changed"] for r in report) == 0


def test_cleaning_writes_parquet_and_follows_parameters(tmp_path: Path) -> None:
    cells = run_template(
        "cleaning-pipeline",
        tmp_path,
        "--output",
        "out/orders.parquet",
        "--dayfirst",
        "true",
        params={"fill_text": "n.a."},
    )
    assert errors(cells) == []
    clean = pd.read_parquet(tmp_path / "out" / "orders.parquet")
    assert list(clean.columns) == CLEAN_COLUMNS
    assert str(clean["order_id"].dtype) == "Int64" and str(clean["quantity"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(clean["order_date"])
    assert clean["unit_price"].dtype == "float64"
    assert pd.api.types.is_string_dtype(clean["region"])
    row = clean.set_index("order_id")
    assert str(row.at[5003, "order_date"].date()) == "2024-02-03"  # "03/02/2024", day first
    assert str(row.at[5037, "order_date"].date()) == "2024-03-20"  # "03/20/2024" can only be
    assert row.at[5015, "customer"] == "n.a."
    assert not (tmp_path / "data" / "orders_clean.csv").exists()


def test_cleaning_rejects_bad_parameters(tmp_path: Path) -> None:
    cells = run_failing("cleaning-pipeline", tmp_path / "a", "--output", "data/clean.xlsx")
    assert "output must end in .csv or .parquet, got clean.xlsx" in error_text(cells)
    cells = run_failing("cleaning-pipeline", tmp_path / "b", "--output", "data/raw_orders.csv")
    assert "output would overwrite the raw input" in error_text(cells)
    cells = run_failing("cleaning-pipeline", tmp_path / "c", "--dates", "shipped_on")
    assert "dates: no column shipped_on" in error_text(cells)
    assert not (tmp_path / "c" / "data" / "orders_clean.csv").exists()


@pytest.mark.parametrize("name", ["explore-data", "data-quality", "cleaning-pipeline"])
def test_sample_data_is_copied_beside_the_notebook(name: str, tmp_path: Path) -> None:
    path = create(name, tmp_path)
    assert path.is_file()
    assert any((tmp_path / "data").glob("*.csv"))
