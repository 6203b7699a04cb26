"""The workbench's secrets: which environment variables hold them, the environment a process that
runs notebook code gets (without them), and the one `Redactor` that takes their values out of
everything that leaves the process.

What counts as a secret (README, "Security"):
- the variables the configuration names: `agent.api_key_env` (the LLM server's key),
  `marimo.token_env` (a fixed marimo server token), `dagster.token_env` (a Dagster+ token);
- any `MARIMO_TUI_*` variable whose name says it holds a token, key, secret or password;
- the marimo server's token, random or fixed, learned when the server is made.

The marimo server and its kernels get the workbench's environment without the secret variables
and without any other `MARIMO_TUI_*` variable (the workbench's own settings, not the notebook's).
This module imports nothing of marimo_tui but the config's types.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from marimo_tui.config_schema import Config

REDACTED = "***"
OUR_PREFIX = "MARIMO_TUI_"
# Words in a variable's name that say it holds a secret.
SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
# Shorter values are not secrets worth the false positives (a key of "abc" would blank text).
MIN_SECRET = 6

T = TypeVar("T")


def secret_names(config: Config, environ: Mapping[str, str] | None = None) -> list[str]:
    """The environment variables holding this workbench's secrets (set or not)."""
    env = os.environ if environ is None else environ
    named = [config.agent.api_key_env, config.marimo.token_env, config.dagster.token_env]
    ours = [n for n in env if n.startswith(OUR_PREFIX) and any(w in n for w in SECRET_WORDS)]
    return sorted({n for n in [*named, *ours] if n})


def child_env(
    config: Config, environ: Mapping[str, str] | None = None, **extra: str
) -> dict[str, str]:
    """The environment for a process that runs notebook code (the marimo server, its kernels):
    ours less every secret variable and every `MARIMO_TUI_*` setting, plus `extra`."""
    env = os.environ if environ is None else environ
    dropped = set(secret_names(config, env))
    kept = {k: v for k, v in env.items() if k not in dropped and not k.startswith(OUR_PREFIX)}
    return {**kept, **extra}


class Redactor:
    """Replaces every known secret in text with `***`. One per workbench, made before anything
    starts; the marimo server's token is added when the server is made (`add`)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets: list[str] = []
        self.add(*secrets)

    @classmethod
    def from_env(
        cls,
        names: Iterable[str],
        extra: Iterable[str | None] = (),
        environ: Mapping[str, str] | None = None,
    ) -> Redactor:
        env = os.environ if environ is None else environ
        return cls([*(env.get(n) for n in names if n), *extra])

    def add(self, *secrets: str | None) -> None:
        found = {s.strip() for s in secrets if s and len(s.strip()) >= MIN_SECRET}
        # Longest first: a secret that contains another is replaced whole.
        self.secrets = sorted({*self.secrets, *found}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def found_in(self, text: str) -> bool:
        return any(secret in text for secret in self.secrets)

    def value(self, data: T) -> T:
        """`data` (text, or JSON-like lists and mappings of it) with every secret replaced;
        the same object when it holds none."""
        if not self.secrets:
            return data
        out: Any = data
        if isinstance(data, str):
            out = self(data)
        elif isinstance(data, Mapping):
            items = {self.value(k): self.value(v) for k, v in data.items()}
            changed = any(a is not b for a, b in zip(items.values(), data.values(), strict=True))
            out = items if changed or list(items) != list(data) else data
        elif isinstance(data, list | tuple):
            seq = [self.value(v) for v in data]
            if any(a is not b for a, b in zip(seq, data, strict=True)):
                out = tuple(seq) if isinstance(data, tuple) else seq
        return out  # type: ignore[no-any-return]


def redactor_for(config: Config, environ: Mapping[str, str] | None = None) -> Redactor:
    """A redactor knowing every secret of the environment (the server's token comes later)."""
    return Redactor.from_env(secret_names(config, environ), environ=environ)
