# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()


if __name__ == "__main__":
    app.run()
