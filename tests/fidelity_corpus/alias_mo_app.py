import marimo as mo

__generated_with = "0.10.19"
app = mo.App(width="full", app_title="Aliased app")


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _(mo):
    mo.md("""# `import marimo as mo` at the top, `app = mo.App()`""")
    return


@app.cell
def _():
    import random

    random.seed(7)
    sample = [random.randint(0, 9) for _ in range(5)]
    sample
    return random, sample


@app.cell
def _(mo, sample):
    mo.ui.table([{"i": i, "v": v} for i, v in enumerate(sample)])
    return


if __name__ == "__main__":
    app.run()
