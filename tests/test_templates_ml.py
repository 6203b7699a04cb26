"""The analysis templates (time-series-forecast, classification, clustering) on their shipped data.

Each test runs the notebook headless, as a user gets it from `marimo-tui new`, and checks what it
computed against pandas / scikit-learn run directly on the same sample file.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TEMPLATES
from tests.template_support import Cells, errors, run_failing, run_headless, run_template, text

DATA = TEMPLATES / "data"


def error_messages(cells: Cells) -> list[str]:
    return [o["evalue"] for c in cells for o in c["outputs"] if o.get("type") == "error"]


def stdout(cells: Cells) -> str:
    return "".join(
        o.get("text", "") for c in cells for o in c.get("console", []) if o.get("name") == "stdout"
    )


def table_rows(cells: Cells, marker: str) -> int:
    """Row count of the table output (a marimo table) whose HTML contains `marker`."""
    for cell in cells:
        for output in cell["outputs"]:
            html = output.get("data", {}).get("text/html", "")
            if "<marimo-table" in html and marker in html:
                found = re.search(r"data-total-rows='(\d+)'", html)
                assert found, html[:300]
                return int(found.group(1))
    raise AssertionError(f"no table output contains {marker!r}")


def printed_table(cells: Cells) -> dict[str, list[float]]:
    """Rows of a numeric table printed with DataFrame.to_string(): label → numbers."""
    rows: dict[str, list[float]] = {}
    for line in stdout(cells).splitlines():
        found = re.match(r"^(.*?)\s+(-?[\d.]+(?:\s+-?[\d.]+|\s+nan)*)$", line.strip())
        if found:
            rows[found.group(1).strip()] = [float(v) for v in found.group(2).split()]
    return rows


def images(cells: Cells) -> int:
    return text(cells).count("data:image/png;base64,")


# time-series-forecast


def daily_amounts() -> pd.Series:
    sales = pd.read_csv(DATA / "sales.csv", parse_dates=["date"])
    return sales.set_index("date")["amount"].resample("D").sum()


def test_time_series_backtest_and_forecast_length(tmp_path: Path) -> None:
    cells = run_template("time-series-forecast", tmp_path, params={"horizon": "14"})
    assert errors(cells) == []
    metrics = printed_table(cells)
    assert set(metrics) >= {"Holt-Winters", "seasonal naive"}, stdout(cells)
    for name in ("Holt-Winters", "seasonal naive"):
        mae, mape, rmse, _bias = metrics[name]
        assert all(math.isfinite(v) for v in (mae, mape, rmse)), metrics
        assert 0 < mae <= rmse
    # The baseline, computed here: the last 14 days against the week before them, repeated.
    daily = daily_amounts()
    train, test = daily.iloc[:-14], daily.iloc[-14:]
    naive = np.tile(train.iloc[-7:].to_numpy(), 2)
    assert metrics["seasonal naive"][0] == pytest.approx(
        np.abs(test.to_numpy() - naive).mean(), abs=0.01
    )
    assert metrics["seasonal naive"][1] == pytest.approx(
        100 * (np.abs(test.to_numpy() - naive) / test.to_numpy()).mean(), abs=0.01
    )
    out = text(cells)
    assert table_rows(cells, "lower_95") == 14
    assert "14 days ahead" in out and "2024-07-01 to 2024-07-14" in out
    assert "182 days" in out and images(cells) == 3
    # The command line overrides the written default for one run.
    path = tmp_path / "time_series_forecast.py"
    cells = run_headless(path, "--horizon", "5")
    assert errors(cells) == []
    assert table_rows(cells, "lower_95") == 5
    assert "5 days ahead" in text(cells)


def test_time_series_weekly_periods(tmp_path: Path) -> None:
    cells = run_template(
        "time-series-forecast", tmp_path, "--freq", "W", "--horizon", "3", "--season", "4"
    )
    assert errors(cells) == []
    weekly = daily_amounts().resample("W").sum()
    out = text(cells)
    assert f"{len(weekly)} weeks" in out and f"mean {weekly.mean():,.2f}" in out
    assert table_rows(cells, "lower_95") == 3
    # Weeks end on Sunday: the first forecast week is the one after 2024-06-30.
    assert "2024-07-07 to 2024-07-21" in out
    assert all(math.isfinite(v) for row in printed_table(cells).values() for v in row[:3])


def test_time_series_too_short_for_the_horizon(tmp_path: Path) -> None:
    cells = run_failing("time-series-forecast", tmp_path, "--freq", "W", "--horizon", "20")
    messages = error_messages(cells)
    assert any(
        "26 weeks" in m and "needs at least 2 × season + horizon = 34" in m for m in messages
    ), messages


# classification


def majority_share(target: str = "churned") -> float:
    customers = pd.read_csv(DATA / "customers.csv")
    return float(customers[target].value_counts(normalize=True).max())


def test_classification_beats_the_majority_baseline(tmp_path: Path) -> None:
    cells = run_template("classification", tmp_path)
    assert errors(cells) == []
    metrics = {k: v[0] for k, v in printed_table(cells).items()}
    baseline = majority_share()
    assert metrics["accuracy"] > baseline + 0.05, (metrics, baseline)
    assert 0.5 < metrics["ROC AUC"] <= 1
    assert all(0 < metrics[k] <= 1 for k in ("precision", "recall", "F1"))
    out = text(cells)
    assert "LogisticRegression" in out and "customer_id" in out
    # 25% of 300 rows are test rows; the table of mistakes has every misclassified one.
    wrong = round((1 - metrics["accuracy"]) * 75)
    assert table_rows(cells, "predicted") == wrong
    assert f"{wrong} of 75 test rows" in out
    assert images(cells) == 2  # confusion matrix, feature importance


def test_classification_random_forest(tmp_path: Path) -> None:
    cells = run_template(
        "classification", tmp_path, "--test_size", "0.2", params={"model": "forest"}
    )
    assert errors(cells) == []
    metrics = {k: v[0] for k, v in printed_table(cells).items()}
    assert metrics["accuracy"] > majority_share(), metrics
    out = text(cells)
    assert "RandomForestClassifier" in out and "Permutation importance" in out
    assert "of 60 test rows" in out


def test_classification_unknown_target(tmp_path: Path) -> None:
    cells = run_failing("classification", tmp_path, "--target", "nope")
    messages = error_messages(cells)
    assert any("target 'nope' is not a column" in m and "churned" in m for m in messages), messages


# clustering

FEATURES = ["tenure_months", "monthly_spend", "support_calls", "last_login_days"]


def kmeans_labels(k: int) -> tuple[np.ndarray, float]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    customers = pd.read_csv(DATA / "customers.csv")
    scaled = StandardScaler().fit_transform(customers[FEATURES])
    labels = KMeans(n_clusters=k, n_init=10, random_state=42).fit_predict(scaled)
    return labels, float(silhouette_score(scaled, labels))


def test_clustering_with_three_clusters(tmp_path: Path) -> None:
    cells = run_template("clustering", tmp_path, params={"k": "3"})
    assert errors(cells) == []
    out = pd.read_csv(tmp_path / "data" / "customers_clustered.csv")
    sizes = out["cluster"].value_counts()
    assert sorted(sizes.index) == [0, 1, 2] and sizes.sum() == 300
    # Same partition as KMeans run here; clusters are numbered by size, largest first.
    labels, silhouette = kmeans_labels(3)
    assert list(sizes.sort_index()) == sorted(np.bincount(labels), reverse=True)
    assert pd.crosstab(out["cluster"], labels).gt(0).sum(axis=1).eq(1).all()
    assert out.drop(columns="cluster").equals(pd.read_csv(DATA / "customers.csv"))
    assert f"silhouette {silhouette:.3f}" in text(cells)
    assert images(cells) == 3


def test_clustering_picks_the_best_silhouette(tmp_path: Path) -> None:
    cells = run_template("clustering", tmp_path, "--output", "out/segments.csv")
    assert errors(cells) == []
    scores = {k: kmeans_labels(k)[1] for k in range(2, 9)}
    best = max(scores, key=scores.__getitem__)
    out = pd.read_csv(tmp_path / "out" / "segments.csv")
    assert out["cluster"].nunique() == best and len(out) == 300
    assert f"k = {best}</strong>, the best silhouette" in text(cells)
    assert not (tmp_path / "data" / "customers_clustered.csv").exists()


def test_clustering_unknown_feature(tmp_path: Path) -> None:
    cells = run_failing("clustering", tmp_path, "--features", "tenure_months,spend")
    messages = error_messages(cells)
    assert any("unknown feature 'spend'" in m and "monthly_spend" in m for m in messages), messages
