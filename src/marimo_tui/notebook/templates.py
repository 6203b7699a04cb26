"""Notebook templates: real marimo notebooks with a description and declared parameters.

A template carries a `# /// marimo-tui` block (PEP 723 style, TOML) with its description and a
help line per parameter. Parameters are the keys of the `_defaults = {...}` literal in the cell
named `parameters`; at run time the notebook merges `mo.cli_args()` over them, and
`marimo-tui new --param KEY=VALUE` writes new defaults into the literal. Reading a template uses
the standard library only, so listing templates never imports marimo.

A template may name sample data (`data = ["sales.csv"]`) kept in the `data/` folder next to it;
creating a notebook copies those files into a `data/` folder next to the notebook, never over an
existing file, so every template runs as soon as it is created and nothing is downloaded.
"""

from __future__ import annotations

import ast
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marimo_tui.notebook.atomic import atomic_create
from marimo_tui.notebook.errors import StoreError
from marimo_tui.notebook.write_paths import inside_root

METADATA_TYPE = "marimo-tui"
DATA_FOLDER = "data"
# PEP 723's reference expression, with content lines that cannot be a closing `# ///`, so that
# two blocks in a row are read as two.
_BLOCK = re.compile(
    r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(?! ///$)(| .*)$\s)+)^# ///$\n?"
)
_SCALARS = (bool, int, float, str)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    default: Any
    help: str = ""

    @property
    def type_name(self) -> str:
        return type(self.default).__name__

    def coerce(self, raw: str) -> Any:
        kind = type(self.default)
        try:
            if kind is bool:
                value = raw.strip().lower()
                if value in ("1", "true", "yes", "on"):
                    return True
                if value in ("0", "false", "no", "off"):
                    return False
                raise ValueError(raw)
            value = kind(raw)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(raw)
            return value
        except ValueError:
            raise StoreError(
                f"parameter {self.name} expects {kind.__name__}, got {raw!r}"
            ) from None


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    path: Path
    description: str
    params: tuple[Param, ...] = ()
    dependencies: tuple[str, ...] = ()
    source: str = field(default="", repr=False)
    # `dagster = true`: a notebook meant to be a Dagster asset (`new` prints how to pair it).
    dagster: bool = False
    # Sample data files the notebook reads, copied to `data/` next to a new notebook.
    data: tuple[Path, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "path": str(self.path),
            "dependencies": list(self.dependencies),
            "data": [p.name for p in self.data],
            "params": [
                {"name": p.name, "type": p.type_name, "default": p.default, "help": p.help}
                for p in self.params
            ],
        }


def metadata_blocks(text: str) -> dict[str, dict[str, Any]]:
    """PEP 723 style comment blocks (`# /// TYPE` … `# ///`), parsed as TOML."""
    out: dict[str, dict[str, Any]] = {}
    for match in _BLOCK.finditer(text):
        body = "".join(
            line[2:] if line.startswith("# ") else line[1:]
            for line in match.group("content").splitlines(keepends=True)
        )
        try:
            out[match.group("type")] = tomllib.loads(body)
        except tomllib.TOMLDecodeError:
            continue
    return out


def _defaults_node(tree: ast.Module) -> ast.Dict | None:
    """The `_defaults = {...}` literal inside the cell function named `parameters`."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "parameters":
            for stmt in ast.walk(node):
                if (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)
                    and stmt.targets[0].id == "_defaults"
                    and isinstance(stmt.value, ast.Dict)
                ):
                    return stmt.value
    return None


def load_template(path: Path) -> Template:
    text = path.read_text(encoding="utf-8")
    meta = metadata_blocks(text)
    info = meta.get(METADATA_TYPE, {})
    helps: Mapping[str, str] = info.get("params", {})
    params: list[Param] = []
    node = _defaults_node(ast.parse(text, str(path)))
    if node is not None:
        defaults = ast.literal_eval(node)
        for key, value in defaults.items():
            if not isinstance(value, _SCALARS):
                raise ValueError(
                    f"{path}: parameter {key} must default to a str, int, float or bool"
                )
            params.append(Param(str(key), value, str(helps.get(key, ""))))
    data = []
    for name in info.get("data", ()):
        sample = path.parent / DATA_FOLDER / str(name)
        if Path(str(name)).name != str(name) or not sample.is_file():
            raise ValueError(f"{path}: sample data {name} is not a file in {sample.parent}")
        data.append(sample)
    return Template(
        name=path.stem,
        path=path,
        description=str(info.get("description", "")).strip(),
        params=tuple(params),
        dependencies=tuple(meta.get("script", {}).get("dependencies", ())),
        source=text,
        dagster=bool(info.get("dagster", False)),
        data=tuple(data),
    )


def discover_templates(
    folders: Iterable[Path], problems: list[str] | None = None
) -> dict[str, Template]:
    """Templates by name; a later folder's template replaces a bundled one of the same name.

    A template that cannot be read is left out (it must not hide the others); `problems`, when
    given, gets one line saying why.
    """
    found: dict[str, Template] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith(("_", ".")):
                continue
            try:
                found[path.stem] = load_template(path)
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError) as exc:
                if problems is not None:
                    reason = str(exc) if isinstance(exc, ValueError) else f"{exc}"
                    problems.append(f"{path}: {reason.removeprefix(f'{path}: ')}")
    return found


def parse_param_args(items: Iterable[str]) -> dict[str, str]:
    """`KEY=VALUE` strings from the command line."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise StoreError(f"--param expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value
    return out


def instantiate(template: Template, values: Mapping[str, str]) -> str:
    """The template's text with new parameter defaults and without its template metadata."""
    known = {p.name: p for p in template.params}
    unknown = sorted(set(values) - set(known))
    if unknown:
        valid = ", ".join(known) if known else "none"
        raise StoreError(
            f"template {template.name} has no parameter {', '.join(unknown)} (parameters: {valid})"
        )
    text = _BLOCK.sub(
        lambda m: "" if m.group("type") == METADATA_TYPE else m.group(0), template.source
    ).lstrip("\n")
    if not values:
        return text
    defaults = {p.name: p.default for p in template.params}
    defaults.update({k: known[k].coerce(v) for k, v in values.items()})
    node = _defaults_node(ast.parse(text))
    assert node is not None and node.end_lineno is not None and node.end_col_offset is not None
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    raw = text.encode("utf-8")
    start = offsets[node.lineno - 1] + node.col_offset
    end = offsets[node.end_lineno - 1] + node.end_col_offset
    items = [f"{_literal(k)}: {_literal(v)}" for k, v in defaults.items()]
    if node.end_lineno > node.lineno and node.keys and node.keys[0] is not None:
        # A literal written one key per line stays so (as ruff and marimo's editor lay it out).
        inner = " " * node.keys[0].col_offset
        outer = " " * (len(lines[node.lineno - 1]) - len(lines[node.lineno - 1].lstrip()))
        literal = "{\n" + "".join(f"{inner}{item},\n" for item in items) + outer + "}"
    else:
        literal = "{" + ", ".join(items) + "}"
    return (raw[:start] + literal.encode("utf-8") + raw[end:]).decode("utf-8")


def _literal(value: Any) -> str:
    """A Python literal for a parameter value, double-quoted like marimo's own code."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are Python's too
    return repr(value)


def copy_sample_data(
    template: Template, notebook_dir: Path, root: Path | None = None
) -> list[Path]:
    """Copy the template's sample data into `notebook_dir/data/`; returns the files created.

    A file already there is the user's (maybe their real data): it is kept as it is. Each file
    must land inside `root` (default: `notebook_dir`) once links are followed: a `data/` that
    links elsewhere is refused (OutsideRoot), not written through.
    """
    created: list[Path] = []
    if not template.data:
        return created
    root = root or notebook_dir
    folder = notebook_dir / DATA_FOLDER
    inside_root(folder, root)
    folder.mkdir(parents=True, exist_ok=True)
    for sample in template.data:
        target = folder / sample.name
        inside_root(target, root)  # (a file there may itself be a link)
        try:
            atomic_create(target, sample.read_bytes())
        except FileExistsError:
            continue
        created.append(target)
    return created
