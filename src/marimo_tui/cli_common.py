"""What every `marimo-tui` command shares: the configuration it runs with, and printing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from marimo_tui.config import Config, ConfigError, load_config
from marimo_tui.launch import EXIT_FAILURE, EXIT_USAGE
from marimo_tui.safe_text import visible_ansi


class State:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    def config(self) -> Config:
        """The configuration, or exit 2 with the one-line reason."""
        if self._config is None:
            try:
                self._config = load_config(self.config_path)
            except ConfigError as exc:
                fail(str(exc), EXIT_USAGE)
        return self._config


def echo(message: str = "", err: bool = False) -> None:
    """`click.echo` for text that may come from outside (file names, notebooks, servers'
    errors): our colours (SGR) stay, every other control character is shown, not sent."""
    click.echo(visible_ansi(message), err=err)


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    echo(click.style("error: ", fg="red", bold=True) + message, err=True)
    sys.exit(code)


pass_state = click.make_pass_decorator(State)
