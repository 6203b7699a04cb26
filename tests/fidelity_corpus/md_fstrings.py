import marimo

__generated_with = "0.11.31"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    import math
    return math, mo


@app.cell
def _(mo):
    radius = mo.ui.slider(1, 10, value=3, label="radius")
    radius
    return (radius,)


@app.cell
def _(math, mo, radius):
    area = math.pi * radius.value**2
    mo.md(
        f"""
        ## Area of a circle

        With radius **{radius.value}** the area is {area:.2f}.  
        Braces are doubled: {{not a field}}; a dict: {dict(r=radius.value)}.
        """
    )
    return (area,)


@app.cell
def _(area, mo):
    mo.md(f"The area rounds to `{round(area)}` and its name is {'area'!r}.")
    return


@app.cell
def _(mo, radius):
    mo.md(
        rf"""
        $$A = \pi r^2 = \pi \cdot {radius.value}^2$$

        LaTeX keeps its backslashes: $\alpha$, $\beta$, `\t` stays two characters.
        """
    )
    return


@app.cell
def _(mo, radius):
    _items = "\n".join(f"- step {i}" for i in range(radius.value))
    mo.md(f"""
    ### Steps

    {_items}
    """)
    return


@app.cell
def _(mo):
    mo.md("Plain text formatted later: {}".format(42))
    return


if __name__ == "__main__":
    app.run()
