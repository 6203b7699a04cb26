import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    mo.md("# Weekly report")
    return (mo,)


@app.cell
def _(mo):
    weeks = int(mo.cli_args().get("weeks", 1))
    mo.md(f"**{weeks} week(s)**")
    return


if __name__ == "__main__":
    app.run()
