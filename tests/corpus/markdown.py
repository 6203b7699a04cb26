# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Markdown cells

    - a list item with `code`
    - **bold** and _italic_

    ```python
    def not_really_code():
        pass
    ```
    """)
    return


@app.cell
def _(mo):
    mo.md("""One line of markdown""")
    return


@app.cell
def _(mo):
    count = 3
    mo.md(f"""
    There are **{count}** things,
    and a $\\LaTeX$ formula: $x^2$.
    """)
    return


@app.cell
def _(mo):
    mo.md(
        r"""
    Markdown inside a call on its own line.
    """
    )
    return


if __name__ == "__main__":
    app.run()
