import marimo

__generated_with = "0.19.7"
app = marimo.App(
    width="full",
    app_title="Sales dashboard",
    layout_file="layouts/app_options.grid.json",
    css_file="custom.css",
    auto_download=["html"],
)


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""# Sales dashboard""")
    return


@app.cell
def _(mo):
    region = mo.ui.dropdown(["north", "south", "east", "west"], value="north")
    region
    return (region,)


@app.cell
def _(region):
    sales = {"north": 120, "south": 80, "east": 95, "west": 60}[region.value]
    sales
    return


if __name__ == "__main__":
    app.run()
