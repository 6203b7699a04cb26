"""Reading `marimo-tui.yaml` into the typed model, checked on the way: any mistake — not UTF-8,
YAML syntax, an unknown key, a wrong type — is one `ConfigError` naming the file, the line and
the key (with the nearest valid key when one is close).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml

from marimo_tui.config_schema import Config, public_fields

# libyaml's loader when PyYAML has it: the config is read before the first frame.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(Exception):
    """One line: file, line and key of the first problem in a configuration."""

    def __init__(self, source: str, message: str, line: int | None = None, key: str = "") -> None:
        self.source, self.line, self.key, self.message = source, line, key, message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")


def read_config_text(path: Path) -> str:
    """The file's text; `ConfigError` (with the line) when it is not UTF-8 or not readable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            str(path), f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8", line
        ) from None


def parse_config_text(text: str, source: str) -> Config:
    try:
        node = yaml.compose(text, Loader=YAML_LOADER)
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(source, f"YAML syntax error: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, f"YAML error: {exc}") from None
    if node is None or data is None:
        return Config()
    return typing.cast(Config, convert(Config, data, node, "", source))


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    if origin is list:
        return "a list of " + _describe(typing.get_args(tp)[0]) + "s"
    if origin is dict:
        return "a mapping of names to " + _describe(typing.get_args(tp)[1]) + "s"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def convert(tp: Any, value: Any, node: yaml.Node | None, key: str, source: str) -> Any:
    """`value`, read at `key` (from `node`, when it came from the file), as a `tp`; else a
    `ConfigError` naming `source`, the line and the key."""

    def fail(message: str) -> ConfigError:
        return ConfigError(source, message, _line(node), key)

    # Name the value as written (`yes`), not as YAML 1.1 read it (`True`).
    shown = repr(node.value) if isinstance(node, yaml.ScalarNode) else repr(value)

    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise fail(f"expected a mapping, got {shown}")
        fields = {f.name: f for f in public_fields(tp)}
        nodes = _mapping_nodes(node)
        kwargs: dict[str, Any] = {}
        hints = typing.get_type_hints(tp)
        for name, item in value.items():
            sub = f"{key}.{name}" if key else str(name)
            if name not in fields:
                close = difflib.get_close_matches(str(name), fields, n=1)
                hint = f"did you mean {close[0]}?" if close else "valid: " + ", ".join(fields)
                raise ConfigError(
                    source, f"unknown key ({hint})", _line(nodes.get(name, node)), sub
                )
            kwargs[name] = convert(hints[name], item, nodes.get(name), sub, source)
        return tp(**kwargs)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return convert(arg, value, node, key, source)
            except ConfigError:
                continue
        raise fail(f"expected {_describe(tp)}, got {shown}")
    if origin is Literal:
        if isinstance(value, bool) and isinstance(node, yaml.ScalarNode):
            value = node.value  # `off`, as written, where YAML 1.1 reads False
        if value not in typing.get_args(tp):
            raise fail(f"expected {_describe(tp)}, got {shown}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise fail(f"expected {_describe(tp)}, got {shown}")
        items = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(value)
        (inner,) = typing.get_args(tp)
        return [
            convert(inner, v, n, f"{key}[{i}]", source)
            for i, (v, n) in enumerate(zip(value, items, strict=False))
        ]
    if origin is dict:
        if not isinstance(value, dict):
            raise fail(f"expected {_describe(tp)}, got {shown}")
        _, inner = typing.get_args(tp)
        nodes = _mapping_nodes(node)
        out = {}
        for k, v in value.items():
            out[str(k)] = convert(inner, v, nodes.get(k), f"{key}.{k}", source)
        return out
    if tp is bool:
        if not isinstance(value, bool):
            raise fail(f"expected true or false, got {shown}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(f"expected an integer, got {shown}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"expected a number, got {shown}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise fail(f"expected a string, got {shown} (quote it)")
        return value
    raise fail(f"unsupported type {tp!r}")  # a schema bug, not a user mistake


def _mapping_nodes(node: yaml.Node | None) -> dict[Any, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {yaml.safe_load(yaml.serialize(k)): v for k, v in node.value}
