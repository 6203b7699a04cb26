import marimo

__generated_with = "0.6.0"
app = marimo.App()


@app.cell
def imports():
    import marimo as mo
    import numpy as np
    import pandas as pd
    return mo, np, pd


@app.cell
def load(pd, np):  # parameters in the order I wrote them, not sorted
    frame = pd.DataFrame({"x": np.arange(10), "y": np.arange(10) ** 2})


    # two blank lines above, on purpose
    frame.head()
    return frame,


@app.cell
def summarise(
    frame,
    np,
):
    mean_y = frame["y"].mean()
    spread = np.std(frame["y"])
    return (mean_y, spread)


@app.cell
def _(mean_y, spread):
    ratio = spread / mean_y
    label = f"{ratio:.3f}"
    return label, ratio,


@app.cell
def _(label):
    print(label)


@app.cell
def _(mo, ratio):
    mo.stat(value=ratio, label="spread / mean")
    return ()


@app.cell
def _(frame):
    def outlier_rows(df, k=3):
        z = (df - df.mean()) / df.std()
        return df[(z.abs() > k).any(axis=1)]

    outliers = outlier_rows(frame)
    return outlier_rows, outliers


@app.cell
def _(outliers) -> None:
    outliers
    return


@app.cell
def _(mo, np, pd):
    _unused = (mo, np, pd)
    return  # nothing to export


@app.cell
def _():
    x = 1; y = 2
    return x, y


if __name__ == "__main__":
    app.run()
