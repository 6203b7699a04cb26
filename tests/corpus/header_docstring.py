# ruff: noqa
# fmt: off
"""A notebook with a module docstring and comments before `import marimo`.

The header is marimo's to keep; the quick read only skips it.
"""

# Author: somebody
# License: none

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell
def _(mo):
    mo.md(r"""
    # Title under a header
    """)
    return


if __name__ == "__main__":
    app.run()
