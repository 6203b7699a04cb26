# Copyright 2025 A. Person.
# Licensed under the Apache License, Version 2.0.

import marimo

__generated_with = "0.16.5"
app = marimo.App(width="medium", sql_output="polars")

with app.setup(hide_code=True):
    # Setup cell: its names are visible to every cell and to @app.function.
    import json
    from pathlib import Path

    DATA = Path(__file__).parent / "data"


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.function
def read_config(name: str) -> dict:
    return json.loads((DATA / name).read_text())


@app.cell
def _(mo):
    mo.md(
        r"""
    ## Configuration

    Files live under `data/`; each is JSON with `"name"` and `"value"` keys.
    """
    )
    return


@app.cell
def _():
    configs = sorted(p.name for p in DATA.glob("*.json")) if DATA.exists() else []
    configs
    return


if __name__ == "__main__":
    app.run()
