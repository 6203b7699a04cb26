# ruff: noqa
# fmt: off

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # A generated notebook

    Some *markdown* text.
    """)
    return


@app.cell
def compute():
    x = 1
    y = x + 1
    y
    return (x,)


@app.cell
def _():
    # only a comment
    return


@app.cell
def _():
    return


@app.cell
def _():
    for i in range(3):
        print(i)  # loop

    z = [
        1,
        2,
    ]
    return


@app.cell
def _():
    import os
    import sys

    return


@app.cell
def uses_helper(x):
    def helper(a):
        return a + x

    result = helper(2)
    return (result,)


@app.cell(disabled=True)
def last(result):
    print(result)
    return


if __name__ == "__main__":
    app.run()
