# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
# ]
# ///
# /// marimo-tui
# description = "An empty notebook: one empty cell"
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    return


if __name__ == "__main__":
    app.run()
