"""Tables in cell outputs: marimo's `<marimo-table>` payloads, fetched table files, HTML tables."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from marimo_tui.runtime.output_json import untag

# marimo adds a stable row id to tables it can select rows of; it is not the user's data.
ROW_ID_COLUMN = "_marimo_row_id"
VIRTUAL_FILE_PREFIXES = ("./@file/", "/@file/", "@file/")


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # cells already as display strings
    total_rows: int | None = None  # rows in the whole table when only some are here
    source_url: str | None = None  # relative URL of the data on the sidecar, when not inline


EMPTY_TABLE = Table((), ())


def cell_text(value: object) -> str:
    value = untag(value)  # marimo tags floats and big ints in tables as in JSON outputs
    if value is None:
        return "None"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"  # json.loads turns marimo's bare NaN into float('nan')
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def table_from_records(
    records: Sequence[object], columns: Sequence[str] = (), total_rows: int | None = None
) -> Table:
    """Rows as dicts (marimo's JSON) or as lists; `columns` gives the order when known."""
    names = [c for c in columns if c != ROW_ID_COLUMN]
    first = records[0] if records else None
    if isinstance(first, Mapping):
        # marimo lists every column's type but sends only the first `max_columns` of them.
        keys = [str(k) for k in first if k != ROW_ID_COLUMN]
        names = [n for n in names if n in keys] + [k for k in keys if k not in names]
    rows: list[tuple[str, ...]] = []
    for record in records:
        if isinstance(record, Mapping):
            rows.append(tuple(cell_text(record.get(name)) for name in names))
        elif isinstance(record, list | tuple):
            rows.append(tuple(cell_text(v) for v in record))
        else:
            rows.append((cell_text(record),))
    if not names and rows:
        names = [str(i) for i in range(max(len(r) for r in rows))]
    return _squared(tuple(names), rows, total_rows)


def table_from_grid(grid: Sequence[Sequence[str]], total_rows: int | None = None) -> Table:
    """A header row followed by data rows (CSV, HTML `<table>`)."""
    if not grid:
        return EMPTY_TABLE
    header = [str(c) for c in grid[0]]
    keep = [i for i, name in enumerate(header) if name != ROW_ID_COLUMN]
    rows = [tuple(row[i] if i < len(row) else "" for i in keep) for row in grid[1:]]
    return _squared(tuple(header[i] for i in keep), rows, total_rows)


def _squared(columns: tuple[str, ...], rows: Iterable[tuple[str, ...]], total: int | None) -> Table:
    width = len(columns)
    fitted = tuple(r[:width] + ("",) * (width - len(r)) for r in rows)
    if total is not None and total <= len(fitted):
        total = None  # everything is here
    return Table(columns, fitted, total)


def _json_attr(value: str | None) -> object:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def marimo_table(attrs: Mapping[str, str]) -> tuple[Table, str]:
    """A `<marimo-table>` element's attributes → (table, banner text).

    marimo 0.25 ships the first page inline: `data-data` is JSON whose value is itself a JSON
    string of records; older versions (and lazy tables) give a virtual-file URL or `[]`.
    """
    data = _json_attr(attrs.get("data-data"))
    total = _json_attr(attrs.get("data-total-rows"))
    total_rows = total if isinstance(total, int) and not isinstance(total, bool) else None
    field_types = _json_attr(attrs.get("data-field-types"))
    columns: list[str] = []
    if isinstance(field_types, list):
        columns = [str(item[0]) for item in field_types if isinstance(item, list) and item]
    banner = _json_attr(attrs.get("data-banner-text"))
    banner_text = banner if isinstance(banner, str) else ""
    if isinstance(data, str):
        stripped = data.strip()
        if stripped.startswith(VIRTUAL_FILE_PREFIXES) or stripped.startswith(("http:", "https:")):
            names = tuple(c for c in columns if c != ROW_ID_COLUMN)
            return Table(names, (), total_rows, stripped), banner_text
        if stripped.startswith("data:"):
            mime, _, payload = _split_data_url(stripped)
            table = parse_table_data(payload, mime)
            return _squared(table.columns, table.rows, total_rows), banner_text
        data = _json_attr(stripped)
    records = data if isinstance(data, list) else []
    return table_from_records(records, columns, total_rows), banner_text


def _split_data_url(url: str) -> tuple[str, str, bytes]:
    import base64
    import urllib.parse

    header, _, payload = url.partition(",")
    mime = header[5:].split(";")[0] or "text/plain"
    if header.endswith(";base64"):
        try:
            return mime, "base64", base64.b64decode(payload, validate=False)
        except ValueError:
            return mime, "base64", b""
    return mime, "", urllib.parse.unquote_to_bytes(payload)


def parse_table_data(body: str | bytes, content_type: str) -> Table:
    """The fetched body of `Table.source_url`: marimo serves CSV (`text/csv`) or JSON records.

    Arrow IPC (served when pyarrow is installed in the kernel) cannot be read without pyarrow:
    it gives an empty table rather than garbage.
    """
    try:
        return _parse_table_data(body, content_type.lower())
    except Exception:
        return EMPTY_TABLE


def _parse_table_data(body: str | bytes, content_type: str) -> Table:
    if isinstance(body, bytes):
        if "arrow" in content_type or body.startswith(b"ARROW1"):
            return EMPTY_TABLE
        body = body.decode("utf-8", errors="replace")
    text = body.lstrip("\ufeff")
    stripped = text.lstrip()
    if "json" in content_type or ("csv" not in content_type and stripped[:1] in ("[", "{")):
        return _table_from_json(json.loads(text))
    reader = csv.reader(io.StringIO(text))
    return table_from_grid([row for row in reader if row])


def _table_from_json(data: object) -> Table:
    if isinstance(data, Mapping):
        if isinstance(data.get("columns"), list) and isinstance(data.get("data"), list):
            # pandas' orient="split"
            return table_from_records(data["data"], [str(c) for c in data["columns"]])
        columns = [str(k) for k in data]
        values = [v if isinstance(v, list) else [v] for v in data.values()]
        length = max((len(v) for v in values), default=0)
        grid = [[cell_text(v[i]) if i < len(v) else "" for v in values] for i in range(length)]
        return table_from_grid([columns, *grid])
    if isinstance(data, list):
        return table_from_records(data)
    return table_from_records([data])
