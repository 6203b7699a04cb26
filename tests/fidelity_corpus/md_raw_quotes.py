import marimo

__generated_with = "0.9.14"
app = marimo.App(width="medium")


@app.cell
def __():
    import marimo as mo
    return mo,


@app.cell(hide_code=True)
def __(mo):
    mo.md(
        r"""
        # Strings in Python

        An empty string `""` is falsy, and so is `''`.  
        Write a docstring with three quotes: `\"""like this\"""`.  
        The next line has a hard break at its end (two spaces).  
        And this one does not.

        | literal | truthy? |
        |---------|---------|
        | `""`    | no      |
        | `"a"`   | yes     |
        """
    )
    return


@app.cell
def __():
    empty = ""
    quote = '"'
    doubled = '""'
    return doubled, empty, quote


@app.cell
def __(doubled, empty, mo, quote):
    mo.md(
        rf"""
        The values are {empty!r}, {quote!r} and {doubled!r}.  
        Raw f-strings keep `\n` as two characters: "\n".
        """
    )
    return


@app.cell
def __(mo):
    mo.md(r"""A one-line note about `""` with a trailing quote: \"""")
    return


@app.cell
def __(mo):
    mo.md(
        r"""
        ## Regular expressions

        The pattern `r"\d+\s*"` matches digits then spaces;  
        `r'""'` matches two double quotes.
        """
    )
    return


if __name__ == "__main__":
    app.run()
