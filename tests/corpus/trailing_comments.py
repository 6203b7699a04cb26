# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup:
    # before the first import
    import math  # why math
    # after the last statement of setup


@app.cell
def _():
    # a comment before the first statement

    x = 1  # trailing on a statement

    # a comment before the return
    return (x,)
    # a comment after the return


@app.cell
def _(x):
    y = x + 1
        # deeper than the code
    return


@app.function
def double(v):
    # comment in a function
    return v * 2
    # trailing comment of a function

# a top-level comment between cells


@app.class_definition
class Box:
    value = 1  # é in a trailing comment
    # trailing comment of a class


@app.cell
def _():
    print("no return")  # kept?
    # trailing one
    # trailing two


@app.cell
def _():
    z = 3

    # after a blank line


if __name__ == "__main__":
    app.run()
