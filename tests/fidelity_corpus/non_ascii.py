import marimo

__generated_with = "0.15.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    return (mo,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        r"""
    # Données météo — 気象データ 🌦️

    Ünïcödé everywhere: café, naïve, Ωmega, 𝒳, e\u0301 written as a raw escape,  
    and a combining accent: é (e + U+0301). Arabic: مرحبا. Hebrew: שלום.

    Emoji in a table:

    | jour | ☀️ | 🌧️ |
    |------|----|----|
    | lun. | 3  | 1  |
    """
    )
    return


@app.cell
def _():
    données = {"lundi": 12.5, "mardi": 9.0}
    π = 3.14159
    température_moyenne = sum(données.values()) / len(données)
    nbsp_inside = "a b"  # the space between a and b is U+00A0
    return données, température_moyenne, π


@app.cell
def _(données, mo, température_moyenne, π):
    mo.md(f"Moyenne : **{température_moyenne:.1f} °C** sur {len(données)} jours; π ≈ {π}")
    return


@app.cell
def _():
    # 中文注释：这一行是注释
    汉字 = "漢字"
    emoji = "🐍" * 3
    astral = "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    汉字, emoji, astral
    return


if __name__ == "__main__":
    app.run()
