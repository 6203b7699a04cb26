"""Discovery finds notebooks as marimo's parser does: `import marimo as mo` … `app = mo.App()`
counts, checked against marimo's own parser; the quick preview and the reader read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from marimo_tui.config_schema import Config, NotebooksConfig
from marimo_tui.notebook.preview import quick_read
from marimo_tui.notebook.reader import read_notebook
from marimo_tui.project import creates_app, discover_notebooks, looks_like_notebook

TAIL = (
    "\n\n@app.cell\ndef _():\n    x = 1\n    return (x,)\n\n\n"
    'if __name__ == "__main__":\n    app.run()\n'
)

# Heads marimo's parser takes as a notebook (the app found after the marimo import).
ACCEPTED = {
    "plain": 'import marimo\n\n__generated_with = "0.25.2"\napp = marimo.App()',
    "alias mo": 'import marimo as mo\n\n__generated_with = "0.25.2"\napp = mo.App()',
    "alias with options": 'import marimo as mo\napp = mo.App(width="medium", app_title="x")',
    "other alias": "import marimo as marimo_lib\napp = marimo_lib.App()",
    "no spaces": "import marimo as mo\napp=mo.App()",
    "spaced attribute": "import marimo as mo\napp = mo . App (\n    width='full',\n)",
    "import list": "import marimo as mo, os\napp = mo.App()",
    "header first": '"""Sales report."""\n# a comment\nimport marimo as mo\napp = mo.App()',
    "statement between": "import marimo as mo\nimport os\napp = mo.App()",
}
# Heads it does not take (and that do not mention `marimo.App(` at all).
REFUSED = {
    "not the app name": "import marimo as mo\nnotebook = mo.App()",
    "two targets": "import marimo as mo\napp = other = mo.App()",
    "indented": "import marimo as mo\nif True:\n    app = mo.App()",
    "another module as mo": "import numpy as mo\napp = mo.App()",
    "submodule": "import marimo.ui as mo\napp = mo.App()",
    "app before import": "app = mo.App()\nimport marimo as mo",
    "no import": "app = mo.App()",
    "from import": "from marimo import App\napp = App()",
    "not a call": "import marimo as mo\napp = mo.App",
    "mentioned in a comment": "import marimo as mo\n# app = mo.App() later",
    "first import's alias": "import marimo\nimport marimo as mo\napp = mo.App()",
}


def marimo_accepts(text: str) -> bool:
    from marimo._ast import parse

    try:
        ir = parse.parse_notebook(text, "nb.py")
    except parse.MarimoFileError:
        return False
    return ir is not None and ir.valid and bool(ir.cells)


@pytest.mark.parametrize("name", ACCEPTED)
def test_forms_marimo_accepts_are_discovered(name: str) -> None:
    text = ACCEPTED[name] + TAIL
    assert marimo_accepts(text), "the case must be one marimo takes"
    assert creates_app(text.encode())


@pytest.mark.parametrize("name", REFUSED)
def test_forms_marimo_refuses_are_not(name: str) -> None:
    text = REFUSED[name] + TAIL
    assert not marimo_accepts(text), "the case must be one marimo refuses"
    assert not creates_app(text.encode())


def test_discovery_finds_aliased_notebooks(tmp_path: Path) -> None:
    folder = tmp_path / "notebooks"
    (folder / "sub").mkdir(parents=True)
    (folder / "mo.py").write_text(ACCEPTED["alias mo"] + TAIL)
    (folder / "sub" / "crlf_bom.py").write_bytes(
        b"\xef\xbb\xbf" + (ACCEPTED["other alias"] + TAIL).replace("\n", "\r\n").encode()
    )
    (folder / "script.py").write_text(REFUSED["another module as mo"] + TAIL)
    (folder / "plain.py").write_text(ACCEPTED["plain"] + TAIL)
    config = Config(notebooks=NotebooksConfig(folder="notebooks"), root=tmp_path)
    found = discover_notebooks(config)
    assert [p.relative_to(folder).as_posix() for p in found] == [
        "mo.py",
        "plain.py",
        "sub/crlf_bom.py",
    ]


def test_a_mention_of_marimo_app_still_counts(tmp_path: Path) -> None:
    """Lenient as before: a file that means to be a notebook is found, so doctor can say
    what is wrong with it (here: the app is not `mo.App`)."""
    path = tmp_path / "mixed.py"
    path.write_text("import marimo as mo\napp = marimo.App()\n")
    assert looks_like_notebook(path) and not marimo_accepts(path.read_text() + TAIL)


def test_preview_and_reader_read_an_aliased_notebook(tmp_path: Path) -> None:
    path = tmp_path / "mo.py"
    text = ACCEPTED["alias with options"] + TAIL
    path.write_text(text)
    preview = quick_read(text)
    assert preview is not None and [c.code for c in preview] == ["x = 1"]
    notebook = read_notebook(path)
    assert [c.code for c in notebook.cells] == ["x = 1"]
    assert notebook.app_options.get("width") == "medium"
