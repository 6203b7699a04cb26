import marimo

__generated_with = "0.10.0"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _():
    data = [1, 2, 3]    
    # the line above ends in four spaces; this one ends in a tab	

    doubled = [x * 2 for x in data]
    return data, doubled


@app.cell
def _(mo):
    mo.md(
        """
        Markdown whose lines end in spaces.  
        Two spaces are a hard break;   
        three spaces are one too, and a tab:	
        """
    )
    return


@app.cell
def _(data):
    text = """indented block inside a string:
        four spaces
	a tab at the start
    """
    len(data), text
    return




@app.cell
def _(doubled):
    doubled
    return


if __name__ == "__main__":
    app.run()
