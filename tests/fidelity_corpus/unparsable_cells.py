import marimo

__generated_with = "0.9.1"
app = marimo.App()


@app.cell
def __():
    import marimo as mo
    return mo,


app._unparsable_cell(
    r"""
    def half_written(x:
        return x
    """,
    name="__"
)


@app.cell
def __(mo):
    mo.md(r"""The cell above does not parse; marimo keeps it as text.""")
    return


app._unparsable_cell(
    r"""
    message = \"\"\"a triple-quoted string
    that was never closed
    """,
    name="broken_string"
)


app._unparsable_cell(
    r"""
    print(\"unbalanced\"))
    """,
)


@app.cell
def __():
    fine = [1, 2, 3]
    return fine,


app._unparsable_cell(r"""1 +""", name="one_liner")


if __name__ == "__main__":
    app.run()
