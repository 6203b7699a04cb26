import marimo

__generated_with = "0.19.2"
app = marimo.App(width="medium")


if __name__ == "__main__":
    app.run()
