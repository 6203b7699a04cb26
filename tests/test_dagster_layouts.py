"""Real Dagster project layouts: `dev` and `--dagster` find a `dg` project, a workspace.yaml
with several code locations, `[tool.dagster]` and definitions packages as `dagster dev` and
`dg dev` do, and a real webserver discovers the assets of every location.

The projects are `tests/dagster_projects/dg_project` (a dg layout: a `defs/` folder with a
daily-partitioned asset, a partitioned notebook asset taking it as an input, and an asset
downstream of the notebook) and `tests/dagster_projects/two_locations` (a workspace.yaml).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from marimo_tui.dagster.client import DagsterClient, web_url
from marimo_tui.dagster.layout import LayoutError, find_layout
from marimo_tui.dagster.model import Run, RunEvent, Workspace
from marimo_tui.dagster.webserver import cannot_serve
from tests.conftest import HANG, REPO, Runner, cli_env
from tests.dagster_support import (
    CLIENT_TIMEOUT,
    DagsterServer,
    DevProcess,
    serve_project,
    wait_finished,
)

pytest.importorskip("dagster_webserver")

PROJECTS = REPO / "tests" / "dagster_projects"
DG_ASSETS = {"orders", "regions", "daily_report", "report_total"}


def copy_project(name: str, dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", ".marimo-tui")
    shutil.copytree(PROJECTS / name, dest, dirs_exist_ok=True, ignore=ignore)
    return dest


async def read_workspace(url: str) -> Workspace:
    async with DagsterClient(url, timeout=CLIENT_TIMEOUT) as client:
        return await client.workspace()


async def all_events(client: DagsterClient, run_id: str) -> list[RunEvent]:
    events: list[RunEvent] = []
    cursor = None
    while True:
        answer = await client.poll(selected=run_id, after=cursor)
        events += answer.events
        cursor = answer.cursor or cursor
        if not answer.has_more:
            return events


# --- finding the layout (no server) -------------------------------------------------------


def test_each_layout_is_found_as_dagster_dev_and_dg_dev_find_it(tmp_path: Path) -> None:
    dg_root = copy_project("dg_project", tmp_path / "dg")
    layout = find_layout(dg_root)
    assert layout is not None and layout.kind == "dg"
    (location,) = layout.locations
    # As `dg dev`: the definitions module, loaded from src/ (the project is not installed).
    assert location.module == "dg_project.definitions"
    assert location.working_directory == dg_root / "src"
    assert layout.defs_folder == dg_root / "src" / "dg_project" / "defs"
    args = layout.webserver_args(tmp_path / "home")
    assert args == ["-w", str(tmp_path / "home" / "workspace.yaml")]
    written = (tmp_path / "home" / "workspace.yaml").read_text()
    assert "module_name: dg_project.definitions" in written

    # A dg.toml project with autoloaded defs, at the root (no src/).
    auto = tmp_path / "auto"
    (auto / "auto_pkg" / "defs").mkdir(parents=True)
    (auto / "dg.toml").write_text(
        'directory_type = "project"\n[project]\nroot_module = "auto_pkg"\nautoload_defs = true\n'
    )
    (location,) = find_layout(auto).locations  # type: ignore[union-attr]
    assert location.entry() == {
        "autoload_defs_module": {
            "module_name": "auto_pkg.defs",
            "working_directory": str(auto),
            "location_name": "auto",
        }
    }

    # A dg workspace: one location per project.
    ws = tmp_path / "ws"
    copy_project("dg_project", ws / "projects" / "one")
    (ws / "dg.toml").write_text(
        'directory_type = "workspace"\n[workspace]\n[[workspace.projects]]\npath = "projects/one"\n'
    )
    found = find_layout(ws)
    assert found is not None and [loc.module for loc in found.locations] == [
        "dg_project.definitions"
    ]

    # [tool.dagster] naming a module of a src/ layout.
    plain = tmp_path / "plain"
    (plain / "src" / "my_proj").mkdir(parents=True)
    (plain / "src" / "my_proj" / "__init__.py").write_text("")
    (plain / "pyproject.toml").write_text('[tool.dagster]\nmodule_name = "my_proj.definitions"\n')
    (location,) = find_layout(plain).locations  # type: ignore[union-attr]
    assert (location.module, location.working_directory) == ("my_proj.definitions", plain / "src")

    # workspace.yaml: used as it is, and never with `-d` (the webserver refuses the pair).
    two = copy_project("two_locations", tmp_path / "two")
    found = find_layout(two)
    assert found is not None and found.kind == "workspace"
    assert found.webserver_args(tmp_path / "h2") == ["-w", str(two / "workspace.yaml")]

    # definitions.py in a package (as `dagster project scaffold` lays it out): a module, so
    # its relative imports work; a tests/ folder is not the project's definitions.
    pkg = tmp_path / "pkg"
    for folder in ("tests", "my_pipeline"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
        (pkg / folder / "definitions.py").write_text("")
    found = find_layout(pkg)
    assert found is not None and found.kind == "module"
    assert [(loc.module, loc.working_directory) for loc in found.locations] == [
        ("my_pipeline.definitions", pkg)
    ]
    # At the root: a file.
    (pkg / "definitions.py").write_text("")
    found = find_layout(pkg)
    assert found is not None and found.kind == "file"
    assert found.webserver_args(tmp_path / "h3") == [
        "-f",
        str(pkg / "definitions.py"),
        "-d",
        str(pkg),
    ]

    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_layout(empty) is None
    (empty / "pyproject.toml").write_text("[tool.dg\n")
    with pytest.raises(LayoutError, match=r"pyproject\.toml: cannot read it"):
        find_layout(empty)
    assert "cannot read it" in (cannot_serve(empty) or "")


def test_dg_settings_alone_are_no_dg_project(tmp_path: Path) -> None:
    # `[tool.dg.cli]` settings name no project: the definitions file is what Dagster loads.
    (tmp_path / "pyproject.toml").write_text("[tool.dg.cli]\nverbose = true\n")
    (tmp_path / "definitions.py").write_text("")
    found = find_layout(tmp_path)
    assert found is not None and found.kind == "file"
    (tmp_path / "pyproject.toml").write_text("[tool.dg]\n[tool.dg.project]\nname = 'x'\n")
    with pytest.raises(LayoutError, match="needs `root_module`"):
        find_layout(tmp_path)


def test_the_dagster_url_works_with_or_without_graphql() -> None:
    from marimo_tui.config_schema import Config
    from marimo_tui.dagster.connect import run_url

    for given in (
        "http://h:3000",
        "http://h:3000/",
        "http://h:3000/graphql",
        "http://h:3000/graphql/",
    ):
        assert web_url(given) == "http://h:3000"
        config = Config()
        config.dagster.url = given
        assert run_url(config, "abc") == "http://h:3000/runs/abc"
        assert DagsterClient(given).url == "http://h:3000"


# --- a dg project on a real webserver, as `--dagster` starts it ------------------------------


@pytest.fixture(scope="module")
def dg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterServer]:
    root = copy_project("dg_project", tmp_path_factory.mktemp("dg_project"))
    yield from serve_project(root)


def test_a_dg_project_is_served_with_every_asset_of_its_defs_folder(
    dg_server: DagsterServer,
) -> None:
    from marimo_tui.config_schema import Config
    from marimo_tui.doctor import check_dagster, check_dagster_daemon

    workspace = dg_server.loop.run(read_workspace(dg_server.url))
    assert [(loc.name, loc.error) for loc in workspace.locations] == [("dg-project", None)]
    assert {a.name for a in workspace.assets} == DG_ASSETS
    report = workspace.asset(("daily_report",))
    assert report is not None and "marimo" in report.kinds
    # doctor with a URL given as the GraphQL endpoint (it used to get HTTP 405).
    config = Config()
    config.dagster.url = f"{dg_server.url}/graphql"
    check = check_dagster(config)
    assert check.ok, check
    # The tests' webserver runs no daemon: doctor says what that costs and how to get one.
    daemon = check_dagster_daemon(config)
    assert daemon.ok is False and "backfills wait" in daemon.detail, daemon
    assert "marimo-tui dev" in daemon.hint


def test_a_partitioned_notebook_asset_takes_its_input_and_hands_on_its_value(
    dg_server: DagsterServer,
) -> None:
    async def scenario() -> tuple[Run, list[RunEvent]]:
        async with DagsterClient(dg_server.url, timeout=CLIENT_TIMEOUT) as client:
            workspace = await client.workspace()
            report = workspace.asset(("daily_report",))
            assert report is not None
            keys = [("orders",), ("daily_report",), ("report_total",)]
            run = await client.launch_assets(
                report.location, report.repository, keys, tags={"dagster/partition": "2024-01-03"}
            )
            done = await wait_finished(client, run.run_id, timeout=3 * HANG)
            return done, await all_events(client, run.run_id)

    run, events = dg_server.loop.run(scenario())
    errors = [e.error for e in events if e.error]
    assert run.status == "SUCCESS", errors
    assert run.tags.get("dagster/partition") == "2024-01-03"
    [materialized] = [
        e for e in events if e.kind == "MaterializationEvent" and e.asset == ("daily_report",)
    ]
    meta = {m.label: m.value for m in materialized.metadata}
    # The partition key and the upstream value reached the notebook: 3 orders on the 3rd.
    assert meta["params"] == {"partition_key": "2024-01-03"}
    assert meta["inputs"] == {"orders": "orders"}
    assert "report for 2024-01-03: 3 orders" in meta["printed"]
    html = Path(meta["html"])
    assert html.name == f"{run.run_id}-2024-01-03.html" and html.is_file()
    # The notebook's value went through the IO manager to the downstream asset.
    storage = dg_server.root / ".marimo-tui" / "dagster" / "storage"
    with (storage / "report_total" / "2024-01-03").open("rb") as handle:
        assert pickle.load(handle) == 60.0  # 10 + 20 + 30


# --- a workspace.yaml with two locations, through `marimo-tui dev` ------------------------------


def test_dev_serves_every_location_of_a_workspace_yaml(tmp_path: Path) -> None:
    from tests.sidecar_support import wait_group_gone

    root = copy_project("two_locations", tmp_path / "two")
    (root / "marimo-tui.yaml").write_text("notebooks:\n  folder: notebooks\n")
    key = "sk-dev-" + secrets.token_hex(12)
    dev = DevProcess(root, OPENAI_API_KEY=key)
    try:
        dev.read_until(lambda: dev.url)
        assert dev.url, "".join(dev.seen)
        assert any("dagster: starting workspace.yaml" in s for s in dev.seen), dev.seen
        workspace = asyncio.run(read_workspace(dev.url))
        # Notebook assets run in the webserver's code servers and runs: they get our
        # environment less our secrets, as the marimo server's kernels do.
        served = serving_processes(root)
        assert served, "no webserver process found"
        assert not [pid for pid in served if key.encode() in environ_of(pid)]
    finally:
        rest = dev.interrupt()
    assert sorted((loc.name, loc.error) for loc in workspace.locations) == [
        ("reports", None),
        ("warehouse", None),
    ]
    by_location = {(a.location, a.name) for a in workspace.assets}
    assert by_location == {
        ("warehouse", "customers"),
        ("warehouse", "invoices"),
        ("reports", "reports/kpis"),
        ("reports", "reports/weekly"),
    }
    weekly = workspace.asset(("reports", "weekly"))
    assert weekly is not None and weekly.description == "Weekly report"
    assert dev.proc.returncode == 0, "".join(dev.seen) + rest
    assert wait_group_gone(dev.proc.pid) == []


# --- pairing a new notebook in a dg project ----------------------------------------------


def test_pairing_lines_fit_a_dg_defs_module(tmp_path: Path, cli: Runner) -> None:
    root = copy_project("dg_project", tmp_path / "dg")
    assert cli("init", ".", cwd=root).returncode == 0
    out = cli("new", "notebooks/revenue.py", "-t", "dagster-asset", cwd=root)
    assert out.returncode == 0, out.stderr
    target = root / "src" / "dg_project" / "defs" / "revenue.py"
    assert f"create {target.relative_to(root)} (the dg project loads it)" in out.stdout, out.stdout
    assert "Definitions" not in out.stdout  # an asset, not a second Definitions
    lines = [ln[4:] for ln in out.stdout.splitlines() if ln.startswith("    ")]
    target.write_text("\n".join(lines) + "\n")
    # The project's definitions now hold the new asset beside all the others.
    code = (
        "from dg_project.definitions import defs\n"
        "keys = defs().resolve_asset_graph().get_all_asset_keys()\n"
        "print(sorted(k.to_user_string() for k in keys))\n"
    )
    env = cli_env(PYTHONPATH=os.pathsep.join([str(root / "src"), os.environ.get("PYTHONPATH", "")]))
    listed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=2 * HANG,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == str(sorted(DG_ASSETS | {"revenue"}))


def test_pairing_lines_never_define_a_second_definitions(tmp_path: Path) -> None:
    from marimo_tui.dagster.scaffold import pairing_lines

    notebook = tmp_path / "notebooks" / "2024 sales.py"
    # No definitions yet: a whole definitions file, with its Definitions.
    fresh = pairing_lines(notebook, tmp_path)
    assert "create" in fresh and "defs = dg.Definitions(assets=[nb_2024_sales])" in fresh
    # A definitions file: only the asset, to add to the Definitions already there.
    (tmp_path / "definitions.py").write_text("")
    lines = pairing_lines(notebook, tmp_path)
    assert "Definitions(" not in lines
    assert 'nb_2024_sales = marimo_asset("notebooks/2024 sales.py"' in lines
    assert "and add nb_2024_sales to the assets of its Definitions" in lines
    # A package's definitions module: the path from that module's folder.
    (tmp_path / "definitions.py").unlink()
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "__init__.py").write_text("")
    (tmp_path / "pipeline" / "definitions.py").write_text("")
    lines = pairing_lines(notebook, tmp_path)
    assert 'marimo_asset("../notebooks/2024 sales.py"' in lines and "Definitions(" not in lines
    # A workspace.yaml: a code location of it, the path from the project root.
    two = copy_project("two_locations", tmp_path / "two")
    lines = pairing_lines(two / "notebooks" / "daily.py", two)
    assert "add to a code location of" in lines and "workspace.yaml" in lines
    assert 'marimo_asset("notebooks/daily.py"' in lines and "Definitions(" not in lines


def serving_processes(root: Path) -> list[int]:
    """Our webserver and daemon (and what they started) for the project at `root`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes()
                if b"serve_main" in command and str(root).encode() in command:
                    found.append(int(entry.name))
    return found


def environ_of(pid: int) -> bytes:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/environ").read_bytes()
    return b""
