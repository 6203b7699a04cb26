# ruff: noqa
# fmt: off

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Medium")


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell
def _(mo):
    slider = mo.ui.slider(1, 10)
    slider
    return (slider,)


@app.cell
def _(mo, slider):
    mo.md(f"""
    Value: {slider.value}
    """)
    return


if __name__ == "__main__":
    app.run()
