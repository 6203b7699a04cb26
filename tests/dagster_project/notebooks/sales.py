import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    mo.md("# Sales by region")
    return (mo,)


@app.cell
def load(mo):
    import pandas as pd

    rows = int(mo.cli_args().get("rows", 3))
    regions = ["north", "south", "east", "west"]
    sales = pd.DataFrame(
        {
            "region": [regions[i % len(regions)] for i in range(rows)],
            "amount": [10 * (i + 1) for i in range(rows)],
        }
    )
    sales  # noqa: B018 (the cell's output)
    return rows, sales


@app.cell
def total(mo, rows, sales):
    mo.md(f"**{rows} rows**, total amount {sales['amount'].sum()}")
    return


if __name__ == "__main__":
    app.run()
