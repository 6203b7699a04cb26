# ruff: noqa
# fmt: off
# /// script
# dependencies = ["marimo"]
# ///

# Copyright: nobody

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return


@app.cell
def données():
    données = {'clé': 'valeur', 'emoji': '🐍'}
    # commentaire: é à ü
    return


@app.cell
def _():
    text = """
    line one
      indented
    	line with tab
    """
    return


@app.cell
def _():
    under = '''
    flush left
    '''  # ends here
    return


if __name__ == "__main__":
    app.run()
