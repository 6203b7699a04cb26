"""Where a project's Dagster definitions are, found the way `dagster dev` and `dg dev` find them.

Looked for at the project's root, in this order:

1. a `dg` project or workspace: `dg.toml`, or `[tool.dg]` in `pyproject.toml`. Like `dg dev`,
   each project becomes one code location loading `<root_module>.definitions` (or its
   `code_location_target_module`; with `autoload_defs`, its `defs` module), with the folder
   that holds the root module (`src/` or the project folder) as working directory, so a
   `src/` layout loads without being installed;
2. `[tool.dagster]` in `pyproject.toml` (`module_name` or `modules`), as `dagster dev` reads it;
3. `workspace.yaml` (or `.yml`), used as it is, every location in it;
4. a definitions file: `definitions.py` or `defs.py` at the root (loaded as a file), else
   `definitions.py` in a package at the root or under `src/` (loaded as a module, so its
   relative imports work), as `dagster project scaffold` lays a project out.

Cases 1 and 2 become a `workspace.yaml` of our own beside the webserver's instance, as `dg dev`
writes a temporary one. No Dagster import here: the workbench reads layouts before (or
without) Dagster.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

LayoutKind = Literal["dg", "pyproject", "workspace", "file", "module"]
WORKSPACE_FILES = ("workspace.yaml", "workspace.yml")
ROOT_FILES = ("definitions.py", "defs.py")
# Folders that never hold the project's own definitions package.
_SKIPPED = re.compile(r"^(\.|_)|^(tests?|venv|env|node_modules|site-packages|build|dist)$")


class LayoutError(Exception):
    """A project file that names Dagster definitions but cannot be read; one line."""


@dataclass(frozen=True, slots=True)
class CodeLocation:
    """One entry of a workspace.yaml: a module (or file) loaded from a working directory."""

    working_directory: Path
    module: str | None = None
    file: Path | None = None
    name: str | None = None
    autoload: bool = False  # a dg `defs` module loaded with Dagster's autoloading

    def entry(self) -> dict[str, dict[str, str]]:
        if self.file is not None:
            body = {"relative_path": str(self.file)}
            key = "python_file"
        else:
            body = {"module_name": str(self.module)}
            key = "autoload_defs_module" if self.autoload else "python_module"
        body["working_directory"] = str(self.working_directory)
        if self.name:
            body["location_name"] = self.name
        return {key: body}


@dataclass(frozen=True, slots=True)
class ProjectLayout:
    kind: LayoutKind
    source: Path  # the file that says where the definitions are
    locations: tuple[CodeLocation, ...] = ()  # empty for a workspace.yaml used as it is
    # A dg project's `defs/` folder: where a new asset module goes.
    defs_folder: Path | None = None
    projects: tuple[Path, ...] = field(default=())  # a dg workspace's project folders

    def webserver_args(self, home: Path) -> list[str]:
        """The target options of `dagster-webserver` (no `-d` with `-w`: it refuses the pair);
        a workspace file of our own is written under `home` when one is needed."""
        if self.kind == "workspace":
            return ["-w", str(self.source)]
        if self.kind == "file":
            return ["-f", str(self.source), "-d", str(self.locations[0].working_directory)]
        home.mkdir(parents=True, exist_ok=True)
        target = home / "workspace.yaml"
        target.write_text(workspace_yaml(self), encoding="utf-8")
        return ["-w", str(target)]

    @property
    def shown(self) -> str:
        """What `dev` says it starts: the file, and the locations when we chose them."""
        names = [loc.name or loc.module or str(loc.file) for loc in self.locations]
        return (
            f"{self.source.name} ({', '.join(names)})"
            if self.kind != "workspace"
            else (self.source.name)
        )


def workspace_yaml(layout: ProjectLayout) -> str:
    import yaml

    head = f"# Written by marimo-tui for `marimo-tui dev`, from {layout.source}.\n"
    return head + yaml.safe_dump({"load_from": [loc.entry() for loc in layout.locations]})


def find_layout(root: Path) -> ProjectLayout | None:
    """The project's Dagster layout, or None when it has no Dagster definitions.
    LayoutError when a dg or pyproject block is there but unusable."""
    root = root.resolve()
    dg_toml = root / "dg.toml"
    if dg_toml.is_file() and _is_dg(config := _read_toml(dg_toml)):
        return _dg_layout(root, dg_toml, config)
    pyproject = root / "pyproject.toml"
    data = _read_toml(pyproject) if pyproject.is_file() else {}
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    if _is_dg(tool.get("dg")):
        return _dg_layout(root, pyproject, tool["dg"], data)
    if isinstance(tool.get("dagster"), dict) and (
        "module_name" in tool["dagster"] or "modules" in tool["dagster"]
    ):
        return _dagster_block_layout(root, pyproject, tool["dagster"])
    for name in WORKSPACE_FILES:
        if (root / name).is_file():
            return ProjectLayout("workspace", root / name)
    for name in ROOT_FILES:
        if (root / name).is_file():
            return layout_for_file(root, root / name)
    package = _definitions_package(root, data)
    return layout_for_file(root, package) if package is not None else None


def layout_for_file(root: Path, definitions: Path) -> ProjectLayout:
    """The layout a given entry file stands for (`dev` and the tests name one)."""
    root = root.resolve()
    definitions = definitions.resolve()
    if definitions.suffix in (".yaml", ".yml"):
        return ProjectLayout("workspace", definitions)
    if definitions.name in ("pyproject.toml", "dg.toml"):
        found = find_layout(definitions.parent)
        if found is None:
            raise LayoutError(f"{definitions}: no [tool.dg] or [tool.dagster] block")
        return found
    package = definitions.parent
    if package != root and (package / "__init__.py").is_file():
        # A module in a package: its relative imports need the package, so it is loaded by
        # name from the folder above the package (or packages).
        parts = [definitions.stem]
        while (package / "__init__.py").is_file():
            parts.insert(0, package.name)
            package = package.parent
        location = CodeLocation(package, module=".".join(parts))
        return ProjectLayout("module", definitions, (location,))
    return ProjectLayout("file", definitions, (CodeLocation(root, file=definitions),))


# --- dg projects and workspaces -----------------------------------------------------------


def _is_dg(config: object) -> bool:
    """A dg project or workspace (dg settings alone, such as `[tool.dg.cli]`, are neither)."""
    if not isinstance(config, dict):
        return False
    return config.get("directory_type") == "workspace" or isinstance(config.get("project"), dict)


def _dg_layout(
    root: Path, source: Path, config: Mapping[str, Any], pyproject: Mapping[str, Any] | None = None
) -> ProjectLayout:
    kind = config.get("directory_type", "project")
    if kind == "workspace":
        return _dg_workspace(root, source, config)
    project = config.get("project")
    if not isinstance(project, dict) or not project.get("root_module"):
        raise LayoutError(f"{source}: a dg project needs `root_module` in its project table")
    location, defs = _dg_project(root, project, pyproject)
    return ProjectLayout("dg", source, (location,), defs_folder=defs)


def _dg_project(
    root: Path, project: Mapping[str, Any], pyproject: Mapping[str, Any] | None
) -> tuple[CodeLocation, Path | None]:
    root_module = str(project["root_module"])
    top = root_module.split(".")[0]
    base = root / "src" if (root / "src" / top).exists() else root
    name = project.get("code_location_name") or _project_name(root, pyproject)
    defs_module = str(project.get("defs_module") or f"{root_module}.defs")
    defs_folder = base.joinpath(*defs_module.split("."))
    defs = defs_folder if defs_folder.is_dir() else None
    if project.get("autoload_defs"):
        return CodeLocation(base, module=defs_module, name=name, autoload=True), defs
    module = str(project.get("code_location_target_module") or f"{root_module}.definitions")
    return CodeLocation(base, module=module, name=name), defs


def _dg_workspace(root: Path, source: Path, config: Mapping[str, Any]) -> ProjectLayout:
    table = config.get("workspace")
    specs = table.get("projects", []) if isinstance(table, dict) else []
    locations: list[CodeLocation] = []
    folders: list[Path] = []
    for spec in specs if isinstance(specs, list) else []:
        folder = (root / str(spec.get("path", ""))).resolve()
        inner = find_layout(folder) if folder.is_dir() else None
        if inner is None or inner.kind != "dg":
            raise LayoutError(f"{source}: project {spec.get('path')!r} is not a dg project")
        locations += inner.locations
        folders.append(folder)
    if not locations:
        raise LayoutError(f"{source}: a dg workspace with no projects")
    return ProjectLayout("dg", source, tuple(locations), projects=tuple(folders))


def _project_name(root: Path, pyproject: Mapping[str, Any] | None) -> str:
    if pyproject is None and (root / "pyproject.toml").is_file():
        pyproject = _read_toml(root / "pyproject.toml")
    project = (pyproject or {}).get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return str(name or root.name)


# --- plain projects -----------------------------------------------------------------------


def _dagster_block_layout(root: Path, source: Path, block: Mapping[str, Any]) -> ProjectLayout:
    names: list[str] = []
    if isinstance(block.get("module_name"), str):
        names.append(block["module_name"])
    for module in block.get("modules") or []:
        if isinstance(module, dict) and module.get("type", "module") == "module":
            names.append(str(module.get("name")))
    if not names:
        raise LayoutError(f"{source}: [tool.dagster] names no module")
    location_name = block.get("code_location_name")
    locations = tuple(
        CodeLocation(_module_base(root, name), module=name, name=location_name) for name in names
    )
    return ProjectLayout("pyproject", source, locations)


def _module_base(root: Path, module: str) -> Path:
    top = module.split(".")[0]
    if not (root / top).exists() and (root / "src" / top).exists():
        return root / "src"
    return root


def _definitions_package(root: Path, pyproject: Mapping[str, Any]) -> Path | None:
    """`definitions.py` of a package at the root or under `src/`: the one named like the
    project when there are several."""
    found: list[Path] = []
    for base in (root, root / "src"):
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if folder.is_dir() and not _SKIPPED.search(folder.name):
                candidate = folder / "definitions.py"
                if candidate.is_file() and (folder / "__init__.py").is_file():
                    found.append(candidate)
    if not found:
        return None
    wanted = re.sub(r"\W", "_", _project_name(root, pyproject)).lower()
    return next((f for f in found if f.parent.name.lower() == wanted), found[0])


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayoutError(f"{path}: cannot read it: {exc}") from None
