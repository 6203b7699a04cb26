import dagster as dg


@dg.asset(group_name="warehouse")
def customers() -> list[str]:
    return ["ada", "grace"]


@dg.asset(group_name="warehouse", deps=[customers])
def invoices() -> int:
    return 2


# One process a run: the default executor starts another per step (~7 s a run here, not ~2.5),
# and the tests launch many runs. Nothing of marimo-tui's depends on the executor.
defs = dg.Definitions(assets=[customers, invoices], executor=dg.in_process_executor)
