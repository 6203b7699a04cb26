import marimo

__generated_with = "0.10.6"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _(mo):
    mo.md("# Quarterly report")
    return


@app.cell
def _(mo):
    mo.md('''Single-quoted triple string, written by hand.''')
    return


@app.cell
def _(mo):
    mo.md("""
## Flush-left markdown

This text starts at column 0 even though the cell body is indented.
- item one
- item two
""")
    return


@app.cell
def _(mo):
    mo.md(
        (
            "Parenthesised and concatenated: "
            "the second half of the sentence."
        )
    )
    return


@app.cell
def _(mo):
    mo.md(
            """
            Over-indented by hand (twelve spaces).

              Two extra spaces keep a nested block.
            """
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## The current layout

    Written the way recent marimo versions write markdown.
    """)
    return


@app.cell
def _(mo):
    mo.md(r"""## Heading and text on one line.""").center()
    return


@app.cell
def _(mo):
    # A comment before the call.
    mo.md("""Markdown after a comment.""")  # and a trailing comment
    return


@app.cell
def _(mo):
    mo.md(
        """Text starts right after the quotes,
        and continues here."""
    )
    return


if __name__ == "__main__":
    app.run()
