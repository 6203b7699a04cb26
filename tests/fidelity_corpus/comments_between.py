"""A notebook with a module docstring and comments between its cells."""

import marimo

__generated_with = "0.7.5"
app = marimo.App()

# ---------------------------------------------------------------------------
# Section 1: data
# ---------------------------------------------------------------------------


@app.cell
def __():
    import marimo as mo
    return mo,  # exported for every other cell
    # a comment after return, inside the function


# A comment at column 0 between two cells.
@app.cell
def __():
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    return values,


@app.cell
def __(values):
    # The first line of this cell is a comment.
    total = sum(values)  # inline comment
    # The last line of this cell is a comment too.
    return total,

# one blank line above this comment, one below

@app.cell
def __(mo, total):
    mo.md(f"Total: **{total}**")
    return


# ---------------------------------------------------------------------------
# Section 2: checks
# ---------------------------------------------------------------------------


@app.cell
def __(total, values):
    assert total == sum(values), "sum changed"
    return



@app.cell
def __():
    # a cell that is only a comment
    return


# trailing notes before the guard:
# TODO: plot the values


if __name__ == "__main__":
    app.run()
