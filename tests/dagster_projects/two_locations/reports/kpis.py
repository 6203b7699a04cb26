import dagster as dg


@dg.asset(key_prefix="reports", group_name="reports")
def kpis() -> dict[str, int]:
    return {"customers": 2}
