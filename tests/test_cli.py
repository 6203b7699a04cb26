"""The real `marimo-tui` command: exit codes, init, templates, new, clean, doctor, bad inputs."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from marimo_tui import __version__
from tests.conftest import TEMPLATES, Runner, assert_no_traceback, cli_env

COMMANDS = ["doctor", "init", "templates", "new", "clean"]


def test_version_and_help(cli: Runner) -> None:
    out = cli("--version")
    assert out.returncode == 0 and __version__ in out.stdout
    top = cli("--help")
    assert top.returncode == 0
    for command in COMMANDS:
        assert command in top.stdout
        sub = cli(command, "--help")
        assert sub.returncode == 0, sub.stderr
        assert "Usage: " in sub.stdout


def test_bad_usage_exits_2(cli: Runner) -> None:
    assert cli("no-such-command").returncode == 2
    assert cli("new").returncode == 2  # missing PATH
    assert cli("doctor", "--bogus").returncode == 2
    missing = cli("demo", "d", "--script", "no-such.yaml")
    assert missing.returncode == 2 and "no-such.yaml: no such script file" in missing.stderr


def test_init_creates_then_adds_only_what_is_missing(cli: Runner, tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    out = cli("init", proj)
    assert out.returncode == 0, out.stderr
    assert (proj / "marimo-tui.yaml").is_file() and (proj / "notebooks").is_dir()
    assert (proj / ".gitignore").read_text() == ".marimo-tui/\n"
    # Someone edits the config and the .gitignore; a second init keeps both.
    (proj / "marimo-tui.yaml").write_text("theme: mine\n")
    (proj / ".gitignore").write_text("*.pyc")
    out = cli("init", proj)
    assert out.returncode == 0
    assert (proj / "marimo-tui.yaml").read_text() == "theme: mine\n"
    assert (proj / ".gitignore").read_text() == "*.pyc\n.marimo-tui/\n"
    assert "kept" in out.stdout and "updated" in out.stdout
    out = cli("init", proj)
    assert (proj / ".gitignore").read_text() == "*.pyc\n.marimo-tui/\n"


def test_templates_and_new(cli: Runner, tmp_path: Path) -> None:
    cli("init", ".")
    listing = cli("templates", "--json")
    assert listing.returncode == 0
    names = {t["name"]: t for t in json.loads(listing.stdout)}
    assert {"blank", "minimal", "parameterized"} <= set(names)
    assert all(t["description"] for t in names.values())
    assert [p["name"] for p in names["parameterized"]["params"]] == ["title", "rows", "scale"]
    assert "--param rows=5" in cli("templates").stdout

    out = cli(
        "new",
        "notebooks/a.py",
        "--template",
        "parameterized",
        "--param",
        "rows=7",
        "--param",
        'title=Q3 "final"',
    )
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "notebooks" / "a.py").read_text()
    assert '_defaults = {"title": "Q3 \\"final\\"", "rows": 7, "scale": 1.0}' in text
    assert "/// marimo-tui" not in text

    again = cli("new", "notebooks/a.py")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert (tmp_path / "notebooks" / "a.py").read_text() == text

    unknown = cli("new", "b.py", "--template", "nope")
    assert unknown.returncode == 2
    assert f"templates: {', '.join(sorted(names))}" in unknown.stderr
    bad_param = cli("new", "b.py", "-t", "parameterized", "-p", "colour=red")
    assert bad_param.returncode == 2 and "title, rows, scale" in bad_param.stderr
    bad_type = cli("new", "b.py", "-t", "parameterized", "-p", "rows=many")
    assert bad_type.returncode == 2 and "expects int" in bad_type.stderr
    assert not (tmp_path / "b.py").exists()
    for proc in (again, unknown, bad_param, bad_type):
        assert_no_traceback(proc)


def test_user_templates_folder(cli: Runner, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "house.py").write_text(
        (TEMPLATES / "minimal.py").read_text().replace("Imports marimo", "House style")
    )
    (tmp_path / "marimo-tui.yaml").write_text("notebooks:\n  templates: mine\n")
    # A broken one is skipped with one line, not silently and not hiding the others.
    (tmp_path / "mine" / "broken.py").write_text("def (:\n")
    (tmp_path / "mine" / "nodata.py").write_text(
        (TEMPLATES / "minimal.py")
        .read_text()
        .replace('# description = "', '# data = ["missing.csv"]\n# description = "')
    )
    out = cli("templates")
    assert "house" in out.stdout and "House style" in out.stdout
    assert "dagster-params" in out.stdout  # the bundled ones are still listed
    problems = out.stderr.splitlines()
    assert len(problems) == 2, out.stderr
    assert problems[0].startswith("skipped template ") and "broken.py" in problems[0]
    assert "nodata.py: sample data missing.csv is not a file in" in problems[1]
    assert cli("new", "h.py", "-t", "house").returncode == 0


def test_new_copies_the_sample_data_and_keeps_the_users_own(cli: Runner, tmp_path: Path) -> None:
    cli("init", ".")
    listing = cli("templates")
    assert "sample data: sales.csv (copied to data/ next to it)" in listing.stdout
    out = cli("new", "notebooks/daily.py", "-t", "dagster-asset")
    assert out.returncode == 0, out.stderr
    assert "created notebooks/data/sales.csv (sample data)" in out.stdout
    shipped = (TEMPLATES / "data" / "sales.csv").read_bytes()
    assert (tmp_path / "notebooks" / "data" / "sales.csv").read_bytes() == shipped
    # A second notebook reading the same file: the user's edited data is theirs, not replaced.
    (tmp_path / "notebooks" / "data" / "sales.csv").write_text("date,amount\n")
    out = cli("new", "notebooks/window.py", "-t", "dagster-params")
    assert out.returncode == 0 and "sample data" not in out.stdout
    assert (tmp_path / "notebooks" / "data" / "sales.csv").read_text() == "date,amount\n"


def test_clean_keeps_journal_and_notebooks(cli: Runner, tmp_path: Path) -> None:
    cli("init", ".")
    cli("new", "notebooks/a.py")
    state = tmp_path / ".marimo-tui"
    (state / "cache").mkdir(parents=True)
    (state / "cache" / "x.bin").write_bytes(b"x" * 5000)
    (state / "logs").mkdir()
    (tmp_path / "notebooks" / ".a.py.abc.marimo-tui.tmp").write_text("stray")
    # A crashed landing's staged part is a stray; a whole one may hold a version: it stays.
    part = tmp_path / "notebooks" / ".a.py.landing-x1.part.marimo-tui.tmp"
    whole = tmp_path / "notebooks" / ".a.py.landing-x2.marimo-tui.tmp"
    part.write_text("half a write")
    whole.write_text("a version")
    assert (state / "journal").is_dir()

    refused = cli("clean")  # no terminal to ask on
    assert refused.returncode == 2 and (state / "cache").exists()
    out = cli("clean", "--yes")
    assert out.returncode == 0, out.stderr
    assert not (state / "cache").exists() and not (state / "logs").exists()
    assert not (tmp_path / "notebooks" / ".a.py.abc.marimo-tui.tmp").exists()
    assert not part.exists() and whole.read_text() == "a version"
    whole.unlink()
    assert (state / "journal").is_dir() and (tmp_path / "notebooks" / "a.py").is_file()
    assert cli("clean", "--yes", "--journal").returncode == 0
    assert not (state / "journal").exists()
    assert (tmp_path / "notebooks" / "a.py").is_file()
    assert cli("clean", "--yes").stdout.strip() == "nothing to clean"


@pytest.mark.parametrize(
    ("text", "code"),
    [("agent:\n  modle: x\n", 2), ("agent: [\n", 2), ("theme: 3\n", 2)],
)
def test_bad_config_exits_2_with_one_line(
    cli: Runner, tmp_path: Path, text: str, code: int
) -> None:
    (tmp_path / "marimo-tui.yaml").write_text(text)
    for args in (["templates"], ["clean", "--yes"], ["new", "x.py"], ["doctor"]):
        out = cli(*args)
        assert out.returncode == code, (args, out.stdout, out.stderr)
        assert_no_traceback(out)
        assert "marimo-tui.yaml:" in out.stdout + out.stderr


def _bad_notebooks(folder: Path) -> dict[str, str]:
    """File name -> what doctor must say about it."""
    minimal = (TEMPLATES / "minimal.py").read_text()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.py").write_text("")
    (folder / "binary.py").write_bytes(b"marimo.App(\x00\x01\x02" * 10)
    (folder / "latin1.py").write_bytes(minimal.replace("Untitled", "Caf\xe9").encode("latin-1"))
    (folder / "script.py").write_text("import os\n# marimo.App( mentioned in a comment\nprint(1)\n")
    (folder / "syntax.py").write_text("import marimo\napp = marimo.App(\n")
    (folder / "crlf.py").write_bytes(minimal.replace("\n", "\r\n").encode())
    (folder / "bom.py").write_bytes(b"\xef\xbb\xbf" + minimal.encode())
    # Big notebooks are mostly embedded data and text; 2300 cells, 5.3 MB.
    row = "2024-01-01,store-17,SKU-0042,3,19.99\n"
    big = minimal.replace(
        'if __name__ == "__main__":',
        "".join(
            f'@app.cell\ndef _():\n    csv{i} = """\n{row * 60}"""\n'
            f"    rows{i} = len(csv{i}.splitlines())\n    return\n\n\n"
            for i in range(2300)
        )
        + 'if __name__ == "__main__":',
    )
    (folder / "big.py").write_text(big)
    assert len(big) > 5_000_000
    return {
        "empty.py": "empty file",
        "binary.py": "binary file",
        "latin1.py": "not UTF-8",
        "script.py": "plain Python script",
        "syntax.py": "syntax error",
    }


def test_doctor_reports_bad_notebooks_one_line_each(cli: Runner, tmp_path: Path) -> None:
    cli("init", ".")
    expected = _bad_notebooks(tmp_path / "notebooks")
    out = cli("doctor")
    assert_no_traceback(out)
    assert out.returncode == 1  # unreadable notebooks are blocking
    lines = out.stdout.splitlines()
    # An empty file is not discovered as a notebook (nothing says it is one) …
    discovered = {k: v for k, v in expected.items() if k != "empty.py"}
    for name, words in discovered.items():
        hits = [line for line in lines if f"notebooks/{name}" in line]
        assert len(hits) == 1 and words in hits[0], (name, hits)
    for fine in ("crlf.py", "bom.py", "big.py", "empty.py"):
        assert not [line for line in lines if fine in line]
    assert "3 of 7 notebooks parse" in out.stdout
    # … but named explicitly, every bad file gets its one line.
    named = cli("doctor", "--json", *(f"notebooks/{n}" for n in expected), "notebooks/crlf.py")
    assert named.returncode == 1
    assert_no_traceback(named)
    checks = json.loads(named.stdout)["checks"]
    for name, words in expected.items():
        hits = [c for c in checks if f"notebooks/{name}" in c["detail"]]
        assert len(hits) == 1 and words in hits[0]["detail"] and hits[0]["blocking"], name
        assert "\n" not in hits[0]["detail"]
    assert next(c for c in checks if c["name"] == "notebooks")["detail"].startswith("1 of 6")
    assert {c["name"] for c in checks} >= {
        "python",
        "marimo",
        "config",
        "notebooks",
        "ollama",
        "dagster",
        "terminal",
    }
    missing = cli("doctor", "nope.py")
    assert missing.returncode == 1 and "nope.py: no such file" in missing.stdout


def test_doctor_on_a_clean_project_exits_0(cli: Runner, tmp_path: Path) -> None:
    cli("init", ".")
    cli("new", "notebooks/a.py", "-t", "parameterized")
    out = cli("doctor")
    assert out.returncode == 0, out.stdout
    assert "✓ notebooks" in out.stdout and "1 of 1 notebooks parse" in out.stdout
    assert "✗ ollama" in out.stdout and "fix: start it with `ollama serve`" in out.stdout
    assert "· dagster" in out.stdout


class _FakeServers(BaseHTTPRequestHandler):
    """Answers Ollama's /api/tags and Dagster's GraphQL `{ version }` on loopback."""

    def do_GET(self) -> None:
        body = json.dumps({"models": [{"name": "qwen2.5-coder:7b"}, {"name": "llama3.1:latest"}]})
        self._send(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        query = json.loads(self.rfile.read(length))["query"]
        token = self.headers.get("Dagster-Cloud-Api-Token")
        seen = "with-token" if token == "s3cret" else "no-token"
        self._send(json.dumps({"data": {"version": f"1.13-test {seen}", "q": query}}))

    def _send(self, body: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


def test_doctor_finds_ollama_model_and_dagster(cli: Runner, tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeServers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        env = cli_env(
            MARIMO_TUI_AGENT_HOST=url, MARIMO_TUI_DAGSTER_URL=url, DAGSTER_CLOUD_API_TOKEN="s3cret"
        )
        data = json.loads(cli("doctor", "--json", env=env).stdout)
        checks = {c["name"]: c for c in data["checks"]}
        assert checks["ollama"]["ok"] and checks["model"]["ok"]
        assert checks["dagster"]["ok"] and "1.13-test with-token" in checks["dagster"]["detail"]
        # The token is sent but never printed.
        assert "s3cret" not in json.dumps(data)
        env["MARIMO_TUI_AGENT_MODEL"] = "llama3.1"
        assert {
            c["name"]: c for c in json.loads(cli("doctor", "--json", env=env).stdout)["checks"]
        }["model"]["ok"]
        env["MARIMO_TUI_AGENT_MODEL"] = "mistral"
        text = cli("doctor", env=env).stdout
        assert "✗ model" in text and "ollama pull mistral" in text
    finally:
        server.shutdown()


def test_python_m_entry_point(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "marimo_tui", "--version"],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 0 and __version__ in out.stdout
    exe = Path(sys.executable).parent / "marimo-tui"
    if exe.exists():
        assert (
            subprocess.run(
                [exe, "--version"], capture_output=True, env=cli_env(), check=False
            ).returncode
            == 0
        )


def test_fast_launch_path_knows_every_command() -> None:
    from marimo_tui.cli import main
    from marimo_tui.launch import COMMANDS as FAST

    assert set(main.commands) == FAST


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (None, "open", ".")),
        (["notebooks/a.py"], (None, "open", "notebooks/a.py")),
        (["open", "x"], (None, "open", "x")),
        (["demo"], (None, "demo", "marimo-tui-demo")),
        (["demo", "d"], (None, "demo", "d")),
        (["--config", "c.yaml", "p"], ("c.yaml", "open", "p")),
        (["--config=c.yaml", "demo"], ("c.yaml", "demo", "marimo-tui-demo")),
        (["--help"], None),
        (["--version"], None),
        (["doctor"], None),
        (["new", "x.py"], None),
        (["a", "b"], None),
    ],
)
def test_workbench_arguments_are_told_from_commands(
    args: list[str], expected: tuple[str | None, str, str] | None
) -> None:
    from marimo_tui.launch import parse_workbench_args

    got = parse_workbench_args(args)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        config, command, path = got
        assert (str(config) if config else None, command, str(path)) == expected


def test_the_workbench_needs_a_terminal(cli: Runner, tmp_path: Path) -> None:
    out = cli(".", cwd=tmp_path)
    assert out.returncode == 2
    assert "needs a terminal" in out.stderr
    assert_no_traceback(out)
    missing = cli("no-such-dir")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
