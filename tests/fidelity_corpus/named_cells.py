import marimo

__generated_with = "0.16.0"
app = marimo.App()


@app.cell
def imports():
    import marimo as mo
    import statistics
    return mo, statistics


@app.cell
def load_data():
    temperatures = [14.2, 15.1, 13.8, 16.4, 17.0, 15.5]
    return (temperatures,)


@app.cell
def summary(statistics, temperatures):
    mean = statistics.mean(temperatures)
    stdev = statistics.stdev(temperatures)
    return mean, stdev


@app.cell
def _(mean, mo, stdev):
    mo.md(f"Mean {mean:.2f}, standard deviation {stdev:.2f}.")
    return


@app.cell
def __(temperatures):
    warmest = max(temperatures)
    return (warmest,)


@app.cell(hide_code=True)
def report(mo, warmest):
    mo.md(f"The warmest day reached **{warmest} °C**.")
    return


if __name__ == "__main__":
    app.run()
