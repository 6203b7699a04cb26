"""Where the fidelity corpus comes from: our own notebooks, marimo's tutorials, a generator.

- `tests/fidelity_corpus/*.py`: hand-written notebooks in the ways people and older marimo
  versions write them (see that folder's README.md, one line a file).
- marimo's own tutorials (`marimo/_tutorials/*.py` of the installed package), read in place.
- `generated_notebook(n)`: a long notebook (200 cells by default) in a mix of old layouts,
  generated here rather than checked in.
- extra folders (e.g. local clones of public notebooks) for `bench/fidelity.py --corpus`.
"""

from __future__ import annotations

from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "fidelity_corpus"
GENERATED_NAME = "generated_200.py"


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.py"))


def tutorial_files() -> list[Path]:
    import marimo

    folder = Path(marimo.__file__).parent / "_tutorials"
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def looks_like_notebook(data: bytes) -> bool:
    """A marimo notebook: an `App(` call and at least one `app.` cell or a run guard."""
    return b"App(" in data and (b"@app." in data or b"app._unparsable_cell" in data)


def notebooks_under(folder: Path) -> list[Path]:
    """Every marimo notebook below `folder` (hidden and virtualenv folders skipped)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p in ("node_modules", "site-packages") for p in parts):
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if looks_like_notebook(data):
            found.append(path)
    return found


# -- the long generated notebook ---------------------------------------------------------------
def _cell(i: int) -> str:
    """Cell `i` in one of several layouts that older marimo versions (or people) wrote."""
    kind = i % 8
    if kind == 0:
        return (
            "@app.cell(hide_code=True)\n"
            "def __(mo):\n"
            "    mo.md(\n"
            '        r"""\n'
            f"        ## Step {i}\n"
            "\n"
            f'        Prose for step {i}, with `""` quotes and a hard break  \n'
            "        on the next line.\n"
            '        """\n'
            "    )\n"
            "    return\n"
        )
    if kind == 1:
        return (
            "@app.cell\n"
            "def __():\n"
            f"    data_{i} = [k * {i} for k in range(10)]\n"
            f"    total_{i} = sum(data_{i})\n"
            f"    return data_{i}, total_{i},\n"
        )
    if kind == 2:
        return (
            "@app.cell\n"
            f"def __(data_{i - 1}):\n"
            f"    def scale_{i}(xs):\n"
            f"        return [x / {i} for x in xs]\n"
            "\n"
            "\n"
            f"    scaled_{i} = scale_{i}(data_{i - 1})\n"
            f"    return scale_{i}, scaled_{i}\n"
        )
    if kind == 3:
        return (
            "@app.cell\n"
            f"def __(mo, total_{i - 2}):\n"
            f'    mo.md(f"Total so far: **{{total_{i - 2}}}**")\n'
            "    return\n"
        )
    if kind == 4:
        return (
            "@app.cell\n"
            "def __(mo):\n"
            f'    mo.md("""Tabs\\tand a continued \\\n    line in cell {i}.""")\n'
            "    return\n"
        )
    if kind == 5:
        return (
            "@app.cell\n"
            f"def __(scaled_{i - 3}):\n"
            f"    # summary of step {i - 3}\n"
            f"    summary_{i} = {{'n': len(scaled_{i - 3}), 'max': max(scaled_{i - 3})}}\n"
            f"    summary_{i}\n"
            f"    return summary_{i},\n"
        )
    if kind == 6:
        return (
            "@app.cell\n"
            f"def step_{i}(summary_{i - 1}):\n"
            f"    keys_{i} = sorted(summary_{i - 1})\n"
            f"    return (keys_{i},)\n"
        )
    return "@app.cell\ndef __():\n    return\n"


def generated_notebook(n: int = 200) -> str:
    """A long notebook in marimo 0.8 style, first cell `import marimo as mo`."""
    head = 'import marimo\n\n__generated_with = "0.8.0"\napp = marimo.App(width="full")\n\n\n'
    first = "@app.cell\ndef __():\n    import marimo as mo\n    return mo,\n"
    cells = [first] + [_cell(i) for i in range(1, n)]
    guard = '\n\nif __name__ == "__main__":\n    app.run()\n'
    return head + "\n\n".join(cells) + guard
