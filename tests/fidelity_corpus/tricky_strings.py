import marimo

__generated_with = "0.14.0"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _():
    template = '''
@app.cell
def _():
    return


app._unparsable_cell(r"""x""")


if __name__ == "__main__":
    app.run()
'''
    # @app.cell in a comment at the cell's indentation
    return (template,)


@app.cell
def _(mo, template):
    mo.md(
        f"""
        The template above has {template.count("@app.cell")} decorator(s).

        ```python
        @app.cell
        def _():
            return
        ```
        """
    )
    return


@app.cell
def _():
    guard = 'if __name__ == "__main__":'
    decorator = "@app.function"
    setup = "with app.setup:"
    guard, decorator, setup
    return


@app.cell
def _():
    # A dict literal with a string key that looks like code.
    snippets = {
        "cell": "@app.cell\ndef _():\n    return\n",
        "quote": '"""',
        "single": "'''",
    }
    snippets
    return


if __name__ == "__main__":
    app.run()
