# ruff: noqa
# fmt: off
import marimo

app = marimo.App()


@app.cell
def _():
    import os


@app.cell
def _():
    x = 1
    y = 2  # trailing on the last line
    # and a comment after it


@app.cell
def _():
    for i in range(2):
        print(i)


@app.cell
def _():
    message = """
the end
"""
