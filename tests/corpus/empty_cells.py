# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    return


@app.cell
def _():
    # only a comment
    return


@app.cell
def _():

    return


@app.cell
def named_empty():
    # first
    # second

    return


@app.cell
def _():
    pass
    return


if __name__ == "__main__":
    app.run()
