"""`marimo_tui.dagster.marimo_asset`: real notebooks materialized by a real (in-process) Dagster.

The notebooks are those of `tests/dagster_project`, the code location the Dagster tests also
serve with a webserver.
"""

from __future__ import annotations

import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import HANG, REPO, Runner, cli_env, interruptible

dg = pytest.importorskip("dagster")

PROJECT = REPO / "tests" / "dagster_project"
NOTEBOOKS = PROJECT / "notebooks"
METADATA_KEYS = {"html", "html_url", "summary", "cells", "duration_s", "notebook", "params"}


@pytest.fixture
def instance(tmp_path: Path):  # type: ignore[no-untyped-def]
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home)) as inst:
        yield inst


def project_assets():  # type: ignore[no-untyped-def]
    from tests.dagster_project import definitions

    return definitions


def test_success_with_params_override(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    defs = project_assets()
    config = {"ops": {"marimo__sales": {"config": {"params": {"rows": 5, "label": "a b=c"}}}}}
    result = dg.materialize([defs.sales], instance=instance, run_config=config)
    assert result.success
    [mat] = result.asset_materializations_for_node("marimo__sales")
    assert mat.asset_key == dg.AssetKey(["marimo", "sales"])
    metadata = mat.metadata
    assert set(metadata) >= METADATA_KEYS
    # The override reached mo.cli_args(): the notebook's outputs say 5 rows, not the default 3.
    summary = metadata["summary"].value
    assert "5 rows" in summary and "table: 5 rows × 2 columns" in summary, summary
    assert "all 3 cells ok" in summary
    cells = metadata["cells"].value
    assert [(c["name"], c["status"]) for c in cells] == [
        ("_", "ok"),
        ("load", "ok"),
        ("total", "ok"),
    ]
    assert cells[0]["summary"] == "# Sales by region"
    assert cells[2]["summary"] == "**5 rows**, total amount 150"
    assert metadata["params"].value == {"rows": 5, "label": "a b=c"}
    assert metadata["notebook"].value == str(NOTEBOOKS / "sales.py")
    assert 0 < metadata["duration_s"].value < 60
    # One HTML file per run, under the instance's storage, with the run's outputs in it.
    html = Path(metadata["html"].value)
    storage = Path(instance.storage_directory())
    assert html == storage / "marimo" / "marimo" / "sales" / f"{result.run_id}.html"
    assert html.is_file() and "Sales by region" in html.read_text(encoding="utf-8")
    assert metadata["html_url"].value == html.as_uri()
    messages = [e.user_message for e in instance.all_logs(result.run_id)]
    assert any(m.startswith("marimo: running") and "--rows=5" in m for m in messages), messages
    assert any("all 3 cells ok in" in m for m in messages), messages


def test_defaults_and_output_dir(instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    asset = dg_asset(
        NOTEBOOKS / "sales.py", key="reports/weekly", params={"rows": 2}, output_dir=tmp_path
    )
    result = dg.materialize([asset], instance=instance)
    assert result.success
    [mat] = result.asset_materializations_for_node("reports__weekly")
    assert mat.metadata["params"].value == {"rows": 2}
    assert mat.metadata["cells"].value[2]["summary"] == "**2 rows**, total amount 30"
    html = tmp_path / "reports" / "weekly" / f"{result.run_id}.html"
    assert mat.metadata["html"].value == str(html) and html.is_file()


def test_failing_cell_fails_the_asset_with_its_error(instance) -> None:  # type: ignore[no-untyped-def]
    defs = project_assets()
    result = dg.materialize([defs.broken], instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    data = failure.step_failure_data
    expected = "broken.py:16: cell load_rows: ValueError: bad rows (at line 18)"
    assert data.error.message.strip().endswith(expected), data.error.message
    assert data.user_failure_data.description == expected
    metadata = data.user_failure_data.metadata
    assert set(metadata) >= METADATA_KEYS
    assert Path(metadata["html"].value).is_file()  # marimo writes the export all the same
    statuses = [(c["name"], c["status"]) for c in metadata["cells"].value]
    assert statuses == [("_", "ok"), ("load_rows", "error"), ("_", "blocked")]
    assert "❌ **cell load\\_rows** (line 16): error — ValueError: bad rows" in (
        metadata["summary"].value
    )
    errors = [
        e.user_message
        for e in instance.all_logs(result.run_id)
        if e.level >= 40 and e.user_message.startswith("marimo:")
    ]
    assert errors == [f"marimo: {expected}"]


def test_timeout_fails_the_asset(instance) -> None:  # type: ignore[no-untyped-def]
    asset = dg_asset(NOTEBOOKS / "slow.py", timeout=1)
    result = dg.materialize([asset], instance=instance, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    data = failure.step_failure_data.user_failure_data
    assert data.description == "slow.py: timed out after 1 s; nothing written"
    assert "html" not in data.metadata and data.metadata["duration_s"].value < 30


def test_missing_or_wrong_notebook_fails_at_definition_time(tmp_path: Path) -> None:
    from marimo_tui.dagster import marimo_asset

    with pytest.raises(dg.DagsterInvalidDefinitionError, match=r"notebook 'nope\.py' not found"):
        marimo_asset("nope.py")
    plain = tmp_path / "plain.py"
    plain.write_text("print('hi')\n", encoding="utf-8")
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="not a marimo notebook"):
        marimo_asset(plain)
    with pytest.raises(dg.DagsterInvalidDefinitionError, match="parameter name"):
        marimo_asset(NOTEBOOKS / "sales.py", params={"two words": 1})


def test_definition_defaults() -> None:
    from marimo_tui.dagster import marimo_asset

    # Relative to this file, not the current directory.
    asset = marimo_asset("dagster_project/notebooks/slow.py")
    spec = next(iter(asset.specs))
    assert spec.key == dg.AssetKey(["slow"])
    assert spec.description == "A slow notebook"
    assert spec.metadata["notebook"].value == str(NOTEBOOKS / "slow.py")
    assert "marimo" in spec.kinds


def test_definitions_validate_from_elsewhere(tmp_path: Path) -> None:
    # The webserver loads the file from wherever it was started: notebooks resolve regardless.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "definitions",
            "validate",
            "-f",
            str(PROJECT / "definitions.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Validation successful" in out.stdout + out.stderr
    defs = project_assets().defs
    specs = {spec.key: spec for a in defs.assets for spec in a.specs}
    assert sorted(k.to_user_string() for k in specs) == [
        "marimo/broken",
        "marimo/sales",
        "marimo/slow",
    ]
    assert {s.group_name for s in specs.values()} == {"notebooks"}
    assert specs[dg.AssetKey(["marimo", "sales"])].description == "Sales by region"


def test_package_imports_without_dagster() -> None:
    code = (
        "import sys\n"
        "import marimo_tui.dagster\n"
        "assert 'dagster' not in sys.modules, 'dagster was imported'\n"
        "sys.modules['dagster'] = None  # as if not installed\n"
        "try:\n"
        "    from marimo_tui.dagster import marimo_asset\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "marimo_asset needs Dagster: pip install 'marimo-tui[dagster]'"


def test_cli_args_round_trip_through_marimo() -> None:
    from marimo._cli.parse_args import parse_args

    from marimo_tui.dagster.asset import cli_args

    params = {
        "rows": 5,
        "rate": 0.5,
        "on": True,
        "off": False,
        "label": "a b=c --d",
        "offset": -3,
        "regions": ["north", "south"],
        "skipped": None,
        "spec": {"a": 1},
    }
    args = cli_args(params)
    assert args[0] == "--rows=5"
    assert parse_args(args) == {
        "rows": 5,
        "rate": 0.5,
        "on": True,
        "off": False,
        "label": "a b=c --d",
        "offset": -3,
        "regions": ["north", "south"],
        "spec": '{"a": 1}',
    }


def test_export_reports_every_cell(tmp_path: Path) -> None:
    from marimo_tui.runtime.export import export_notebook

    notebook = tmp_path / "cells.py"
    notebook.write_text(
        "import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    import marimo as mo\n"
        "    print('hello')\n    return (mo,)\n\n\n@app.cell\ndef stopper(mo):\n"
        "    mo.stop(True)\n    y = 1\n    return (y,)\n\n\n@app.cell\ndef _(y):\n    y\n"
        "    return\n\n\n@app.cell(disabled=True)\ndef _():\n    z = 1\n    return (z,)\n\n\n"
        "@app.cell\ndef _():\n    'x' * 2000\n    return\n",
        encoding="utf-8",
    )
    report = export_notebook(notebook, "html", tmp_path / "out.html")
    assert report.ok
    got = [(c.position, c.name, c.status, c.line) for c in report.cell_results]
    assert got == [
        (1, "_", "ok", 7),
        (2, "stopper", "ok", 14),
        (3, "_", "stopped", 21),
        (4, "_", "disabled", 27),
        (5, "_", "ok", 33),
    ]
    summaries = [c.summary for c in report.cell_results]
    assert summaries[0] == "stdout: hello"
    assert summaries[2] == "not run: mo.stop in cell stopper (line 14)"
    assert len(summaries[4]) <= 600 and summaries[4].endswith("…")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker through /proc")
def test_interrupting_the_run_ends_the_notebook(tmp_path: Path) -> None:
    """Dagster ends a run by interrupting its step (SIGINT, raised in the op as
    DagsterExecutionInterruptedError): the notebook's worker and kernel must end with it."""
    scratch, home = tmp_path / "scratch", tmp_path / "home"
    scratch.mkdir()
    home.mkdir()
    code = (
        "import sys, dagster as dg\n"
        "from tests.dagster_project.definitions import slow\n"
        "inst = dg.DagsterInstance.local_temp(sys.argv[1])\n"
        "try:\n"
        "    result = dg.materialize([slow], instance=inst, raise_on_error=False)\n"
        "    print('returned', result.success)\n"
        "except BaseException as exc:\n"
        "    print('raised', type(exc).__name__)\n"
        "print('status', inst.get_runs()[0].status.value)\n"
        # Still here: the notebook's worker must be gone already, not when we exit.
        "from tests.test_dagster_asset import workers\n"
        "print('workers', workers(sys.argv[2]))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(home), str(scratch)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(TMPDIR=str(scratch)),
        preexec_fn=interruptible,
    )
    try:
        deadline = time.monotonic() + HANG
        found: list[int] = []
        while not found and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            found = workers(str(scratch))
        assert found, "the notebook worker never started"
        [worker] = found
        # Its kernel, a process of its own: started, then given a moment to reach the cell.
        deadline = time.monotonic() + HANG
        while not (kernel := children(worker)) and time.monotonic() < deadline and alive(worker):
            time.sleep(0.1)
        assert kernel, "the notebook's kernel never started"
        time.sleep(1.0)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=HANG)
    finally:
        if proc.poll() is None:
            proc.kill()
    # Promptly: the cell would sleep a minute; a busy machine takes some seconds to end a run.
    assert time.monotonic() - started < 40, "the run did not end promptly"
    assert "status FAILURE" in stdout or "status CANCELED" in stdout, stdout + stderr
    assert "workers []" in stdout, stdout + stderr
    assert not alive(worker)
    deadline = time.monotonic() + HANG  # the kernel notices its parent is gone within ~1 s
    while any(alive(p) for p in kernel) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in kernel if alive(p)]


def dg_asset(notebook: Path, **kwargs):  # type: ignore[no-untyped-def]
    from marimo_tui.dagster import marimo_asset

    return marimo_asset(notebook, **kwargs)


def workers(scratch: str) -> list[int]:
    """Live export workers whose scratch folder is under SCRATCH."""
    return [
        p
        for p in pids()
        if "marimo_tui.runtime.export" in cmdline(p) and scratch in cmdline(p) and alive(p)
    ]


def pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    found = []
    for p in pids():
        try:
            stat = (Path("/proc") / str(p) / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(p)
    return found


def alive(pid: int) -> bool:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_dagster_asset_template_scaffolds_a_paired_notebook(
    tmp_path: Path, cli: Runner
) -> None:
    import pandas as pd

    assert cli("init", ".").returncode == 0
    out = cli("new", "notebooks/orders.py", "-t", "dagster-asset", "-p", "region=north")
    assert out.returncode == 0, out.stderr
    assert 'orders = marimo_asset("notebooks/orders.py", key="orders"' in out.stdout
    # The printed lines, as a definitions file, define an asset that materializes.
    lines = [ln[4:] for ln in out.stdout.splitlines() if ln.startswith("    ")]
    (tmp_path / "definitions.py").write_text("\n".join(lines).split("  #")[0] + "\n")
    namespace = runpy.run_path(str(tmp_path / "definitions.py"))
    result = dg.materialize([namespace["orders"]], instance=dg.DagsterInstance.ephemeral())
    assert result.success
    (event,) = result.get_asset_materialization_events()
    summary = str(event.materialization.metadata["summary"].value)
    # The shipped sample data was copied beside the notebook, and the asset wrote its table.
    sales = pd.read_csv(tmp_path / "notebooks" / "data" / "sales.csv")
    north = sales[sales["region"] == "north"]
    days = north["date"].nunique()
    assert f"\\*\\*{days} rows\\*\\*, revenue {north['amount'].sum():,.2f}" in summary, summary
    daily = pd.read_csv(tmp_path / "notebooks" / "data" / "daily_revenue.csv")
    assert len(daily) == days and set(daily["region"]) == {"north"}


def test_dev_starts_both_servers_and_stops_them_on_ctrl_c(tmp_path: Path) -> None:
    import urllib.request

    from tests.dagster_support import DevProcess
    from tests.sidecar_support import kill_group, wait_group_gone

    (tmp_path / "marimo-tui.yaml").write_text("notebooks:\n  folder: notebooks\n")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(PROJECT / "notebooks" / "sales.py", tmp_path / "notebooks" / "sales.py")
    (tmp_path / "definitions.py").write_text(
        "import dagster as dg\nfrom marimo_tui.dagster import marimo_asset\n"
        'sales = marimo_asset("notebooks/sales.py", key="sales")\n'
        "defs = dg.Definitions(assets=[sales])\n"
    )
    dev = DevProcess(tmp_path)
    # The daemon (backfills, schedules, sensors) says it runs at its first heartbeat.
    daemon_line = "dagster-daemon: running (backfills, schedules, sensors)\n"
    dev.read_until(
        lambda: dev.url and any("marimo: ready" in s for s in dev.seen) and daemon_line in dev.seen
    )
    proc, seen, url = dev.proc, dev.seen, dev.url
    assert url and daemon_line in seen, "".join(seen)
    with urllib.request.urlopen(f"{url}/server_info", timeout=HANG) as answer:
        assert answer.status == 200
    assert (tmp_path / ".marimo-tui" / "dagster" / "dagster.yaml").is_file()
    assert (tmp_path / ".marimo-tui" / "logs" / "dagster-daemon.log").is_file()

    # Our servers have process groups of their own: the daemon's is found by its command line.
    def daemons() -> list[int]:
        return [
            p for p in pids() if "serve_main daemon" in cmdline(p) and str(tmp_path) in cmdline(p)
        ]

    # A daemon that dies is told in one line and started again; the webserver serves on.
    [first] = daemons()
    kill_group(first)
    dev.read_until(lambda: any("; started it again" in s for s in dev.seen))
    [told] = [s for s in seen if s.startswith("dagster-daemon is not running")]
    assert told.startswith("dagster-daemon is not running (killed by SIGKILL): backfills, "), told
    assert "schedules and sensors will not run (log: " in told, told
    with urllib.request.urlopen(f"{url}/server_info", timeout=HANG) as answer:
        assert answer.status == 200
    [daemon] = daemons()
    assert daemon != first
    # Not a terminal: the marimo URL's token is not printed.
    assert "access_token=***" in "".join(seen)
    rest = dev.interrupt()
    assert proc.returncode == 0, "".join(seen) + rest
    assert rest.rstrip().endswith("stopped")
    assert wait_group_gone(proc.pid) == []
    assert wait_group_gone(daemon) == [], "the daemon outlived `dev`"
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/server_info", timeout=2)
