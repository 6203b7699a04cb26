"""A client for the configured Dagster, with the token from the environment."""

from __future__ import annotations

import os

from marimo_tui.config import Config
from marimo_tui.dagster.client import DagsterClient, web_url
from marimo_tui.dagster.errors import NOT_CONFIGURED, DagsterError


def client_for(config: Config) -> DagsterClient:
    """DagsterError when no URL is configured."""
    url = config.dagster.url
    if not url:
        raise DagsterError(NOT_CONFIGURED)
    token = os.environ.get(config.dagster.token_env) or None
    return DagsterClient(url, token=token, timeout=config.dagster.timeout)


def run_url(config: Config, run_id: str) -> str:
    return f"{web_url(config.dagster.url or '')}/runs/{run_id}"
