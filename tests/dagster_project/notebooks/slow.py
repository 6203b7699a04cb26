import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo

    mo.md("# A slow notebook")
    return (mo,)


@app.cell
def wait(mo):
    import time

    seconds = float(mo.cli_args().get("seconds", 60))
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        time.sleep(0.1)
    mo.md(f"waited {seconds:g} s")
    return


if __name__ == "__main__":
    app.run()
