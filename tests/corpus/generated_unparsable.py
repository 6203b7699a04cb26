# ruff: noqa
# fmt: off

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return


app._unparsable_cell(
    r"""
    x = (
    """,
    name="broken"
)


app._unparsable_cell(
    r"""
    def (
      oops
    """,
    column=None, disabled=False, hide_code=True, expand_output=False, name="_"
)


@app.cell
def _():
    y = 2
    return


app._unparsable_cell(
    r"""
    a b c
    """,
    name="_"
)


if __name__ == "__main__":
    app.run()
