# ruff: noqa
# fmt: off
import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    # Lines of the string sit left of the code: marimo leaves such a string alone.
    query = """
SELECT *
  FROM t
    """
    poem = '''first
  second
third'''
    return


@app.cell
def _():
    blank_lines_inside = """
    one

        
    two
	"""
    raw = r"""
    \d+ \w*
    """
    return


@app.cell
def _():
    concatenated = ("""a
b""" """c
    d""")
    mixed = "x" """
    y
""" 'z'
    continued = "one \
two"
    # Three spaces on the blank line: it is not inside a string, so it keeps them.
    pieces = ("""a"""
   
    """b""")
    return


@app.cell
def _(name):
    greeting = f"""
Hello {name},
    how are you?
"""
    data = b'''
raw bytes
'''
    both = rf"""
\n {name}
"""
    return


@app.cell
def _():
    def documented():
        """Docstring
    less indented than the def body
        """
        return 1

    nested = {"key": """
value
"""}
    return


@app.cell
def _(x):
    # From Python 3.12 these are many tokens, and marimo tracks nested ones its own way.
    report = f"""
outer {f'''
inner
  {x}
'''}
  tail
"""
    return


if __name__ == "__main__":
    app.run()
