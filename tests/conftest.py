from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "templates"


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARIMO_TUI_")}
    # Nothing listens here: doctor's LLM check fails fast instead of finding a developer's Ollama.
    env.update({"MARIMO_TUI_AGENT_HOST": "http://127.0.0.1:9", "NO_COLOR": "1"}, **extra)
    return env


Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Runner:
    """Run the real `marimo-tui` command (a subprocess) in tmp_path unless `cwd` is given."""

    def run(
        *args: str | Path,
        cwd: Path | None = None,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "marimo_tui", *map(str, args)],
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            input=input,
            env=env or cli_env(),
            timeout=120,
        )

    return run


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
