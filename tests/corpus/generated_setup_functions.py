# ruff: noqa
# fmt: off

import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup:
    import math
    import functools


@app.function
def area(r):
    return math.pi * r**2


@app.function
@functools.cache
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@app.class_definition
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


@app.cell
def _():
    p = Point(1, 2)
    area(p.x)
    return


@app.function
async def fetch():
    return 1


if __name__ == "__main__":
    app.run()
