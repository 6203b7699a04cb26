# ruff: noqa
# fmt: off

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    doc = """
    Not indented at all
        four
    """
    print(doc)
    return


@app.cell
def _():
    msg = (
        'implicit '
        'concatenation'
    )
    return


@app.cell
def _():
    long = 'a' \
        'b'
    return


@app.cell
def _():
    b = b'''
    bytes
    '''
    f = f"""
    {b!r}
    """
    return


@app.cell
def _():
    cont = "first\
    second"
    return


@app.cell
def _():
    both = ("""one
    two""" """three
    four""")
    return


if __name__ == "__main__":
    app.run()
