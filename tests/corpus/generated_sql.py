# ruff: noqa
# fmt: off

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import duckdb

    return (mo,)


@app.cell
def _(mo):
    _df = mo.sql(
        f"""
        SELECT 1 AS one, 'é' AS letter
        """
    )
    return


@app.cell
def query(mo):
    result = mo.sql(
        f"""
        SELECT *
        FROM range(10)
        WHERE range > 3
        """,
        output=False,
    )
    return (result,)


@app.cell
def _(result):
    result
    return


if __name__ == "__main__":
    app.run()
