import marimo

__generated_with = "0.1.0"
app = marimo.App()


@app.cell
def __():
    import marimo as mo
    return mo,


@app.cell
def __(mo):
    mo.md("# Fibonacci, the old way")
    return


@app.cell
def __():
    def fib(n):
        a, b = 0, 1
        for _ in range(n):
            a, b = b, a + b
        return a
    return fib,


@app.cell
def __(mo):
    n = mo.ui.slider(1, 30, value=10)
    n
    return n,


@app.cell
def __(fib, mo, n):
    mo.md(f"fib({n.value}) = {fib(n.value)}")
    return


@app.cell
def __():
    return


if __name__ == "__main__":
    app.run()
