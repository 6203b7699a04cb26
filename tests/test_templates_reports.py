"""The reporting templates compute the right numbers: dashboard, sql-over-dataframes, report,
api-ingestion (against a real loopback HTTP server)."""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from tests.conftest import TEMPLATES
from tests.template_support import Cells, errors, run_template, text

SALES = pd.read_csv(TEMPLATES / "data" / "sales.csv", parse_dates=["date"])


def _decoded(value: object) -> str:
    """An output as plain text: HTML entities and nested elements' JSON escapes decoded."""
    out = value if isinstance(value, str) else json.dumps(value)
    for _ in range(3):
        out = html.unescape(out)
        out = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), out)
        out = out.replace('\\"', '"')
    return out


def _outputs(cells: Cells) -> list[str]:
    return [_decoded(v) for c in cells for o in c["outputs"] for v in o.get("data", {}).values()]


def _shown(cells: Cells) -> str:
    """Everything the cells showed, decoded, as one searchable string."""
    return "\n".join(_outputs(cells))


def _stats(cells: Cells) -> dict[str, str]:
    """The mo.stat cards shown: label -> value."""
    found: dict[str, str] = {}
    for cell in cells:
        for out in cell["outputs"]:
            page = html.unescape(out.get("data", {}).get("text/html", ""))
            for tag in re.findall(r"<marimo-stat [^>]*>", page):
                attrs = dict(re.findall(r"data-([a-z_]+)='([^']*)'", tag))
                found[json.loads(attrs["label"])] = json.loads(attrs["value"])
    return found


def _tables(cells: Cells) -> list[tuple[list[dict[str, Any]], int]]:
    """Every mo.ui.table / mo.sql output: (rows of its first page, total rows)."""
    found = []
    for cell in cells:
        for out in cell["outputs"]:
            page = html.unescape(out.get("data", {}).get("text/html", ""))
            for tag in re.findall(r"<marimo-table [^>]*>", page):
                attrs = dict(re.findall(r"data-([a-z-]+)='([^']*)'", tag))
                found.append(
                    (json.loads(json.loads(attrs["data"])), json.loads(attrs["total-rows"]))
                )
    return found


def _table_with(cells: Cells, *columns: str) -> tuple[list[dict[str, Any]], int]:
    matches = [t for t in _tables(cells) if t[0] and list(t[0][0])[: len(columns)] == list(columns)]
    assert len(matches) == 1, f"expected one table starting with {columns}, got {len(matches)}"
    return matches[0]


def _md_rows(cells: Cells) -> dict[str, list[str]]:
    """Rows of the markdown tables shown (rendered as HTML): first cell -> the other cells."""
    rows: dict[str, list[str]] = {}
    for page in _outputs(cells):
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
            tds = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            if tds:
                cells_text = [re.sub(r"<[^>]+>", "", td).strip() for td in tds]
                rows[cells_text[0]] = cells_text[1:]
    return rows


def _error_values(cells: Cells) -> str:
    return " | ".join(str(e.get("evalue", "")) for e in errors(cells))


# -- dashboard ---------------------------------------------------------------------------------


def test_dashboard_kpis_equal_pandas_for_the_default_selection(tmp_path: Path) -> None:
    cells = run_template("dashboard", tmp_path)
    assert errors(cells) == []
    stats = _stats(cells)
    # Default selection: every region and product, the whole date range, metric "amount".
    assert stats["Total amount"] == f"{SALES['amount'].sum():,.2f}"
    assert stats["Orders"] == f"{SALES['order_id'].nunique():,}"
    assert stats["Average order value"] == f"{SALES['amount'].sum() / len(SALES):,.2f}"
    # Nothing before the first order: no change to show, rather than a division by zero.
    assert stats["Change in amount"] == "n/a"
    rows, total = _table_with(cells, "date", "order_id", "region")
    assert total == len(SALES) and rows[0]["date"] == f"{SALES['date'].max():%Y-%m-%d}"
    page = _shown(cells)
    assert page.count("data:image/png;base64") == 2  # the trend and the region chart


