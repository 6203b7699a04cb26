import marimo

__generated_with = "0.11.0"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _(mo):
    mo.md(
        r"""
        # Saved on Windows

        Every line of this file ends in CR LF.  
        A hard break above, and `""` quotes here.
        """
    )
    return


@app.cell
def _():
    rows = [("a", 1), ("b", 2)]
    lookup = dict(rows)
    return (lookup,)


@app.cell
def _(lookup):
    text = """multi-line
string literal inside code"""
    lookup, text
    return


if __name__ == "__main__":
    app.run()
