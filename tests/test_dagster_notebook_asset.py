"""`marimo_asset` as a first-class Dagster asset, materialized by a real (in-process) Dagster:
partitions, upstream inputs, a value for downstream assets, failed runs that still report
their HTML, outputs and prints, and notebooks written for a newer Python.

The partitioned assets are those of `tests/dagster_projects/dg_project`, which
test_dagster_layouts also serves with a real webserver.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

dg = pytest.importorskip("dagster")

DG_PROJECT = REPO / "tests" / "dagster_projects" / "dg_project"


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Any]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home)) as inst:
        yield inst


@pytest.fixture
def dg_project(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(DG_PROJECT / "src"))
    from dg_project.defs import daily_report, orders, report_total

    return orders.orders, daily_report.daily_report, report_total.report_total


def notebook(path: Path, *cells: str) -> Path:
    body = "".join(f"\n\n@app.cell\n{cell.strip()}\n" for cell in cells)
    path.write_text(
        f'import marimo\n\n__generated_with = "0.25.2"\napp = marimo.App()\n{body}\n\n'
        'if __name__ == "__main__":\n    app.run()\n',
        encoding="utf-8",
    )
    return path


def test_partition_key_and_upstream_value_reach_the_notebook_and_its_value_goes_downstream(
    instance: Any, dg_project: Any
) -> None:
    orders, daily_report, report_total = dg_project
    spec = next(iter(daily_report.specs))
    assert (
        spec.partitions_def is not None and "2024-01-05" in spec.partitions_def.get_partition_keys()
    )
    result = dg.materialize(
        [orders, daily_report, report_total], partition_key="2024-01-05", instance=instance
    )
    assert result.success
    [mat] = result.asset_materializations_for_node("daily_report")
    assert mat.partition == "2024-01-05"
    assert mat.metadata["params"].value == {"partition_key": "2024-01-05"}
    assert mat.metadata["inputs"].value == {"orders": "orders"}
    assert mat.metadata["printed"].value == "--- cell load\nreport for 2024-01-05: 5 orders\n"
    cells = {c["name"]: c for c in mat.metadata["cells"].value}
    assert cells["load"]["printed"] == "report for 2024-01-05: 5 orders\n"
    html = Path(mat.metadata["html"].value)
    assert html.name == f"{result.run_id}-2024-01-05.html" and html.is_file()
    # The value a cell handed on with asset_output is the asset's output, stored by the IO
    # manager and loaded by the downstream asset (which used to fail with FileNotFoundError).
    summary = result.output_for_node("daily_report")
    assert summary.to_dict("records") == [{"day": "2024-01-05", "orders": 5, "total": 150.0}]
    assert result.output_for_node("report_total") == 150.0


def test_ins_and_deps_are_the_assets_upstreams(tmp_path: Path) -> None:
    from marimo_tui.dagster import marimo_asset

    path = notebook(tmp_path / "n.py", "def _():\n    x = 1\n    return (x,)")
    asset = marimo_asset(path, ins=["raw/orders", dg.AssetKey("customers")], deps=["regions"])
    # Inputs by the last part of their key; a dep is an input of no value (Nothing).
    inputs = {
        name: key.to_user_string()
        for name, key in asset.keys_by_input_name.items()
        if not asset.op.ins[name].dagster_type.is_nothing
    }
    assert inputs == {"orders": "raw/orders", "customers": "customers"}
    deps = {d.asset_key.to_user_string() for d in next(iter(asset.specs)).deps}
    assert deps == {"raw/orders", "customers", "regions"}
    problems = [
        ({"partition_key": "orders"}, "partition_key is set by marimo_asset itself"),
        ({"two words": "orders"}, "is not an input name"),
    ]
    for ins, message in problems:
        with pytest.raises(dg.DagsterInvalidDefinitionError, match=message):
            marimo_asset(path, ins=ins)
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="both a parameter and an input"):
        marimo_asset(path, ins={"rows": "orders"}, params={"rows": 3})


def test_a_failed_run_still_reports_its_html_outputs_and_prints(
    instance: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from marimo_tui.dagster import marimo_asset

    path = notebook(
        tmp_path / "fails.py",
        'def _():\n    import marimo as mo\n\n    mo.md("# Fails late")\n    return',
        'def prepare():\n    print("prepared 12 rows\\x1b]52;c;aGk=\\x07")\n'
        "    rows = 12\n    rows\n    return (rows,)",
        'def check(rows):\n    print("checking")\n'
        '    raise ValueError(f"{rows} rows is too many")\n    return',
    )
    asset = marimo_asset(path, key="fails", output_dir=tmp_path / "out")
    result = dg.materialize([asset], instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    data = failure.step_failure_data.user_failure_data
    assert data.description.endswith("cell check: ValueError: 12 rows is too many (at line 26)")
    html = Path(data.metadata["html"].value)
    assert html.is_file() and "12 rows is too many" in html.read_text(encoding="utf-8")
    printed = data.metadata["printed"].value
    # The escape sequence the notebook printed is shown, not sent (to the clipboard).
    assert printed == "--- cell prepare\nprepared 12 rows␛]52;c;aGk=␇\n--- cell check\nchecking\n"
    statuses = {c["name"]: (c["status"], c["summary"]) for c in data.metadata["cells"].value}
    assert statuses["prepare"] == ("ok", "12")
    assert statuses["check"][0] == "error"
    # The asset itself records the failed run: an observation with the same metadata.
    observations = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    [observed] = [e.event_specific_data.asset_observation for e in observations]
    assert observed.asset_key == dg.AssetKey(["fails"])
    assert observed.metadata["html"].value == str(html)
    assert observed.metadata["printed"].value == printed
    # The notebook's prints are the step's stdout too (Dagster's compute log).
    out = capfd.readouterr().out
    assert "prepared 12 rows␛]52;c;aGk=␇" in out and "\x1b]52" not in out


def test_a_notebook_for_a_newer_python_is_accepted(tmp_path: Path) -> None:
    from marimo_tui.dagster import marimo_asset

    # Valid on Python 3.12+, a SyntaxError for 3.11's ast.parse (which used to refuse it).
    path = notebook(
        tmp_path / "newer.py",
        'def _():\n    import marimo as mo\n\n    mo.md("# Typed rows")\n    return',
        "def _():\n    type Rows = list[int]\n    return",
    )
    asset = marimo_asset(path)
    assert next(iter(asset.specs)).description == "Typed rows"


def test_the_dagster_asset_template_writes_nothing_when_its_check_fails(tmp_path: Path) -> None:
    from marimo_tui.runtime.export import export_notebook

    template = shutil.copy(REPO / "templates" / "dagster-asset.py", tmp_path / "daily.py")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bad.csv").write_text(
        "date,order_id,region,product,units,unit_price,amount\n"
        "2024-01-01,1,north,widget,1,10.0,10.0\n"
        "2024-01-01,2,north,widget,1,-50.0,-50.0\n"
    )
    out = tmp_path / "data" / "daily_revenue.csv"
    out.write_text("the last good table\n")
    report = export_notebook(
        Path(template),
        "html",
        output=tmp_path / "daily.html",
        args=["--data=data/bad.csv", "--output=data/daily_revenue.csv"],
    )
    assert [f.name for f in report.failures] == ["check"]
    assert "revenue must not be negative" in report.failures[0].message
    statuses = {c.name: c.status for c in report.cell_results}
    assert statuses["write"] == "blocked"
    assert out.read_text() == "the last good table\n"


def test_a_range_of_partitions_in_one_run_reaches_the_notebook(
    instance: Any, tmp_path: Path
) -> None:
    from marimo_tui.dagster import marimo_asset

    path = notebook(
        tmp_path / "window.py",
        "def _():\n    import marimo as mo\n\n"
        '    print("keys", mo.cli_args().get("partition_keys"))\n    return',
    )
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-08")
    asset = marimo_asset(path, partitions_def=daily)
    # One run over three partitions, as a single-run backfill launches it.
    tags = {
        "dagster/asset_partition_range_start": "2024-01-02",
        "dagster/asset_partition_range_end": "2024-01-04",
    }
    result = dg.materialize([asset], instance=instance, tags=tags)
    assert result.success
    events = result.get_asset_materialization_events()
    assert [e.materialization.partition for e in events] == [
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]
    metadata = events[0].materialization.metadata
    keys = ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert metadata["params"].value == {"partition_keys": keys}
    assert f"keys {keys}" in metadata["printed"].value
    assert Path(metadata["html"].value).name == f"{result.run_id}-2024-01-02...2024-01-04.html"


def test_the_dagster_asset_template_hands_its_table_to_downstream_assets(
    instance: Any, tmp_path: Path
) -> None:
    import pandas as pd

    from marimo_tui.dagster import marimo_asset

    shutil.copy(REPO / "templates" / "dagster-asset.py", tmp_path / "daily.py")
    shutil.copytree(REPO / "templates" / "data", tmp_path / "data")
    revenue = marimo_asset(tmp_path / "daily.py", key="daily_revenue", params={"region": "north"})

    @dg.asset
    def best_day(daily_revenue: Any) -> str:  # a DataFrame (module-level names only here)
        return str(daily_revenue.sort_values("revenue").iloc[-1]["day"])

    result = dg.materialize([revenue, best_day], instance=instance)
    assert result.success
    table = result.output_for_node("daily_revenue")
    written = pd.read_csv(tmp_path / "data" / "daily_revenue.csv")
    assert len(table) == len(written) > 0 and set(table["region"]) == {"north"}
    assert result.output_for_node("best_day") == str(table.sort_values("revenue").iloc[-1]["day"])
