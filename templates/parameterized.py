# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
# ]
# ///
# /// marimo-tui
# description = "Reads its parameters from the command line with mo.cli_args()"
#
# [params]
# title = "Heading shown at the top of the notebook"
# rows = "How many rows of sample data to generate"
# scale = "Multiplier applied to every value"
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param KEY=VALUE` writes new ones here, and
    # `marimo run notebook.py -- --KEY VALUE` overrides them for one run.
    _defaults = {"title": "Parameterized notebook", "rows": 5, "scale": 1.0}
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def _(mo, params):
    mo.md(f"""
    # {params["title"]}
    """)
    return


@app.cell
def _(params):
    rows = int(params["rows"])
    scale = float(params["scale"])
    values = [round(i * scale, 3) for i in range(rows)]
    values
    return (values,)


@app.cell
def _(mo, values):
    mo.md(f"""
    {len(values)} values, total **{sum(values)}**.
    """)
    return


if __name__ == "__main__":
    app.run()
