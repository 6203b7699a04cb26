import marimo

__generated_with = "0.15.5"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell
def _():
    def clean(rows):
        """Drop blanks and normalise case."""
        out = []
        if rows[0] if len(rows) > 0 else None:
            out.append(str(rows[0]).strip().lower())  # step 0
        if rows[1] if len(rows) > 1 else None:
            out.append(str(rows[1]).strip().lower())  # step 1
        if rows[2] if len(rows) > 2 else None:
            out.append(str(rows[2]).strip().lower())  # step 2
        if rows[3] if len(rows) > 3 else None:
            out.append(str(rows[3]).strip().lower())  # step 3
        if rows[4] if len(rows) > 4 else None:
            out.append(str(rows[4]).strip().lower())  # step 4
        if rows[5] if len(rows) > 5 else None:
            out.append(str(rows[5]).strip().lower())  # step 5
        if rows[6] if len(rows) > 6 else None:
            out.append(str(rows[6]).strip().lower())  # step 6
        if rows[7] if len(rows) > 7 else None:
            out.append(str(rows[7]).strip().lower())  # step 7
        if rows[8] if len(rows) > 8 else None:
            out.append(str(rows[8]).strip().lower())  # step 8
        if rows[9] if len(rows) > 9 else None:
            out.append(str(rows[9]).strip().lower())  # step 9
        if rows[10] if len(rows) > 10 else None:
            out.append(str(rows[10]).strip().lower())  # step 10
        if rows[11] if len(rows) > 11 else None:
            out.append(str(rows[11]).strip().lower())  # step 11
        if rows[12] if len(rows) > 12 else None:
            out.append(str(rows[12]).strip().lower())  # step 12
        if rows[13] if len(rows) > 13 else None:
            out.append(str(rows[13]).strip().lower())  # step 13
        if rows[14] if len(rows) > 14 else None:
            out.append(str(rows[14]).strip().lower())  # step 14
        if rows[15] if len(rows) > 15 else None:
            out.append(str(rows[15]).strip().lower())  # step 15
        if rows[16] if len(rows) > 16 else None:
            out.append(str(rows[16]).strip().lower())  # step 16
        if rows[17] if len(rows) > 17 else None:
            out.append(str(rows[17]).strip().lower())  # step 17
        if rows[18] if len(rows) > 18 else None:
            out.append(str(rows[18]).strip().lower())  # step 18
        if rows[19] if len(rows) > 19 else None:
            out.append(str(rows[19]).strip().lower())  # step 19
        if rows[20] if len(rows) > 20 else None:
            out.append(str(rows[20]).strip().lower())  # step 20
        if rows[21] if len(rows) > 21 else None:
            out.append(str(rows[21]).strip().lower())  # step 21
        if rows[22] if len(rows) > 22 else None:
            out.append(str(rows[22]).strip().lower())  # step 22
        if rows[23] if len(rows) > 23 else None:
            out.append(str(rows[23]).strip().lower())  # step 23
        if rows[24] if len(rows) > 24 else None:
            out.append(str(rows[24]).strip().lower())  # step 24
        if rows[25] if len(rows) > 25 else None:
            out.append(str(rows[25]).strip().lower())  # step 25
        if rows[26] if len(rows) > 26 else None:
            out.append(str(rows[26]).strip().lower())  # step 26
        if rows[27] if len(rows) > 27 else None:
            out.append(str(rows[27]).strip().lower())  # step 27
        if rows[28] if len(rows) > 28 else None:
            out.append(str(rows[28]).strip().lower())  # step 28
        if rows[29] if len(rows) > 29 else None:
            out.append(str(rows[29]).strip().lower())  # step 29
        if rows[30] if len(rows) > 30 else None:
            out.append(str(rows[30]).strip().lower())  # step 30
        if rows[31] if len(rows) > 31 else None:
            out.append(str(rows[31]).strip().lower())  # step 31
        if rows[32] if len(rows) > 32 else None:
            out.append(str(rows[32]).strip().lower())  # step 32
        if rows[33] if len(rows) > 33 else None:
            out.append(str(rows[33]).strip().lower())  # step 33
        if rows[34] if len(rows) > 34 else None:
            out.append(str(rows[34]).strip().lower())  # step 34
        if rows[35] if len(rows) > 35 else None:
            out.append(str(rows[35]).strip().lower())  # step 35
        if rows[36] if len(rows) > 36 else None:
            out.append(str(rows[36]).strip().lower())  # step 36
        if rows[37] if len(rows) > 37 else None:
            out.append(str(rows[37]).strip().lower())  # step 37
        if rows[38] if len(rows) > 38 else None:
            out.append(str(rows[38]).strip().lower())  # step 38
        if rows[39] if len(rows) > 39 else None:
            out.append(str(rows[39]).strip().lower())  # step 39
        if rows[40] if len(rows) > 40 else None:
            out.append(str(rows[40]).strip().lower())  # step 40
        if rows[41] if len(rows) > 41 else None:
            out.append(str(rows[41]).strip().lower())  # step 41
        if rows[42] if len(rows) > 42 else None:
            out.append(str(rows[42]).strip().lower())  # step 42
        if rows[43] if len(rows) > 43 else None:
            out.append(str(rows[43]).strip().lower())  # step 43
        if rows[44] if len(rows) > 44 else None:
            out.append(str(rows[44]).strip().lower())  # step 44
        if rows[45] if len(rows) > 45 else None:
            out.append(str(rows[45]).strip().lower())  # step 45
        if rows[46] if len(rows) > 46 else None:
            out.append(str(rows[46]).strip().lower())  # step 46
        if rows[47] if len(rows) > 47 else None:
            out.append(str(rows[47]).strip().lower())  # step 47
        if rows[48] if len(rows) > 48 else None:
            out.append(str(rows[48]).strip().lower())  # step 48
        if rows[49] if len(rows) > 49 else None:
            out.append(str(rows[49]).strip().lower())  # step 49
        if rows[50] if len(rows) > 50 else None:
            out.append(str(rows[50]).strip().lower())  # step 50
        if rows[51] if len(rows) > 51 else None:
            out.append(str(rows[51]).strip().lower())  # step 51
        if rows[52] if len(rows) > 52 else None:
            out.append(str(rows[52]).strip().lower())  # step 52
        if rows[53] if len(rows) > 53 else None:
            out.append(str(rows[53]).strip().lower())  # step 53
        if rows[54] if len(rows) > 54 else None:
            out.append(str(rows[54]).strip().lower())  # step 54
        if rows[55] if len(rows) > 55 else None:
            out.append(str(rows[55]).strip().lower())  # step 55
        if rows[56] if len(rows) > 56 else None:
            out.append(str(rows[56]).strip().lower())  # step 56
        if rows[57] if len(rows) > 57 else None:
            out.append(str(rows[57]).strip().lower())  # step 57
        if rows[58] if len(rows) > 58 else None:
            out.append(str(rows[58]).strip().lower())  # step 58
        if rows[59] if len(rows) > 59 else None:
            out.append(str(rows[59]).strip().lower())  # step 59
        return out

    class Table:
        """A tiny table."""

        def __init__(self, rows):
            self.rows = clean(rows)

        def __len__(self):
            return len(self.rows)

    table = Table([" A ", "b", "", "C "] * 20)
    len(table)
    return Table, clean


@app.cell
def _(Table, mo):
    mo.md(f"`Table` has {Table.__doc__!r} as its docstring.")
    return


@app.cell
def _(clean):
    cleaned = clean(["  X", "y  "])
    cleaned
    return


if __name__ == "__main__":
    app.run()
