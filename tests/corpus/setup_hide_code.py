# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup(hide_code=True):
    import numpy as np
    pass


@app.cell
def _():
    arr = np.arange(3)
    return


if __name__ == "__main__":
    app.run()
