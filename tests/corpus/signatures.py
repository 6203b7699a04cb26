# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    a, b, c = 1, 2, 3
    return a, b, c


@app.cell
def _(
    a,
    b,
    c,
):
    total = a + b + c
    return (total,)


@app.cell
async def _():
    import asyncio

    await asyncio.sleep(0)
    return


@app.cell(hide_code=True)
async def fetch(a):  # a comment after the colon
    result = a
    return (result,)


@app.cell(
    hide_code=True,
    disabled=True,
)
def configured(b):
    doubled = b * 2
    return


@app.cell
def _(a: int, b: int = 2, *rest, key=[1, 2], **kw) -> dict[str, int]:
    annotated = a + b
    return


@app.cell
def _(a: int,
      b: int = 2):  # last
    spread = a + b
    return


@app.cell
def _(
    total,
):   # a comment with (parens): and colons
    print(total)
    return


@app.cell
def   spaced ( a , b ) :
    spaced_out = a
    return


if __name__ == "__main__":
    app.run()
