"""`marimo-tui doctor`: one line per check, with a fix for each problem."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from marimo_tui.config import Config, ConfigError

MARIMO_RANGE = ((0, 25), (0, 26))  # the minor version our adapter was written against


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool | None  # None: not applicable (e.g. Dagster not configured)
    detail: str
    hint: str = ""
    blocking: bool = False

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def check_python() -> Check:
    v = sys.version_info
    ok = v >= (3, 11)
    return Check(
        "python",
        ok,
        f"{v.major}.{v.minor}.{v.micro} ({sys.executable})",
        "" if ok else "install Python 3.11 or newer",
        blocking=not ok,
    )


def check_marimo() -> Check:
    try:
        found = version("marimo")
    except PackageNotFoundError:
        return Check("marimo", False, "not installed", "pip install 'marimo>=0.25,<0.26'", True)
    parts = tuple(int(p) for p in found.split(".")[:2] if p.isdigit())
    ok = MARIMO_RANGE[0] <= parts < MARIMO_RANGE[1]
    return Check(
        "marimo",
        ok,
        f"{found} (supported: >=0.25,<0.26)",
        "" if ok else "pip install 'marimo>=0.25,<0.26'",
        blocking=not ok,
    )


def check_config(config: Config | None, error: ConfigError | None) -> Check:
    if error is not None:
        return Check("config", False, str(error), "fix the key named above", blocking=True)
    assert config is not None
    if config.path is None:
        return Check("config", True, "no marimo-tui.yaml: defaults (run `marimo-tui init`)")
    return Check("config", True, str(config.path))


def check_notebooks(config: Config, paths: list[Path] | None = None) -> list[Check]:
    from marimo_tui.notebook.errors import NotebookError
    from marimo_tui.notebook.reader import read_notebook
    from marimo_tui.project import discover_notebooks

    explicit = paths
    if paths is None:
        paths = discover_notebooks(config)
    checks: list[Check] = []
    broken_cells = 0
    for path in paths:
        rel = path.relative_to(config.root) if path.is_relative_to(config.root) else path
        try:
            nb = read_notebook(path)
        except NotebookError as exc:
            checks.append(
                Check("notebook", False, f"{rel}: {exc.reason}", "open and fix the file", True)
            )
            continue
        for cell in nb.errors:
            broken_cells += 1
            checks.append(
                Check(
                    "notebook",
                    False,
                    f"{rel}:{cell.lineno} cell {cell.label}: {cell.error}",
                    "fix the cell's syntax (marimo keeps it as an unparsable cell)",
                )
            )
    bad = sum(1 for c in checks if c.blocking)
    summary = f"{len(paths) - bad} of {len(paths)} notebooks parse"
    if explicit is None:
        summary += f" in {config.notebooks_dir}"
    if broken_cells:
        summary += f"; {broken_cells} cells with syntax errors"
    head = Check("notebooks", not checks, summary, "" if not checks else "see the lines below")
    return [head, *checks]


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 3.0) -> object:
    import httpx

    response = httpx.get(url, headers=headers, timeout=timeout)
    response.raise_for_status()
    return response.json()


def _reason(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}"


def check_llm(config: Config) -> list[Check]:
    agent = config.agent
    host = agent.host.rstrip("/")
    if agent.provider == "scripted":
        return [Check("llm", None, "scripted provider: replays a script, no LLM needed")]
    if agent.provider == "openai":
        key = os.environ.get(agent.api_key_env, "")
        headers = {"Authorization": f"Bearer {key}"} if key else None
        try:
            data = _get(f"{host}/models", headers)
        except Exception as exc:
            return [
                Check(
                    "llm",
                    False,
                    f"OpenAI-compatible endpoint {host}: {_reason(exc)}",
                    f"start the server or set agent.host (key from ${agent.api_key_env})",
                )
            ]
        names = {m.get("id") for m in data.get("data", [])} if isinstance(data, dict) else set()
        ok = agent.model in names or not names
        return [
            Check(
                "llm",
                ok,
                f"{host}: model {agent.model} {'available' if ok else 'not listed'}",
                "" if ok else f"set agent.model to one of: {', '.join(sorted(map(str, names)))}",
            )
        ]
    try:
        data = _get(f"{host}/api/tags")
    except Exception as exc:
        return [
            Check(
                "ollama",
                False,
                f"not reachable at {host} ({_reason(exc)})",
                "start it with `ollama serve`, or set agent.host",
            )
        ]
    models = data.get("models", []) if isinstance(data, dict) else []
    names = {str(m.get("name") or m.get("model")) for m in models}
    wanted = agent.model if ":" in agent.model else f"{agent.model}:latest"
    ok = agent.model in names or wanted in names
    return [
        Check("ollama", True, f"reachable at {host} ({len(names)} models)"),
        Check(
            "model",
            ok,
            f"{agent.model} {'present' if ok else 'not pulled'}",
            "" if ok else f"ollama pull {agent.model}",
        ),
    ]


def check_dagster(config: Config) -> Check:
    url = config.dagster.url
    if not url:
        return Check(
            "dagster", None, "not configured (set dagster.url to pair notebooks with assets)"
        )
    import httpx

    headers = {"Content-Type": "application/json"}
    if token := os.environ.get(config.dagster.token_env):
        headers["Dagster-Cloud-Api-Token"] = token
    try:
        response = httpx.post(
            f"{url.rstrip('/')}/graphql",
            json={"query": "{ version }"},
            headers=headers,
            timeout=config.dagster.timeout,
        )
        response.raise_for_status()
        found = response.json().get("data", {}).get("version", "?")
    except Exception as exc:
        return Check(
            "dagster",
            False,
            f"GraphQL not reachable at {url} ({_reason(exc)})",
            "start it (e.g. `dagster dev`) or fix dagster.url",
        )
    return Check("dagster", True, f"GraphQL at {url} (Dagster {found})")


def check_terminal() -> Check:
    size = shutil.get_terminal_size(fallback=(0, 0))
    if os.environ.get("NO_COLOR"):
        colours = "no colour (NO_COLOR)"
    elif os.environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        colours = "truecolor"
    elif "256" in os.environ.get("TERM", ""):
        colours = "256 colours"
    else:
        colours = f"basic colours (TERM={os.environ.get('TERM', 'unset')})"
    where = "inside tmux" if os.environ.get("TMUX") else "not in tmux"
    dims = f"{size.columns}x{size.lines}" if size.columns else "not a terminal"
    detail = f"{dims}, {colours}, {where}"
    small = 0 < size.columns < 80 or 0 < size.lines < 24
    hint = "make the terminal at least 80x24" if small else ""
    if (
        "tmux" in where
        and "256" not in os.environ.get("TERM", "")
        and not os.environ.get("NO_COLOR")
    ):
        hint = hint or "in ~/.tmux.conf: set -g default-terminal tmux-256color"
    return Check("terminal", not small, detail, hint)


def run_checks(
    config: Config | None, error: ConfigError | None, notebooks: list[Path] | None = None
) -> list[Check]:
    checks = [check_python(), check_marimo(), check_config(config, error)]
    if config is not None:
        checks += check_notebooks(config, notebooks)
        checks += check_llm(config)
        checks.append(check_dagster(config))
    checks.append(check_terminal())
    return checks
