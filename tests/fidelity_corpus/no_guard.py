import marimo

__generated_with = "0.2.13"
app = marimo.App()


@app.cell
def __():
    import marimo as mo
    return mo,


@app.cell
def __(mo):
    mo.md("This notebook has no `if __name__` guard at the end.")
    return


@app.cell
def __():
    squares = [k * k for k in range(5)]
    squares
    return squares,
