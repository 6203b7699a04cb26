#!/usr/bin/env python3
"""Set up and run marimo-tui from a fresh checkout, with nothing but Python 3.11+ and pip.

    python3 dev.py demo    # create .venv, install marimo-tui, open the workbench on a demo
    python3 dev.py test    # create .venv, install marimo-tui[dev] and tmux, run the tests

Extra arguments go to pytest (`python3 dev.py test -k store`); `demo` takes a folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
PY = BIN / "python"


def run(*cmd: str | Path, check: bool = True, **kw: object) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=check, **kw).returncode  # type: ignore[call-overload]


def ensure_venv() -> None:
    if PY.exists():
        return
    if sys.version_info < (3, 11):
        sys.exit(f"marimo-tui needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    try:
        run(sys.executable, "-m", "venv", VENV)
    except subprocess.CalledProcessError:
        # Debian's python3 without python3-venv: fall back to virtualenv from PyPI.
        shutil.rmtree(VENV, ignore_errors=True)
        run(sys.executable, "-m", "pip", "install", "--user", "--quiet", "virtualenv")
        run(sys.executable, "-m", "virtualenv", VENV)


def ensure_installed(extra: str) -> None:
    """Install the package (editable) when pyproject.toml changed since the last install."""
    spec = f".[{extra}]" if extra else "."
    stamp = VENV / f".installed-{extra or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", spec, cwd=ROOT)
    stamp.write_text(digest)


def ensure_system_tools() -> None:
    """tmux drives the end-to-end tests; install it with apt-get when it is missing."""
    if shutil.which("tmux"):
        return
    apt = shutil.which("apt-get")
    if apt is None:
        print("warning: tmux is missing and apt-get is not available; tmux tests will skip")
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(*sudo, apt, "update", "-qq", env=env, check=False)
    run(*sudo, apt, "install", "-y", "-qq", "tmux", env=env, check=False)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    if command == "test":
        ensure_system_tools()
        ensure_installed("dev")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        return run(PY, "-m", "pytest", *rest, cwd=ROOT, env=env, check=False)
    ensure_installed("templates")
    # The workbench on a demo project made from the bundled templates (no LLM, no Dagster).
    folder = rest[0] if rest else ROOT / "marimo-tui-demo"
    return run(BIN / "marimo-tui", "demo", folder, check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