def test_dashboard_default_metric_from_new_and_from_the_command_line(tmp_path: Path) -> None:
    stats = _stats(run_template("dashboard", tmp_path / "a", params={"default_metric": "units"}))
    assert stats["Total units"] == f"{SALES['units'].sum():,.0f}"
    # An absolute data path works, and the cards follow the data.
    march = SALES[SALES["date"].dt.month == 3]
    march.to_csv(tmp_path / "march.csv", index=False)
    cells = run_template(
        "dashboard",
        tmp_path / "b",
        "--default_metric",
        "orders",
        "--data",
        str(tmp_path / "march.csv"),
    )
    assert errors(cells) == []
    stats = _stats(cells)
    assert stats["Total orders"] == f"{len(march):,}"
    assert stats["Average order value"] == f"{march['amount'].sum() / len(march):,.2f}"


def test_dashboard_rejects_an_unknown_metric(tmp_path: Path) -> None:
    cells = run_template("dashboard", tmp_path, "--default_metric", "revenue", ok=False)
    assert "default_metric must be amount, units or orders, got 'revenue'" in _error_values(cells)


# -- sql-over-dataframes -----------------------------------------------------------------------


def test_sql_aggregates_join_and_windows_equal_pandas(tmp_path: Path) -> None:
    cells = run_template("sql-over-dataframes", tmp_path)
    assert errors(cells) == []
    by_region, total = _table_with(cells, "region", "orders", "units", "revenue")
    expected = SALES.groupby("region").agg(
        orders=("order_id", "count"), units=("units", "sum"), revenue=("amount", "sum")
    )
    assert total == 4
    assert [r["region"] for r in by_region] == list(
        expected["revenue"].sort_values(ascending=False).index
    )
    for row in by_region:
        want = expected.loc[row["region"]]
        assert row["orders"] == want["orders"] and row["units"] == want["units"]
        assert row["revenue"] == pytest.approx(want["revenue"], abs=0.005)
    # The join: revenue and target per region-month (first page of the table).
    targets = pd.read_csv(TEMPLATES / "data" / "targets.csv").set_index("region")["monthly_target"]
    monthly = SALES.groupby([SALES["date"].dt.strftime("%Y-%m"), "region"])["amount"].sum()
    joined, total = _table_with(cells, "region", "month", "revenue", "target")
    assert total == len(monthly) == 24
    for row in joined:
        assert row["revenue"] == pytest.approx(monthly[(row["month"], row["region"])], abs=0.005)
        assert row["target"] == targets[row["region"]]
        assert row["hit"] == (row["revenue"] >= row["target"])
    # The window: running revenue per region through the months, and the rank within a month.
    running, _ = _table_with(cells, "region", "month", "revenue", "running_revenue")
    cumulative = monthly.groupby(level="region").cumsum()
    ranks = monthly.groupby(level="date").rank(ascending=False, method="min")
    for row in running:
        assert row["running_revenue"] == pytest.approx(
            cumulative[(row["month"], row["region"])], abs=0.01
        )
        assert row["rank_in_month"] == ranks[(row["month"], row["region"])]
    # The reconciliation cell passed, and the summary table shows the same numbers.
    assert "All SQL results reconcile with pandas" in text(cells)
    md = _md_rows(cells)
    for region, revenue in expected["revenue"].items():
        assert md[region][1] == f"{revenue:,.2f}"
    large = SALES[SALES["amount"] >= 150.0]
    assert f"{len(large)} large orders" in _shown(cells)


