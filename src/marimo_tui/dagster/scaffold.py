"""What to add to a project's Dagster definitions to pair a new notebook with an asset."""

from __future__ import annotations

import os
import re
from pathlib import Path

from marimo_tui.dagster.webserver import find_definitions


def pairing_lines(notebook: Path, root: Path) -> str:
    """The lines for the definitions file (and marimo-tui.yaml), with paths that work from it."""
    definitions = find_definitions(root)
    if definitions is None or definitions.suffix != ".py":
        definitions = root / "definitions.py"
    rel = Path(os.path.relpath(notebook, definitions.parent)).as_posix()
    name = re.sub(r"\W", "_", notebook.stem) or "notebook"
    if name[0].isdigit():
        name = f"nb_{name}"
    shown = os.path.relpath(definitions, Path.cwd())
    project_rel = Path(os.path.relpath(notebook, root)).as_posix()
    return (
        f"To run it as a Dagster asset, add to {shown}:\n\n"
        "    import dagster as dg\n"
        "    from marimo_tui.dagster import marimo_asset\n\n"
        f'    {name} = marimo_asset("{rel}", key="{name}", group="notebooks")\n'
        f"    defs = dg.Definitions(assets=[{name}])  # or add {name} to your assets\n\n"
        "Dagster then pairs it with the notebook by itself (`marimo-tui discover` shows it);\n"
        f"or name the pair in marimo-tui.yaml:  pairs: {{{project_rel}: {name}}}\n"
        "`marimo-tui dev` starts a Dagster webserver for the project."
    )
