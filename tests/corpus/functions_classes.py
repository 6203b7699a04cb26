# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()

with app.setup:
    import functools
    from dataclasses import dataclass


@app.function
def one_liner(x): return x + 1


@app.function(hide_code=True)
@functools.lru_cache(
    maxsize=None,
)
def cached(n):
    """Cached."""
    return n


@app.function
# a comment between the decorator and the def
def commented(x):
    return x


@app.function
async def waits():
    return None


@app.class_definition
@dataclass
class Record:
    name: str
    size: int = 0


@app.class_definition
class Tiny: pass


@app.class_definition(hide_code=True)
class WithMethods:
    def method(self):
        return """
result
"""


if __name__ == "__main__":
    app.run()
