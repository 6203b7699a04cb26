import marimo

__generated_with = "0.18.4"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    import duckdb
    return duckdb, mo


@app.cell
def _(mo):
    cars = mo.sql(
        f"""
        SELECT * FROM 'https://example.com/cars.csv'
        """
    )
    return (cars,)


@app.cell
def _(cars, mo):
    _df = mo.sql(
        f"""
        SELECT make, AVG(mpg) AS "avg mpg", COUNT(*) AS n
        FROM cars
        WHERE make <> ''
        GROUP BY make
        ORDER BY "avg mpg" DESC
        """
    )
    return


@app.cell
def _(duckdb, mo):
    engine = duckdb.connect(":memory:")
    recent = mo.sql(
        f"""
        SELECT 42 AS answer, 'it''s quoted' AS text
        """,
        engine=engine
    )
    return engine, recent


@app.cell
def _(mo):
    mo.md(r"""SQL cells keep their `f\"\"\"` strings; `''` escapes a quote in SQL.""")
    return


if __name__ == "__main__":
    app.run()
