import marimo

__generated_with = "0.17.0"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _():
    type Vec = list[float]
    type Matrix[T] = list[list[T]]
    return (Vec,)


@app.cell
def _():
    names = ["ada", "grace", "linus"]
    joined = f"{", ".join(names)}"
    quoted = f"{"nested " + f"{"deeper"}"}"
    return joined, names, quoted


@app.cell
def _(mo):
    mo.md(r"""Cells above need Python 3.12 or newer; on 3.11 marimo keeps them as text.""")
    return


@app.cell
def _(names):
    def first[T](xs: list[T]) -> T:
        return xs[0]

    first(names)
    return (first,)


@app.cell
def _(names):
    count = len(names)
    return (count,)


if __name__ == "__main__":
    app.run()
