import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import pandas as pd

    from marimo_tui.dagster.notebook_io import asset_input, asset_output, partition_key

    mo.md("# Daily report")
    return asset_input, asset_output, partition_key, pd


@app.cell
def load(asset_input, partition_key, pd):
    day = partition_key(default="2024-01-01")
    # Alone (in the editor) the notebook makes up a day's orders.
    orders = asset_input("orders", default=lambda: pd.DataFrame({"day": [day], "amount": [1.0]}))
    print(f"report for {day}: {len(orders)} orders")
    return day, orders


@app.cell
def report(asset_output, day, orders, pd):
    summary = asset_output(
        pd.DataFrame({"day": [day], "orders": [len(orders)], "total": [orders["amount"].sum()]})
    )
    summary  # noqa: B018 (the cell's output)
    return


if __name__ == "__main__":
    app.run()
