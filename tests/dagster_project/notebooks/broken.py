import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    mo.md("# A notebook with a failing cell")
    return (mo,)


@app.cell
def load_rows(mo):
    rows = int(mo.cli_args().get("rows", 3))
    raise ValueError("bad rows")
    return (rows,)


@app.cell
def _(rows):
    rows * 2
    return


if __name__ == "__main__":
    app.run()
