# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()


app._unparsable_cell(
    r"""
    x = (
      1 +
    """,
    name="open_paren"
)


app._unparsable_cell(
    r"""
    def broken(
        return 1
    """,
    hide_code=True,
)


app._unparsable_cell(r"""this is not python""", name="")


app._unparsable_cell(
    r"""
    s = '''
    never closed
    """,
    name="open_string",
    disabled=False,
)


app._unparsable_cell(
    r"""
	x = (
	  1
    """,
    name="tabs"
)


@app.cell
def _():
    fine = True
    return


if __name__ == "__main__":
    app.run()
