import marimo

__generated_with = "0.9.30"
app = marimo.App()


@app.cell
def __():
    import asyncio
    import marimo as mo
    return asyncio, mo


@app.cell
async def __(asyncio):
    await asyncio.sleep(0.01)
    done = True
    return done,


@app.cell
async def __(asyncio, done):
    async def fetch(i):
        await asyncio.sleep(0)
        return i * 2

    results = await asyncio.gather(*(fetch(i) for i in range(3))) if done else []
    results
    return fetch, results


@app.cell
def __(mo, results):
    mo.md(f"Fetched {len(results)} results asynchronously.")
    return


if __name__ == "__main__":
    app.run()
