import dagster as dg


@dg.asset(group_name="warehouse")
def customers() -> list[str]:
    return ["ada", "grace"]


@dg.asset(group_name="warehouse", deps=[customers])
def invoices() -> int:
    return 2


defs = dg.Definitions(assets=[customers, invoices])
