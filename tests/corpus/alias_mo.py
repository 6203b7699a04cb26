# ruff: noqa
# fmt: off
import marimo as mo

__generated_with = "0.25.2"
app = mo.App(width="medium")


@app.cell
def _():
    value = 41
    return (value,)


@app.cell
def _(value):
    answer = value + 1
    answer
    return


if __name__ == "__main__":
    app.run()
