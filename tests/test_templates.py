"""Every template is a real notebook that runs clean headless, with its parameters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from marimo_tui.notebook.templates import discover_templates, instantiate, metadata_blocks
from marimo_tui.resources import bundled
from tests.conftest import TEMPLATES

ALL = discover_templates([TEMPLATES])


def run_headless(path: Path, *args: str) -> list[dict[str, object]]:
    """Run a notebook with marimo's session exporter; return its cells' outputs."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "marimo",
            "export",
            "session",
            "--no-sandbox",
            "--force-overwrite",
            str(path),
            *(["--", *args] if args else []),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=path.parent,
        check=False,
    )
    session = path.parent / "__marimo__" / "session" / f"{path.name}.json"
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cells: list[dict[str, object]] = json.loads(session.read_text())["cells"]
    return cells


def test_bundled_folder_is_the_templates_folder() -> None:
    assert bundled("templates").resolve() == TEMPLATES.resolve()
    assert {"blank", "minimal", "parameterized"} <= set(ALL)


@pytest.mark.parametrize("name", sorted(ALL))
def test_template_runs_clean_headless(name: str, tmp_path: Path) -> None:
    template = ALL[name]
    assert template.description
    path = tmp_path / f"{name}.py"
    path.write_text(instantiate(template, {}))
    cells = run_headless(path)
    errors = [o for c in cells for o in c["outputs"] if o.get("type") == "error"]  # type: ignore[attr-defined]
    assert errors == []


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
