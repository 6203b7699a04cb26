"""Writes the tiny sample datasets the templates ship with (deterministic: same seed, same files).

    python templates/data/_make_samples.py

The data is made up, but shaped like the real thing: a trend and a weekly rhythm in the sales,
churn that depends on tenure, spend and support calls, and a few customer segments.
"""

from __future__ import annotations

import csv
import math
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGIONS = ("north", "south", "east", "west")
PRODUCTS = {"widget": 12.5, "gadget": 30.0, "gizmo": 7.25}


def sales(rng: random.Random) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    start = date(2024, 1, 1)
    order = 1000
    for day in range(182):
        when = start + timedelta(days=day)
        # Busier weekdays, quieter weekends, and a slow upward trend.
        orders = 1 + (when.weekday() < 5) + (rng.random() < 0.15 + day / 400)
        for _ in range(orders):
            order += 1
            product = rng.choice(tuple(PRODUCTS))
            units = max(1, round(rng.gauss(4 + day / 60, 1.5)))
            price = PRODUCTS[product]
            rows.append(
                {
                    "date": when.isoformat(),
                    "order_id": order,
                    "region": rng.choice(REGIONS),
                    "product": product,
                    "units": units,
                    "unit_price": price,
                    "amount": round(units * price, 2),
                }
            )
    return rows


def customers(rng: random.Random) -> list[dict[str, object]]:
    plans = {"basic": (20.0, 6.0), "pro": (55.0, 10.0), "enterprise": (140.0, 25.0)}
    rows: list[dict[str, object]] = []
    for n in range(300):
        plan = rng.choices(tuple(plans), weights=(5, 3, 1))[0]
        mean, spread = plans[plan]
        tenure = rng.randint(1, 60)
        spend = round(max(5.0, rng.gauss(mean, spread)), 2)
        calls = min(12, int(rng.expovariate(0.6)))
        last_login = int(rng.expovariate(1 / 12))
        # Churn: short tenure, many support calls and long absences raise it; spend lowers it.
        score = 0.4 - tenure / 18 + calls * 0.45 + last_login / 15 - spend / 120
        churned = int(rng.random() < 1 / (1 + math.exp(-score)))
        rows.append(
            {
                "customer_id": f"C{n + 1:04d}",
                "region": rng.choice(REGIONS),
                "plan": plan,
                "tenure_months": tenure,
                "monthly_spend": spend,
                "support_calls": calls,
                "last_login_days": last_login,
                "churned": churned,
            }
        )
    return rows


def write(name: str, rows: list[dict[str, object]]) -> None:
    with (HERE / name).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    write("sales.csv", sales(random.Random(7)))
    write("customers.csv", customers(random.Random(11)))
