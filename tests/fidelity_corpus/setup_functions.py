import marimo

__generated_with = "0.14.17"
app = marimo.App()

with app.setup:
    import functools
    import math

    import marimo as mo

    TAU = 2 * math.pi


@app.function
def circumference(radius: float) -> float:
    """Circumference of a circle; importable from this notebook."""
    return TAU * radius


@app.function
@functools.cache
def slow_square(n: int) -> int:
    # cached between calls
    return n * n


@app.class_definition
class Point:
    """A point in the plane."""

    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y

    def norm(self) -> float:
        return math.hypot(self.x, self.y)


@app.class_definition
@functools.total_ordering
class Version:
    def __init__(self, major: int, minor: int = 0) -> None:
        self.parts = (major, minor)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.parts == other.parts

    def __lt__(self, other: "Version") -> bool:
        return self.parts < other.parts


@app.cell
def _():
    p = Point(3, 4)
    p.norm(), circumference(1.0), slow_square(12)
    return


@app.cell(hide_code=True)
def _():
    mo.md(r"""`Version(1, 2) < Version(1, 10)` is """ + str(Version(1, 2) < Version(1, 10)))
    return


@app.function(hide_code=True)
def helper(values: list[float]) -> float:
    return sum(values) / len(values)


if __name__ == "__main__":
    app.run()
