# ruff: noqa
# fmt: off
import marimo

app = marimo.App()


@app.cell
def first():
    a = 1
    return (a,)


@app.cell
def second(a):
    b = a * 2
    return (b,)
