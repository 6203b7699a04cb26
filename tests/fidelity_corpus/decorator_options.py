import marimo

__generated_with = "0.12.10"
app = marimo.App(width="columns")


@app.cell(column=0, hide_code=True)
def _():
    import marimo as mo
    return (mo,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""# A dashboard in two columns""")
    return


@app.cell(disabled=True)
def _():
    expensive = sum(i * i for i in range(10**7))
    return (expensive,)


@app.cell(hide_code=False)
def _(mo):
    threshold = mo.ui.number(0, 100, value=50, label="threshold")
    threshold
    return (threshold,)


@app.cell()
def _(threshold):
    passed = threshold.value > 10
    return (passed,)


@app.cell(column=1)
def _(mo, passed):
    mo.callout("passed" if passed else "failed", kind="success" if passed else "warn")
    return


@app.cell(hide_code=True)  # hidden: the reader only needs the chart
def _(mo):
    mo.md("""The chart goes here.""")
    return


@app.cell(
    hide_code=True,
    disabled=False,
)
def _():
    notes = ["keep", "these", "options", "on", "separate", "lines"]
    return (notes,)


if __name__ == "__main__":
    app.run()
