"""Every template is a real notebook that runs clean headless, with its parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marimo_tui.notebook.templates import instantiate, metadata_blocks
from marimo_tui.resources import bundled
from tests.conftest import TEMPLATES
from tests.template_support import ALL, errors, run_headless, run_template


def test_bundled_folder_is_the_templates_folder() -> None:
    assert bundled("templates").resolve() == TEMPLATES.resolve()
    assert {"blank", "minimal", "parameterized"} <= set(ALL)


@pytest.mark.parametrize("name", sorted(ALL))
def test_template_runs_clean_headless(name: str, tmp_path: Path) -> None:
    assert ALL[name].description
    assert errors(run_template(name, tmp_path)) == []


def _text_outputs(cells: list[dict[str, object]]) -> str:
    return json.dumps([c["outputs"] for c in cells])


def test_parameters_from_new_and_from_the_command_line(tmp_path: Path) -> None:
    template = ALL["parameterized"]
    assert [p.name for p in template.params] == ["title", "rows", "scale"]
    assert all(p.help for p in template.params)
    path = tmp_path / "p.py"
    path.write_text(instantiate(template, {"title": "Quarterly numbers", "rows": "4"}))
    assert "/// marimo-tui" not in path.read_text()
    out = _text_outputs(run_headless(path))
    assert "Quarterly numbers" in out and "4 values" in out
    # mo.cli_args() still overrides the written defaults for one run.
    out = _text_outputs(run_headless(path, "--title", "Override", "--rows", "3"))
    assert "Override" in out and "3 values" in out


def test_metadata_block_parsing() -> None:
    text = (
        '# /// script\n# dependencies = ["pandas"]\n# ///\n'
        '# /// marimo-tui\n# description = "x"\n# ///\n'
    )
    assert metadata_blocks(text) == {
        "script": {"dependencies": ["pandas"]},
        "marimo-tui": {"description": "x"},
    }


@pytest.mark.parametrize("name", sorted(ALL))
def test_template_is_complete_and_written_as_marimo_writes_it(name: str) -> None:
    from marimo_tui.notebook import marimo_render
    from marimo_tui.notebook.reader import parse_notebook

    template = ALL[name]
    assert template.description, "needs a description"
    # Package needs in a PEP 723 header (what `marimo edit --sandbox` installs).
    assert any(d.startswith("marimo") for d in template.dependencies), template.dependencies
    assert all(p.help for p in template.params), "every parameter needs a help line"
    text = instantiate(template, {})
    nb = parse_notebook(text.encode(), Path(f"{name}.py"))
    assert not nb.errors
    assert marimo_render.render(nb.header, nb.app_options, nb.cells) == text
    # `new --param` rewrites only the values: the same values give the same file, layout and all.
    values = {p.name: str(p.default) for p in template.params}
    assert instantiate(template, values) == text


def test_the_library_has_the_templates_a_data_engineer_starts_from() -> None:
    assert len(ALL) >= 12
    assert all(t.params for n, t in ALL.items() if n not in ("blank", "minimal"))


def test_dagster_params_processes_one_window_per_run(tmp_path: Path) -> None:
    import pandas as pd

    from tests.template_support import text

    cells = run_template("dagster-params", tmp_path, "--start", "2024-03-04", "--days", "7")
    assert errors(cells) == []
    sales = pd.read_csv(tmp_path / "data" / "sales.csv", parse_dates=["date"])
    week = sales[(sales["date"] >= "2024-03-04") & (sales["date"] < "2024-03-11")]
    written = pd.read_csv(tmp_path / "data" / "windows" / "2024-03-04_7d_all.csv")
    assert written["orders"].sum() == len(week)
    assert round(written["revenue"].sum(), 2) == round(week["amount"].sum(), 2)
    assert f"{len(week)} orders" in text(cells)
    # Bad run config fails on the window cell with a message that says what to give.
    bad = run_template("dagster-params", tmp_path / "bad", "--start", "March", ok=False)
    assert any("start must be a date like 2024-06-01" in str(e) for e in errors(bad))
    empty = run_template("dagster-params", tmp_path / "empty", "--start", "2025-01-01", ok=False)
    assert any("fewer than min_orders=1" in str(e) for e in errors(empty))


def test_the_demo_project_is_made_from_the_templates(tmp_path: Path) -> None:
    from marimo_tui.project import create_demo

    folder = tmp_path / "demo"
    steps = create_demo(folder)
    assert {s.action for s in steps} <= {"created"}
    notebooks = folder / "notebooks"
    assert (notebooks / "data" / "sales.csv").read_bytes() == (
        TEMPLATES / "data" / "sales.csv"
    ).read_bytes()
    assert (
        'marimo_asset(\n    "notebooks/daily_revenue.py"' in (folder / "definitions.py").read_text()
    )
    # The deliberate error is a real one, in the cell that has the typo.
    broken = run_headless(notebooks / "weekly_products.py", ok=False)
    failed = [o for c in broken for o in c["outputs"] if o.get("type") == "error"]
    assert failed and "produkt" in json.dumps(failed[0])
    for name in ("welcome", "explore", "daily_revenue"):
        assert errors(run_headless(notebooks / f"{name}.py")) == [], name
    # A second time nothing is overwritten, not even the file the user fixed.
    (notebooks / "weekly_products.py").write_text("# mine\n")
    again = create_demo(folder)
    assert {s.action for s in again} <= {"kept", "updated"}
    assert (notebooks / "weekly_products.py").read_text() == "# mine\n"
