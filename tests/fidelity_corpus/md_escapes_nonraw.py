import marimo

__generated_with = "0.8.22"
app = marimo.App()


@app.cell
def __():
    import marimo as mo
    return (mo,)


@app.cell
def __(mo):
    mo.md(
        """
        # Escapes in plain strings

        A tab escape:\tthen text after it.
        A backslash: \\ and a path C:\\Users\\ada.
        This sentence is long, so it is continued \
        on the next source line but renders as one line.
        Quotes: \"\"\" and \""" inside.
        """
    )
    return


@app.cell
def __(mo):
    mo.md("""Columns:\tname\tvalue\nrow:\tx\t1""")
    return


@app.cell
def __(mo):
    mo.md(
        """
        Unicode escapes: \u00e9 \N{GREEK SMALL LETTER ALPHA} \x41.  
        Hard break above; a trailing backslash-continuation next: \
        joined.
        """
    )
    return


@app.cell
def __():
    table = "a\tb\tc"
    path = "C:\\data\\file.csv"
    return path, table


if __name__ == "__main__":
    app.run()
