import marimo

__generated_with = "0.12.0"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _(mo):
    card_css = """
    .card {
        border: 1px solid #ddd;
        padding: 1em;
    }
    """
    mo.Html(
        f"""
        <style>{card_css}</style>
        <div class="card">
          <h3>Card title</h3>
          <p>Body text with an &ldquo;entity&rdquo; and a <code>{{brace}}</code>.</p>
        </div>
        """
    )
    return (card_css,)


@app.cell
def _(mo):
    mo.md(
        """
        <details>
        <summary>Click to expand</summary>

        Hidden markdown with **bold** text.  
        And a hard break.
        </details>
        """
    ).style({"max-width": "40em"})
    return


@app.cell
def _(mo):
    mo.hstack(
        [
            mo.md("**left**"),
            mo.md("_right_"),
        ],
        justify="space-between",
    )
    return


if __name__ == "__main__":
    app.run()
