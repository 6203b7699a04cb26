"""What to add to a project's Dagster definitions to pair a new notebook with an asset.

The lines define an asset, never a second `Definitions`: pasted into a module that already has
one, a new `defs = Definitions(...)` would replace it and hide every other asset. In a `dg`
project they are a module of their own under `defs/`, which Dagster's defs-folder loading
picks up as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from marimo_tui.dagster.layout import LayoutError, ProjectLayout, find_layout


def asset_name(notebook: Path) -> str:
    name = re.sub(r"\W", "_", notebook.stem) or "notebook"
    return f"nb_{name}" if name[0].isdigit() else name


def pairing_lines(notebook: Path, root: Path) -> str:
    """The lines to add (and where), with a notebook path that works from that file."""
    try:
        layout = find_layout(root)
    except LayoutError:
        layout = None
    name = asset_name(notebook)
    project_rel = Path(os.path.relpath(notebook, root)).as_posix()
    target, how = _where(layout, root, name)
    # marimo_asset looks a relative path up beside the calling file, then in the current
    # folder: a workspace's modules are not known here, so the path is from the project root,
    # where `marimo-tui dev` starts Dagster.
    base = root if how == "workspace" else target.parent
    rel = Path(os.path.relpath(notebook, base)).as_posix()
    asset = f'    {name} = marimo_asset("{rel}", key="{name}", group="notebooks")\n'
    imports = "    from marimo_tui.dagster import marimo_asset\n\n"
    if how == "new-definitions":
        defs = f"\n    defs = dg.Definitions(assets=[{name}])\n"
        body = "    import dagster as dg\n" + imports + asset + defs
    else:
        body = imports + asset
    shown = os.path.relpath(target, Path.cwd())
    head = {
        "defs-module": f"To run it as a Dagster asset, create {shown} (the dg project loads it):",
        "new-definitions": f"To run it as a Dagster asset, create {shown}:",
        "add": f"To run it as a Dagster asset, add to {shown}:",
        "workspace": f"To run it as a Dagster asset, add to a code location of {shown}:",
    }[how]
    tail = (
        f"and add {name} to the assets of its Definitions.\n" if how in ("add", "workspace") else ""
    )
    return (
        f"{head}\n\n{body}\n{tail}"
        "Dagster then pairs it with the notebook by itself (`marimo-tui discover` shows it);\n"
        f"or name the pair in marimo-tui.yaml:  pairs: {{{project_rel}: {name}}}\n"
        "`marimo-tui dev` starts a Dagster webserver for the project."
    )


def _where(layout: ProjectLayout | None, root: Path, name: str) -> tuple[Path, str]:
    """The file the lines go in, and whether it is a new defs module, a new definitions file
    or an existing module to add to."""
    if layout is None:
        return root / "definitions.py", "new-definitions"
    if layout.defs_folder is not None:
        return layout.defs_folder / f"{name}.py", "defs-module"
    if layout.kind in ("file", "module"):
        return layout.source, "add"
    for location in layout.locations:
        if location.module:
            module = location.working_directory.joinpath(*location.module.split("."))
            for candidate in (module.with_suffix(".py"), module / "__init__.py"):
                if candidate.is_file():
                    return candidate, "add"
    return layout.source, "workspace"
