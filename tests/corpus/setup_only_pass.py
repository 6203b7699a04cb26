# ruff: noqa
# fmt: off
import marimo

app = marimo.App()

with app.setup:
    pass


@app.cell
def _():
    return
