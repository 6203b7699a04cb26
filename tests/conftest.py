from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.llama_support import LlamaServer
from tests.llm_servers import OllamaServer, OpenAIServer

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "templates"

# How long a wait for a condition may last before a test counts it as hung (tui_support's
# wait_until, subprocess waits). Only a bound on a hang: the suite must pass on a busy machine
# too (the full suite beside other work on two cores runs several times slower than alone), so
# a healthy run never comes near it. Waits that cover a cold start (a marimo or Dagster server)
# or a whole Dagster run use a multiple of it.
HANG = 60.0

# Settings for the workbench run by a test (the CLI, the demo in tmux): how long an agent's edit
# waits for marimo's rerun, which on a busy machine can include the server's cold start.
PATIENT = {"MARIMO_TUI_AGENT_RERUN_TIMEOUT": f"{2 * HANG:g}"}


def within(limit: float) -> float:
    """A promised latency (`limit` seconds on a machine with a core to spare) as a test's bound:
    stretched by how oversubscribed the cores are right now, so a busy machine, where every
    process waits its turn, does not fail a promise that the code keeps."""
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    return limit * max(1.0, load)


def interruptible() -> None:
    """`preexec_fn` for a child that a test interrupts or ends with a signal, as a terminal or a
    process manager would: the default disposition of SIGINT, SIGTERM, SIGHUP and SIGQUIT, also
    when the test run itself ignores some of them — started in the background by a
    non-interactive shell (SIGINT, SIGQUIT), under nohup (SIGHUP), or after something in the run
    set SIGTERM to SIG_IGN — which a child would inherit."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARIMO_TUI_")}
    # Nothing listens here: doctor's LLM check fails fast instead of finding a developer's Ollama.
    env.update({"MARIMO_TUI_AGENT_HOST": "http://127.0.0.1:9", "NO_COLOR": "1"}, **PATIENT)
    env.update(extra)
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
            timeout=5 * HANG,  # `run --wait` follows a whole Dagster run
        )

    return run


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


# A real llama.cpp server with a small model (see llama_support.py): started once per session, on
# first use; the tests that ask for it skip without a llama-server build, or fail under CI.
@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """llama-server with a 4096-token window."""
    with LlamaServer.start(n_ctx=4096) as server:
        yield server


@pytest.fixture(scope="session")
def llama_server_small() -> Iterator[LlamaServer]:
    """llama-server with a 2048-token window, for prompts that do not fit."""
    with LlamaServer.start(n_ctx=2048) as server:
        yield server


@pytest.fixture(scope="session")
def llama_server_gguf_template() -> Iterator[LlamaServer]:
    """llama-server (4096) with the GGUF's own chat template, which has no tools."""
    with LlamaServer.start(n_ctx=4096, chat_template=None) as server:
        yield server


# Loopback servers speaking Ollama's and OpenAI's protocols (see llm_servers.py), one a test.
@pytest.fixture
def ollama() -> Iterator[OllamaServer]:
    with OllamaServer() as server:
        yield server


@pytest.fixture
def openai() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server
