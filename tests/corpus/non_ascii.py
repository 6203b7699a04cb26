# ruff: noqa
# fmt: off
# Ünïcödé in the header: ✓

import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup:
    import math
    π = math.pi  # π is 3.14…


@app.function
def café(n):
    return "☕" * n  # du café


@app.class_definition
class Größe:
    wert = "größer"  # ß


@app.cell
def 变量():
    名前 = "日本語のテキスト"
    emoji = "🐍🎉"  # non-BMP
    combining = "e\u0301"
    return (名前,)


@app.cell
def _(名前):
    print(名前, "→", "ü")
    return


@app.cell
def _():
    text = """
Ünïcödé flush left
    𝒳 indented
    """
    return


if __name__ == "__main__":
    app.run()