def test_sql_parameters_change_the_query(tmp_path: Path) -> None:
    default = run_template("sql-over-dataframes", tmp_path / "a")
    _, default_total = _table_with(default, "order_id", "day", "region")
    assert default_total == (SALES["amount"] >= 150.0).sum()

    cells = run_template(
        "sql-over-dataframes", tmp_path / "b", "--region", "north", params={"min_amount": "250"}
    )
    assert errors(cells) == []
    expected = SALES[(SALES["amount"] >= 250) & (SALES["region"] == "north")]
    rows, total = _table_with(cells, "order_id", "day", "region")
    assert 0 < total == len(expected) < default_total
    assert {r["region"] for r in rows} == {"north"} and all(r["amount"] >= 250 for r in rows)
    assert [r["amount"] for r in rows] == sorted(expected["amount"], reverse=True)[: len(rows)]
    assert f"{len(expected)} large orders" in _shown(cells)


@pytest.mark.parametrize(
    ("params", "args", "message"),
    [
        (
            {"region": "north' OR '1'='1"},
            (),
            "region must be one of east, north, south, west or empty, got \"north' OR '1'='1\"",
        ),
        ({}, ("--min_amount=-5",), "min_amount must be a number ≥ 0, got -5"),
        ({}, ("--min_amount", "1; DROP TABLE sales"), "min_amount must be a number, got '1;"),
    ],
)
def test_sql_rejects_unsafe_or_bad_parameters(
    tmp_path: Path, params: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    cells = run_template("sql-over-dataframes", tmp_path, *args, params=params, ok=False)
    assert message in _error_values(cells)


# -- report ------------------------------------------------------------------------------------


def _figures(frame: pd.DataFrame) -> dict[str, str]:
    revenue, orders = frame["amount"].sum(), frame["order_id"].nunique()
    return {
        "Revenue": f"{revenue:,.2f}",
        "Orders": f"{orders:,}",
        "Units": f"{frame['units'].sum():,}",
        "Average order value": f"{revenue / orders:,.2f}",
    }


def test_report_figures_equal_pandas_for_the_period(tmp_path: Path) -> None:
    cells = run_template(
        "report",
        tmp_path,
        params={"title": "March review", "period_start": "2024-03-01", "period_end": "2024-03-31"},
    )
    assert errors(cells) == []
    day = SALES["date"].dt.date
    current = SALES[(day >= date(2024, 3, 1)) & (day <= date(2024, 3, 31))]
    # The previous period has the same length (31 days) and ends the day before.
    previous = SALES[(day >= date(2024, 1, 30)) & (day <= date(2024, 2, 29))]
    now, before = _figures(current), _figures(previous)
    md = _md_rows(cells)
    for name in now:
        assert md[name][:2] == [now[name], before[name]], name
    change = (current["amount"].sum() / previous["amount"].sum() - 1) * 100
    assert md["Revenue"][2] == f"{'▲' if change > 0 else '▼'} {change:+.1f}%"
    top = current.groupby("product")["amount"].sum().sort_values(ascending=False)
    assert md[top.index[0]][:2] == [f"{top.iloc[0]:,.2f}", f"{top.iloc[0] / top.sum():.0%}"]
    shown = _shown(cells)
    assert "March review" in shown and "(31 days)" in shown and "30 January 2024" in shown
    assert "image/png" in shown  # the chart


def test_report_callouts_follow_alert_pct(tmp_path: Path) -> None:
    # Q2 against Q1: revenue rose about a third.
    cells = run_template("report", tmp_path / "a")
    assert errors(cells) == []
    assert "<strong>Revenue</strong> rose 33.2% against the previous period" in _shown(cells)
    quiet = run_template("report", tmp_path / "b", "--alert_pct", "1000")
    assert "No figure or region moved by 1000% or more" in _shown(quiet)


def test_report_end_before_start_is_a_clear_error(tmp_path: Path) -> None:
    cells = run_template(
        "report", tmp_path, "--period_start", "2024-03-01", "--period_end", "2024-02-01", ok=False
    )
    assert "period_end 2024-02-01 is before period_start 2024-03-01" in _error_values(cells)
    bad = run_template("report", tmp_path / "b", "--period_start", "March", ok=False)
    assert "period_start must be an ISO date (YYYY-MM-DD), got 'March'" in _error_values(bad)


def test_report_period_without_data_says_so(tmp_path: Path) -> None:
    cells = run_template(
        "report", tmp_path, "--period_start", "2025-01-01", "--period_end", "2025-01-31"
    )
    assert errors(cells) == []
    shown = _shown(cells)
    assert "No orders between 2025-01-01 and 2025-01-31." in shown
    assert "nothing to report" in shown and "image/png" not in shown


# -- api-ingestion -----------------------------------------------------------------------------


def test_api_ingestion_default_reads_the_bundled_sample(tmp_path: Path) -> None:
    cells = run_template("api-ingestion", tmp_path)
    assert errors(cells) == []
    sample = json.loads((TEMPLATES / "data" / "api_orders.json").read_text())
    records = [r for page in sample["pages"] for r in page["body"]["data"]]
    ids = sorted({r["id"] for r in records})
    table = pd.read_parquet(tmp_path / "data" / "api_orders.parquet")
    assert sorted(table["id"]) == ids and len(ids) < len(records)  # deduplicated
    # The later version of a record served twice wins.
    assert table.set_index("id").loc["ord_1005", "status"] == "paid"
    assert str(table["created_at"].dtype).startswith("datetime64") and "UTC" in str(
        table["created_at"].dtype
    )
    assert table["total_amount"].dtype == "float64" and table["customer_address_city"].notna().all()
    assert table["total_amount"].sum() == pytest.approx(
        sum(
            float(r["total"]["amount"])
            for r in records
            if r["id"] != "ord_1005" or r["status"] == "paid"
        )
    )
    shown = _shown(cells)
    assert f"{len(sample['pages'])} pages fetched" in shown and f"{len(ids)} rows" in shown
    # CSV works too.
    run_template("api-ingestion", tmp_path / "csv", "--output", "out/orders.csv")
    assert sorted(pd.read_csv(tmp_path / "csv" / "out" / "orders.csv")["id"]) == ids


TOKEN = "tok-9f3b1c77-very-secret"
RECORDS = [
    {
        "id": f"r{n}",
        "created_at": f"2024-07-0{1 + n % 5}T10:00:00Z",
        "status": "paid" if n % 3 else "open",
        "customer": {"id": f"C{n:03d}", "address": {"country": "NL" if n % 2 else "FR"}},
        "total": {"amount": f"{10 * n + 0.5:.2f}", "currency": "EUR"},
        "items": [{"sku": "widget", "quantity": n}],
    }
    for n in range(1, 8)
]


class _Api:
    """A paginated JSON API on 127.0.0.1: `limit`/`cursor` paging, bearer auth, one 503 first."""

    def __init__(self, *, token: str | None, failures: int = 1, link_header: bool = False) -> None:
        self.token, self.failures, self.link_header = token, failures, link_header
        self.seen: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                api.seen.append(
                    {"path": url.path, "query": query, "auth": self.headers.get("Authorization")}
                )
                if api.failures > 0:
                    api.failures -= 1
                    return self._send(503, {"error": "try again"})
                if (
                    api.token is not None
                    and self.headers.get("Authorization") != f"Bearer {api.token}"
                ):
                    return self._send(401, {"error": "bad token"})
                limit, start = int(query["limit"]), int(query.get("cursor", "o0")[1:])
                end = start + limit
                more = end < len(RECORDS)
                body: dict[str, Any] = {"data": RECORDS[start:end]}
                headers = {}
                if api.link_header:
                    if more:
                        headers["Link"] = f'</v1/orders?limit={limit}&cursor=o{end}>; rel="next"'
                else:
                    body["pagination"] = {"next_cursor": f"o{end}" if more else None}
                self._send(200, body, headers)

            def _send(
                self, status: int, body: object, headers: dict[str, str] | None = None
            ) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/orders"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Api]]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    started: list[_Api] = []

    def start(**kwargs: Any) -> _Api:
        api = _Api(**kwargs)
        started.append(api)
        return api

    yield start  # type: ignore[misc]
    for api in started:
        api.close()


def _no_token_anywhere(folder: Path, cells: Cells) -> None:
    assert TOKEN not in text(cells) and TOKEN not in _shown(cells)
    for path in folder.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_api_ingestion_from_a_loopback_server_with_retry_and_token(
    tmp_path: Path, api_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MTUI_TEST_API_TOKEN", TOKEN)
    api = api_server(token=TOKEN)
    cells = run_template(
        "api-ingestion",
        tmp_path,
        "--url", api.url,
        "--page_size", "3",
        "--token_env", "MTUI_TEST_API_TOKEN",
        "--backoff", "0.05",
        "--output", "data/orders.csv",
    )  # fmt: skip
    assert errors(cells) == []
    # One 503, retried, then three pages of 3, 3 and 1 records following the cursor.
    assert [(r["query"].get("cursor"), r["query"]["limit"]) for r in api.seen] == [
        (None, "3"),
        (None, "3"),
        ("o3", "3"),
        ("o6", "3"),
    ]
    assert all(r["auth"] == f"Bearer {TOKEN}" for r in api.seen)
    table = pd.read_csv(tmp_path / "data" / "orders.csv")
    assert list(table["id"]) == sorted(r["id"] for r in RECORDS)
    assert table["total_amount"].sum() == pytest.approx(sum(10 * n + 0.5 for n in range(1, 8)))
    assert set(table["customer_address_country"]) == {"NL", "FR"}
    assert list(table["item_units"]) == [
        int(r["id"][1:]) for r in sorted(RECORDS, key=lambda r: r["id"])
    ]
    shown = _shown(cells)
    assert "3 pages fetched" in shown and "4 requests (1 retried)" in shown
    assert f"{len(RECORDS)} rows" in shown and "bearer token from" in shown
    _no_token_anywhere(tmp_path, cells)


def test_api_ingestion_link_header_and_max_pages(tmp_path: Path, api_server: Any) -> None:
    api = api_server(token=None, failures=0, link_header=True)
    cells = run_template(
        "api-ingestion", tmp_path, "--url", api.url, "--page_size", "2", "--max_pages", "3"
    )
    assert errors(cells) == []
    assert [r["query"].get("cursor") for r in api.seen] == [None, "o2", "o4"]
    table = pd.read_parquet(tmp_path / "data" / "api_orders.parquet")
    assert list(table["id"]) == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert "stopped at max_pages" in _shown(cells)


def test_api_ingestion_errors_are_clear_and_keep_the_token_secret(
    tmp_path: Path, api_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API refuses the token: a 401 is not retried, and the error does not show the token.
    monkeypatch.setenv("MTUI_TEST_API_TOKEN", TOKEN)
    api = api_server(token="another-token", failures=0)
    args = ("--url", api.url, "--token_env", "MTUI_TEST_API_TOKEN")
    cells = run_template("api-ingestion", tmp_path / "a", *args, ok=False)
    assert "401 Unauthorized" in _error_values(cells) and len(api.seen) == 1
    _no_token_anywhere(tmp_path / "a", cells)
    # A server that keeps failing: retries run out with a clear message.
    down = api_server(token=None, failures=10)
    cells = run_template(
        "api-ingestion",
        tmp_path / "b",
        "--url",
        down.url,
        "--max_retries",
        "2",
        "--backoff",
        "0",
        ok=False,
    )
    assert "failed 3 times (last: 503 Service Unavailable); giving up" in _error_values(cells)
    assert len(down.seen) == 3
    # The token variable is not set.
    monkeypatch.delenv("MTUI_TEST_API_TOKEN")
    cells = run_template("api-ingestion", tmp_path / "c", *args, ok=False)
    assert "'MTUI_TEST_API_TOKEN', but that environment variable is not set" in _error_values(cells)
