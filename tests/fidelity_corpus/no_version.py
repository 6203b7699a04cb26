import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _(mo):
    mo.md(
        r"""
        # Written by hand

        This file never had a `__generated_with` line: someone typed it.  
        marimo reads it all the same.
        """
    )
    return


@app.cell
def _():
    words = "the quick brown fox".split()
    lengths = {w: len(w) for w in words}
    lengths
    return lengths, words


@app.cell
def _(lengths):
    longest = max(lengths, key=lengths.get)
    longest
    return (longest,)


if __name__ == "__main__":
    app.run()
