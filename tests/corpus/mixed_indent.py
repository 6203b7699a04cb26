# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
	x = 1
	if x:
		y = 2
	# a comment, tab-indented
	return (x,)


@app.cell
def _(x):
	s = """
flush left
		two tabs
"""
	z = [
		x,
	]
	return


@app.cell
def _():
  two_spaces = 2
  if two_spaces:
      six = 6
  return


@app.cell
def _():
        eight = 8
        return


if __name__ == "__main__":
    app.run()
