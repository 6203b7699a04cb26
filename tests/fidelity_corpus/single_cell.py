import marimo

__generated_with = "0.4.4"
app = marimo.App()


@app.cell
def __():
    import marimo as mo
    mo.md("Just one cell, written by marimo 0.4.")
    return mo,


if __name__ == "__main__":
    app.run()
