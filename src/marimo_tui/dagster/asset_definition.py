"""Definition time of a `marimo_asset`: the notebook found and read, its key, inputs and
parameters checked. Every problem is a `DagsterInvalidDefinitionError`, which Dagster shows as
the code location's load error."""

# No `from __future__ import annotations`, like `asset`.
import ast
import inspect
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from marimo_tui.dagster.notebook_io import RESERVED

_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_INPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADING = re.compile(r"^\s*#{1,6}\s+(\S.*?)\s*#*\s*$")

AssetRef = str | Sequence[str] | dg.AssetKey | dg.AssetsDefinition | dg.AssetSpec


def caller_folder() -> Path | None:
    """The folder of the file that called `marimo_asset`, when it is a file."""
    frame = inspect.currentframe()
    try:
        caller = frame.f_back.f_back if frame and frame.f_back else None
        file = caller.f_globals.get("__file__") if caller is not None else None
        return Path(file).resolve().parent if isinstance(file, str) else None
    finally:
        del frame


def resolve(path: Path, base: Path | None) -> Path:
    path = path.expanduser()
    if path.is_absolute():
        return path
    if base is not None and ((base / path).exists() or not path.exists()):
        return (base / path).resolve()
    return path.resolve()


def find_notebook(notebook: str | Path, base: Path | None) -> Path:
    given = Path(notebook).expanduser()
    path = resolve(given, base)
    if not path.exists():
        places = [str(path)]
        if not given.is_absolute() and base is not None:
            places.append(str(Path.cwd() / given))
        tried = " or ".join(dict.fromkeys(places))
        raise dg.DagsterInvalidDefinitionError(
            f"marimo_asset: notebook {str(notebook)!r} not found (looked for {tried})"
        )
    if not path.is_file():
        raise dg.DagsterInvalidDefinitionError(
            f"marimo_asset: {path} is a folder, not a notebook file"
        )
    return path


def asset_key(key: str | Sequence[str] | dg.AssetKey | None, path: Path) -> dg.AssetKey:
    if key is None:
        return dg.AssetKey([path.stem])
    if isinstance(key, dg.AssetKey):
        return key
    if isinstance(key, str):
        return dg.AssetKey.from_user_string(key) if "/" in key else dg.AssetKey([key])
    return dg.AssetKey(list(key))


def check_params(params: Mapping[str, Any], what: str) -> None:
    for name in params:
        if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
            raise dg.DagsterInvalidDefinitionError(
                f"{what}: {name!r} is not a parameter name mo.cli_args() can read back"
                " (letters, digits, _, - and .)"
            )


def params_schema(defaults: Mapping[str, Any]) -> Any:
    """Any parameters; the defaults listed (and filled in) so the launchpad shows them."""
    fields = {
        name: dg.Field(dg.Any, is_required=False, default_value=value)
        for name, value in defaults.items()
    }
    try:
        return dg.Permissive(fields)  # type: ignore[no-untyped-call]
    except Exception:  # a name Dagster's config does not take: still any parameters
        return dg.Permissive()  # type: ignore[no-untyped-call]


def asset_ins(
    ins: Mapping[str, dg.AssetIn | AssetRef] | Sequence[AssetRef] | None, what: str
) -> dict[str, dg.AssetIn]:
    """`ins=` as Dagster's `{name: AssetIn}`."""
    if ins is None:
        return {}
    pairs: list[tuple[str, dg.AssetIn | AssetRef]]
    if isinstance(ins, Mapping):
        pairs = list(ins.items())
    else:
        pairs = [(_upstream_key(ref, what).path[-1], ref) for ref in ins]
    found: dict[str, dg.AssetIn] = {}
    for name, ref in pairs:
        if not isinstance(name, str) or not _INPUT_NAME.fullmatch(name):
            raise dg.DagsterInvalidDefinitionError(
                f"{what}: {name!r} is not an input name (a Python identifier); "
                "give ins as {name: upstream}"
            )
        if name in found:
            raise dg.DagsterInvalidDefinitionError(f"{what}: two inputs named {name!r}")
        found[name] = ref if isinstance(ref, dg.AssetIn) else dg.AssetIn(_upstream_key(ref, what))
    return found


def _upstream_key(ref: Any, what: str) -> dg.AssetKey:
    if isinstance(ref, dg.AssetIn) and ref.key is not None:
        return ref.key
    if isinstance(ref, dg.AssetKey):
        return ref
    if isinstance(ref, dg.AssetSpec):
        return ref.key
    if isinstance(ref, dg.AssetsDefinition):
        return ref.key
    if isinstance(ref, str):
        return dg.AssetKey.from_user_string(ref) if "/" in ref else dg.AssetKey([ref])
    if isinstance(ref, Sequence) and ref and all(isinstance(p, str) for p in ref):
        return dg.AssetKey(list(ref))
    raise dg.DagsterInvalidDefinitionError(f"{what}: {ref!r} names no asset")


def check_names(defaults: Mapping[str, Any], inputs: Mapping[str, Any], path: Path) -> None:
    clash = sorted((set(defaults) | set(inputs)) & RESERVED)
    if clash:
        raise dg.DagsterInvalidDefinitionError(
            f"marimo_asset({path.name!r}): {', '.join(clash)} is set by marimo_asset itself"
        )
    both = sorted(set(defaults) & set(inputs))
    if both:
        raise dg.DagsterInvalidDefinitionError(
            f"marimo_asset({path.name!r}): {', '.join(both)} is both a parameter and an input"
        )


def notebook_info(path: Path) -> str:
    """Check the file is a marimo notebook; return its description (or "").

    Read with the notebook layer (marimo's parser), which also reads cells written for a newer
    Python than this one: a notebook is not refused for a `type X = …` cell.
    """
    from marimo_tui.notebook.errors import NotebookError
    from marimo_tui.notebook.marimo_adapter import parse_text
    from marimo_tui.notebook.reader import decode, read_bytes

    try:
        text, _ = decode(read_bytes(path), path)
        parsed = parse_text(text, path)
    except NotebookError as exc:
        raise dg.DagsterInvalidDefinitionError(f"marimo_asset: {exc}") from None
    heading = next((h for c in parsed.cells if (h := _cell_heading(c.code))), "")
    title = str(parsed.app_options.get("app_title") or "")
    return heading or title or _docstring_line(parsed.header)


def _cell_heading(code: str) -> str:
    """The first markdown heading of a cell's `mo.md(...)`, if it has one."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # a cell for a newer Python: no heading from it
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node.func) == "md" and node.args:
            found = _first_heading(node.args[0])
            if found:
                return found
    return ""


def _docstring_line(header: str) -> str:
    try:
        tree = ast.parse(header)
    except SyntaxError:
        return ""
    return (ast.get_docstring(tree) or "").strip().split("\n")[0]


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _first_heading(arg: ast.expr) -> str:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        source = arg.value
    elif isinstance(arg, ast.JoinedStr):  # an f-string: its literal parts
        source = "".join(
            str(v.value) if isinstance(v, ast.Constant) else "…"
            for v in arg.values
            if isinstance(v, ast.Constant | ast.FormattedValue)
        )
    else:
        return ""
    for line in textwrap.dedent(source).split("\n"):
        found = _HEADING.match(line)
        if found:
            return found.group(1)
    return ""
