"""A project on disk: finding its notebooks, scaffolding it (`init`) and cleaning its caches."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.config import render_config
from marimo_tui.config_parse import parse_config_text
from marimo_tui.config_schema import CONFIG_NAME, STATE_DIR, Config, NotebooksConfig
from marimo_tui.notebook.atomic import TMP_SUFFIX, atomic_create, atomic_write
from marimo_tui.notebook.displaced import PART, STAGE_MARK
from marimo_tui.notebook.file_kind import read_regular, special_kind

if TYPE_CHECKING:
    from marimo_tui.notebook.templates import Template

# What `clean` keeps under .marimo-tui/: history the user may still need. Everything else
# there (caches, logs, lock files) can be rebuilt.
KEPT_STATE = frozenset({"journal", "conflicts", "transcripts", "tasks.json"})
_SNIFF_BYTES = 65536


# marimo's parser (`marimo._ast.parse`: `parse_import`, `is_app_def`) takes the first top-level
# `import marimo` (its alias: `import marimo as mo`), then `app = <alias>.App(...)`.
_MARIMO_IMPORT = re.compile(
    rb"^import[ \t]+marimo(?:[ \t]+as[ \t]+([A-Za-z_]\w*))?[ \t]*(?:[,;#\r\n]|$)", re.MULTILINE
)


def looks_like_notebook(path: Path) -> bool:
    """A cheap test (no marimo import): does the file create a marimo App?

    Lenient on purpose: any mention of `marimo.App(` counts, so that `doctor` can say what is
    wrong with a file that means to be a notebook; an aliased import counts when the file
    creates the app as marimo's parser expects."""
    try:
        head = read_regular(path, _SNIFF_BYTES)  # never blocks on a FIFO named x.py
    except OSError:
        return False
    if b"marimo.App(" in head or b"marimo.App\n" in head:
        return True
    return creates_app(head.removeprefix(b"\xef\xbb\xbf"))


def creates_app(text: bytes) -> bool:
    """`import marimo [as alias]` at the top level, later `app = alias.App(` (the forms
    marimo's parser accepts; spaces and a comma-separated import list allowed)."""
    imported = _MARIMO_IMPORT.search(text)
    if imported is None:
        return False
    alias = re.escape(imported.group(1) or b"marimo")
    app = re.compile(rb"^app[ \t]*=[ \t]*" + alias + rb"[ \t]*\.[ \t]*App[ \t]*\(", re.MULTILINE)
    return app.search(text, imported.end()) is not None


