# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "httpx",
#     "marimo>=0.25",
#     "pandas",
#     "pyarrow",
# ]
# ///
# /// marimo-tui
# description = "Ingest a paginated JSON API into a table with httpx: cursor/next-link paging, retries with backoff on 429/5xx, bearer token from an env var, json_normalize, dtypes, dedupe, Parquet/CSV"
# data = ["api_orders.json"]
#
# [params]
# url = "API endpoint to page through (empty: replay the bundled sample answers in data/api_orders.json, no network)"
# page_size = "Records asked for per page (sent as the `limit` query parameter)"
# max_pages = "Stop after this many pages even if the API has more"
# token_env = "Name of the environment variable holding a bearer token (empty: no auth); the token is never shown"
# output = "Where the table is written, relative to the notebook: .parquet or .csv"
# timeout = "Seconds to wait for each HTTP response"
# max_retries = "Retries of a request that gets 429, a 5xx or a network error"
# backoff = "First retry delay in seconds, doubled on each retry (a Retry-After header wins)"
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
    import json
    import os
    import time

    import httpx
    import pandas as pd

    return httpx, json, os, pd, time


@app.cell
def _(mo):
    mo.md(r"""
    # API to table

    Pages through a JSON API with `httpx`, following the cursor or next-page link each answer
    gives, and retries what is worth retrying (429 and 5xx answers, dropped connections) with
    exponential backoff. The records are flattened with `pd.json_normalize`, typed, deduplicated
    by `id` and written to Parquet or CSV.

    With an empty `url` the notebook replays recorded answers shipped in
    `data/api_orders.json` through an `httpx.MockTransport`: the same code path, no network.
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param KEY=VALUE` writes new ones here, and
    # `marimo run notebook.py -- --KEY VALUE` overrides them for one run.
    _defaults = {
        "url": "",
        "page_size": 50,
        "max_pages": 20,
        "token_env": "",
        "output": "data/api_orders.parquet",
        "timeout": 10.0,
        "max_retries": 4,
        "backoff": 0.5,
    }
    params = {**_defaults, **mo.cli_args()}
    for _name in ("page_size", "max_pages"):
        if int(params[_name]) < 1:
            raise ValueError(f"{_name} must be ≥ 1, got {params[_name]!r}")
    if int(params["max_retries"]) < 0:
        raise ValueError(f"max_retries must be ≥ 0, got {params['max_retries']!r}")
    if not float(params["timeout"]) > 0 or not float(params["backoff"]) >= 0:
        raise ValueError("timeout must be > 0 and backoff ≥ 0")
    if str(params["url"]) and not str(params["url"]).startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {params['url']!r}")
    if not str(params["output"]).endswith((".parquet", ".csv")):
        raise ValueError(f"output must end in .parquet or .csv, got {params['output']!r}")
    return (params,)


@app.cell
def source(httpx, json, mo, params):
    # Where the pages come from: the real endpoint, or the recorded sample answers.
    if params["url"]:
        endpoint = str(params["url"])
        transport = None
        source_label = f"`{endpoint}`"
    else:
        _sample = mo.notebook_dir() / "data" / "api_orders.json"
        if not _sample.is_file():
            raise FileNotFoundError(f"no url given and the sample answers are missing: {_sample}")
        _pages = {
            _page["cursor"] or "": _page["body"]
            for _page in json.loads(_sample.read_text(encoding="utf-8"))["pages"]
        }

        def _replay(request: httpx.Request) -> httpx.Response:
            _body = _pages.get(request.url.params.get("cursor", ""))
            if _body is None:
                return httpx.Response(404, json={"error": "unknown cursor"})
            return httpx.Response(200, json=_body)

        endpoint = "https://api.example.invalid/v1/orders"
        transport = httpx.MockTransport(_replay)
        source_label = f"the recorded sample answers (`{_sample.name}`, {len(_pages)} pages)"
    return endpoint, source_label, transport


@app.cell
def fetch(endpoint, httpx, os, params, time, transport):
    # Page through the API. The token is read here and stays inside this cell: it is not a
    # notebook variable, is never printed, and is sent only in the Authorization header.
    _retry_on = {429, 500, 502, 503, 504}
    _retries = int(params["max_retries"])
    _headers = {"Accept": "application/json"}
    if params["token_env"]:
        _token = os.environ.get(str(params["token_env"]), "")
        if not _token:
            raise ValueError(
                f"token_env is {params['token_env']!r}, but that environment variable is not set"
            )
        _headers["Authorization"] = f"Bearer {_token}"
    requests_log = []

    def _get(client: httpx.Client, url: str, query: dict | None) -> httpx.Response:
        """GET with retries: exponential backoff, or the server's Retry-After."""
        _attempt = 0
        while True:
            _attempt += 1
            try:
                _resp = client.get(url, params=query)
                _status, _reason = _resp.status_code, _resp.reason_phrase
            except httpx.TransportError as _exc:  # refused, reset, timed out, ...
                _resp, _status, _reason = None, None, type(_exc).__name__
            _entry = {
                "page": len(pages) + 1,
                "url": url,
                "cursor": (query or {}).get("cursor"),
                "attempt": _attempt,
                "status": _status,
                "outcome": "ok",
            }
            requests_log.append(_entry)
            if _resp is not None and _status not in _retry_on:
                _resp.raise_for_status()  # 4xx other than 429: retrying will not help
                return _resp
            if _attempt > _retries:
                _entry["outcome"] = "failed"
                raise RuntimeError(
                    f"GET {url} failed {_attempt} times (last: {_status or ''} {_reason}); giving up"
                )
            _after = _resp.headers.get("Retry-After", "") if _resp is not None else ""
            _wait = (
                float(_after)
                if _after.isdigit()
                else float(params["backoff"]) * 2 ** (_attempt - 1)
            )
            _entry["outcome"] = f"retry in {min(_wait, 60.0):g}s"
            time.sleep(min(_wait, 60.0))

    def _next_page(body, resp: httpx.Response) -> tuple[str | None, str | None]:
        """(next URL, next cursor) from the common pagination styles."""
        _body = body if isinstance(body, dict) else {}
        _links = _body.get("links") or {}
        _url = _body.get("next") or (_links.get("next") if isinstance(_links, dict) else None)
        if not _url and "next" in resp.links:
            _url = resp.links["next"].get("url")
        _cursor = (_body.get("pagination") or {}).get("next_cursor") or _body.get("next_cursor")
        return (str(resp.url.join(_url)) if _url else None), _cursor

    pages = []
    _url, _query = endpoint, {"limit": int(params["page_size"])}
    _seen = {(_url, str(_query))}
    with httpx.Client(
        headers=_headers,
        timeout=float(params["timeout"]),
        transport=transport,
        follow_redirects=True,
    ) as _client:
        while _url and len(pages) < int(params["max_pages"]):
            _resp = _get(_client, _url, _query)
            _body = _resp.json()
            pages.append(_body)
            _next_url, _cursor = _next_page(_body, _resp)
            if _next_url:
                _url, _query = _next_url, None
            elif _cursor:
                _query = {"limit": int(params["page_size"]), "cursor": _cursor}
            else:
                _url = None
            _key = (_url, str(_query))
            if _url and _key in _seen:
                raise RuntimeError(f"the API sent the same next page twice ({_key}); stopping")
            _seen.add(_key)
    more_pages = _url is not None
    return more_pages, pages, requests_log


@app.cell
def _(mo):
    mo.md(r"""
    ## Flatten, type and deduplicate

    Nested objects become columns (`customer.address.city` → `customer_address_city`); the
    line items are summarised per order (count, units, SKUs). Amounts arrive as strings, as
    many APIs send money, and are converted to numbers. With cursor pagination a record that
    changes while you page can be served twice: the latest `updated_at` wins.
    """)
    return


@app.cell
def normalise(pages, pd):
    def _records(body) -> list:
        if isinstance(body, list):
            return body
        for _key in ("data", "results", "items", "records"):
            if isinstance(body.get(_key), list):
                return body[_key]
        raise ValueError(f"no list of records in the answer (keys: {', '.join(body)})")

    raw_records = [_rec for _body in pages for _rec in _records(_body)]
    _flat = pd.json_normalize(raw_records, sep="_")
    if "items" in _flat.columns:
        _items = _flat.pop("items")
        _flat["item_count"] = _items.map(lambda _v: len(_v) if isinstance(_v, list) else 0)
        _flat["item_units"] = _items.map(
            lambda _v: sum(int(_i.get("quantity", 0)) for _i in _v) if isinstance(_v, list) else 0
        )
        _flat["skus"] = _items.map(
            lambda _v: (
                ",".join(sorted({str(_i.get("sku")) for _i in _v})) if isinstance(_v, list) else ""
            )
        )
    # A null nested object (`"shipping": null`) leaves an all-null column beside its fields.
    _flat = _flat.drop(
        columns=[
            _c
            for _c in _flat.columns
            if _flat[_c].isna().all() and _flat.columns.str.startswith(f"{_c}_").any()
        ]
    )
    # Dtypes by naming convention: adapt these rules to your API's schema.
    _columns = list(_flat.columns)
    for _col in [_c for _c in _columns if _c.endswith("_at")]:
        _flat[_col] = pd.to_datetime(_flat[_col], utc=True, format="ISO8601")
    for _col in [_c for _c in _columns if _c.endswith(("_amount", "_cost", "_price"))]:
        _flat[_col] = pd.to_numeric(_flat[_col], errors="raise")
    for _col in [
        _c for _c in _columns if _c == "status" or _c.endswith(("_currency", "_country", "_method"))
    ]:
        _flat[_col] = _flat[_col].astype("category")
    if "id" not in _flat.columns:
        raise ValueError("the records have no `id` field to deduplicate on")
    _flat["id"] = _flat["id"].astype(str)
    if "updated_at" in _flat.columns:
        _flat = _flat.sort_values("updated_at", kind="stable")
    orders = _flat.drop_duplicates("id", keep="last").sort_values("id").reset_index(drop=True)
    orders
    return orders, raw_records


@app.cell
def write(mo, orders, params):
    output_path = mo.notebook_dir() / str(params["output"])
    output_path.parent.mkdir(parents=True, exist_ok=True)
    if output_path.suffix == ".parquet":
        orders.to_parquet(output_path, index=False)
    else:
        orders.to_csv(output_path, index=False)
    return (output_path,)


@app.cell
def summary(
    mo,
    more_pages,
    orders,
    output_path,
    pages,
    params,
    pd,
    raw_records,
    requests_log,
    source_label,
):
    _retried = sum(1 for _r in requests_log if _r["outcome"].startswith("retry"))
    _dupes = len(raw_records) - len(orders)
    _auth = f"bearer token from `${params['token_env']}`" if params["token_env"] else "none"
    _schema = pd.DataFrame(
        {
            "column": orders.columns,
            "dtype": [str(_t) for _t in orders.dtypes],
            "non_null": orders.notna().sum().to_numpy(),
        }
    )
    mo.vstack(
        [
            mo.md(f"""
            ## Summary

            - Source: {source_label}; auth: {_auth}
            - **{len(pages)} pages fetched** in {len(requests_log)} requests ({_retried} retried){" — stopped at max_pages, the API has more" if more_pages else ""}
            - **{len(orders)} rows** from {len(raw_records)} records ({_dupes} duplicate{"" if _dupes == 1 else "s"} of an `id` dropped), **{orders.shape[1]} columns**
            - Written to `{output_path}`
            """),
            mo.hstack(
                [
                    mo.ui.table(_schema, selection=None, label="Schema", page_size=30),
                    mo.ui.table(pd.DataFrame(requests_log), selection=None, label="Requests"),
                ],
                widths=[1, 2],
            ),
            mo.ui.table(orders.head(5), selection=None, label="Sample rows"),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
