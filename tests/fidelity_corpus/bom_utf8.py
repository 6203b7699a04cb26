import marimo

__generated_with = "0.10.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _(mo):
    mo.md("""
    # Un carnet avec BOM

    Enregistré par un éditeur qui écrit une marque d'ordre d'octets.  
    Les guillemets « français » et les apostrophes ’ restent tels quels.
    """)
    return


@app.cell
def _():
    température = 21.5
    ville = "Zürich"
    f"{ville}: {température} °C"
    return température, ville


if __name__ == "__main__":
    app.run()