def discover_notebooks(config: Config, skipped: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Every marimo notebook under the notebooks folder, sorted, excluded folders skipped.

    `.py` names that are not regular files (a FIFO, a device, a socket) are left unopened and
    added to `skipped` with what they are, for a notice."""
    root = config.notebooks_dir
    excluded = set(config.notebooks.exclude)
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in excluded and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py") and not name.startswith("."):
                path = Path(folder) / name
                kind = special_kind(path)
                if kind is not None:
                    if skipped is not None:
                        skipped.append((path, kind))
                elif looks_like_notebook(path):
                    found.append(path)
    return found


def template_folders(config: Config) -> list[Path]:
    """Where templates come from: the bundled ones, then the project's own folder if set."""
    folders = [bundled_templates()]
    if config.notebooks.templates:
        folders.append((config.root / config.notebooks.templates).resolve())
    return folders


@dataclass(frozen=True, slots=True)
class Step:
    path: Path
    action: str  # "created", "updated" or "kept"


def init_project(folder: Path) -> list[Step]:
    """Scaffold a project; in an existing one add only what is missing, overwrite nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    steps: list[Step] = []
    config_path = folder / CONFIG_NAME
    text = render_config(Config(notebooks=NotebooksConfig(folder="notebooks")))
    try:
        atomic_create(config_path, text.encode("utf-8"))
        steps.append(Step(config_path, "created"))
    except FileExistsError:
        steps.append(Step(config_path, "kept"))

    notebooks = folder / "notebooks"
    if notebooks.is_dir():
        steps.append(Step(notebooks, "kept"))
    else:
        notebooks.mkdir(parents=True)
        steps.append(Step(notebooks, "created"))

    gitignore = folder / ".gitignore"
    entry = f"{STATE_DIR}/"
    try:
        existing = gitignore.read_text(encoding="utf-8")
    except FileNotFoundError:
        atomic_create(gitignore, f"{entry}\n".encode())
        steps.append(Step(gitignore, "created"))
    else:
        lines = {line.strip() for line in existing.splitlines()}
        if entry in lines or STATE_DIR in lines or f"/{entry}" in lines:
            steps.append(Step(gitignore, "kept"))
        else:
            sep = "" if existing.endswith("\n") or not existing else "\n"
            atomic_write(gitignore, f"{existing}{sep}{entry}\n".encode())
            steps.append(Step(gitignore, "updated"))
    return steps


DEMO_START = Path("notebooks") / "welcome.py"
WELCOME = """
    # The marimo-tui demo

    This project was made from the bundled templates (`marimo-tui templates` lists them all):

    - **explore.py**: the sample sales data explored (template `explore-data`)
    - **daily_revenue.py**: a Dagster asset notebook, paired in `definitions.py`
      (template `dagster-asset`); `marimo-tui demo --dagster` runs it from the runs pane
    - **weekly_products.py**: has a **deliberate error**. Open it with `o`, read the traceback
      in the failing cell, then fix it with `e` (your editor) or have the agent fix it
      (`/` opens the chat)

    Keys: `j`/`k` move between cells, `Enter` folds, `n` adds a cell, `R` runs all,
    `1`-`4` or `ctrl+→` switch panes, `?` lists every key, `ctrl+p` opens the command palette.
    `marimo-tui demo --script` plays a recorded agent session (a replay, not an AI).
    """
# The markdown of the `minimal` template, which the welcome notebook replaces.
MINIMAL_BODY = """
    # Untitled notebook

    Write markdown with `mo.md`, Python in the cells below.
    """
# (notebook, template, (text to replace, replacement) or None)
DEMO_NOTEBOOKS: tuple[tuple[str, str, tuple[str, str] | None], ...] = (
    ("welcome", "minimal", (MINIMAL_BODY, WELCOME)),
    ("explore", "explore-data", None),
    ("daily_revenue", "dagster-asset", None),
    # The deliberate error: a misspelt column, for the user (or the agent) to fix.
    ("weekly_products", "dagster-params", ('groupby("product")', 'groupby("produkt")')),
)
DEMO_DEFINITIONS = """\
# The demo's Dagster code location: `marimo-tui demo --dagster` (or `marimo-tui dev`) serves it.
import dagster as dg

from marimo_tui.dagster import marimo_asset

daily_revenue = marimo_asset(
    "notebooks/daily_revenue.py", key="daily_revenue", group="demo", params={"region": ""}
)
defs = dg.Definitions(assets=[daily_revenue])
"""


def demo_notebook_text(template: Template, change: tuple[str, str] | None) -> str:
    from marimo_tui.notebook.templates import instantiate

    text = instantiate(template, {})
    if change is not None:
        old, new = change
        if old not in text:  # the template changed: the demo must still have its error
            raise ValueError(f"template {template.name} no longer contains {old!r}")
        text = text.replace(old, new, 1)
    return text


def create_demo(folder: Path) -> list[Step]:
    """A demo project from the bundled templates, with their sample data, a notebook with a
    deliberate error and a Dagster asset; an existing one is reused as it is."""
    from marimo_tui.notebook.templates import copy_sample_data, discover_templates

    steps = init_project(folder)
    templates = discover_templates([bundled_templates()])
    notebooks = folder / "notebooks"
    for name, template, change in DEMO_NOTEBOOKS:
        target = notebooks / f"{name}.py"
        text = demo_notebook_text(templates[template], change)
        try:
            atomic_create(target, text.encode("utf-8"))
            steps.append(Step(target, "created"))
        except FileExistsError:
            steps.append(Step(target, "kept"))
        copied = copy_sample_data(templates[template], notebooks, folder)
        steps.extend(Step(p, "created") for p in copied)
    definitions = folder / "definitions.py"
    try:
        atomic_create(definitions, DEMO_DEFINITIONS.encode("utf-8"))
        steps.append(Step(definitions, "created"))
    except FileExistsError:
        steps.append(Step(definitions, "kept"))
    return steps


def bundled_templates() -> Path:
    from marimo_tui.resources import bundled

    return bundled("templates")


def clean_targets(config: Config, *, journal: bool = False) -> list[Path]:
    """What `clean` would remove: caches under .marimo-tui/ and our stray temp files."""
    targets: list[Path] = []
    state = config.state_dir
    if state.is_dir():
        keep = KEPT_STATE - {"journal"} if journal else KEPT_STATE
        targets.extend(sorted(p for p in state.iterdir() if p.name not in keep))
    excluded = set(config.notebooks.exclude)
    for folder, dirs, files in os.walk(config.root):
        dirs[:] = [d for d in dirs if d not in excluded]
        targets.extend(Path(folder) / f for f in files if _stray(f))
    return targets


def _stray(name: str) -> bool:
    """One of our temp files, safe to remove. Not a whole file a crashed landing left beside
    a notebook: it may hold a version (the notebook's next write settles it, journaled)."""
    if not name.endswith(TMP_SUFFIX):
        return False
    return STAGE_MARK not in name or name.endswith(PART + TMP_SUFFIX)


def size_of(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file())


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def save_setting(config: Config, key: str, value: str) -> Path:
    """Set one top-level scalar key in the project's config file, keeping everything else
    (comments included); creates `marimo-tui.yaml` at the root when there is none."""
    import yaml

    path = config.path or config.root / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    line = f"{key}: {yaml.safe_dump(value, default_style=None).strip().removesuffix('...').strip()}"
    pattern = re.compile(rf"^{re.escape(key)}\s*:.*$", re.MULTILINE)
    if pattern.search(text):
        new = pattern.sub(lambda _m: line, text, count=1)
    else:
        new = text + ("" if not text or text.endswith("\n") else "\n") + line + "\n"
    parse_config_text(new, str(path))  # never write a file we could not read back
    atomic_write(path, new.encode("utf-8"))
    config.path = path
    return path
