# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
# ]
# ///
# /// marimo-tui
# description = "Imports marimo and starts with a markdown title cell"
# ///

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
    # Untitled notebook

    Write markdown with `mo.md`, Python in the cells below.
    """)
    return


if __name__ == "__main__":
    app.run()
