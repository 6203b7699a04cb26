# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "matplotlib",
#     "numpy",
#     "pandas",
#     "scikit-learn",
# ]
# ///
# /// marimo-tui
# description = "Segments rows with KMeans on scaled numeric features: silhouette per k, cluster profiles, a PCA map, and the table written back with a cluster column"
# data = ["customers.csv"]
#
# [params]
# data = "CSV file with one row per entity to segment (relative to the notebook, or absolute)"
# features = "Comma-separated numeric columns to cluster on"
# k = "Number of clusters; 0 picks the k with the best silhouette among 2..8"
# seed = "Random seed for KMeans"
# output = "CSV written with the rows and their cluster (relative to the notebook, or absolute)"
# ///

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    return mo, np, pd, plt


@app.cell
def _():
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    return KMeans, PCA, StandardScaler, silhouette_score


@app.cell
def _(mo):
    mo.md(r"""
    # Clustering with KMeans

    Groups rows by a few numeric features: the features are standardised (so that no unit
    dominates), KMeans runs for k = 2..8 and the silhouette score says how well separated
    each split is. The chosen clustering is profiled, drawn on its two main axes (PCA) and
    written back to a CSV with a `cluster` column.
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param k=4` writes new ones here, and
    # `marimo run notebook.py -- --k 3 --features tenure_months,monthly_spend` overrides them.
    _defaults = {
        "data": "data/customers.csv",
        "features": "tenure_months,monthly_spend,support_calls,last_login_days",
        "k": 0,
        "seed": 42,
        "output": "data/customers_clustered.csv",
    }
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def settings(params):
    features = [_f.strip() for _f in str(params["features"]).split(",") if _f.strip()]
    if len(features) < 2:
        raise ValueError(f"features needs at least 2 columns, got {params['features']!r}")
    k = int(params["k"])
    if k == 1 or k < 0:
        raise ValueError(f"k must be 0 (choose by silhouette) or ≥ 2, got {k}")
    seed = int(params["seed"])
    candidate_ks = list(range(2, 9))
    return candidate_ks, features, k, seed


@app.cell
def load(features, mo, params, pd):
    _path = mo.notebook_dir() / params["data"]
    if not _path.is_file():
        raise FileNotFoundError(f"data file not found: {_path}")
    table = pd.read_csv(_path)
    _unknown = [_f for _f in features if _f not in table.columns]
    if _unknown:
        raise ValueError(
            f"unknown feature {', '.join(map(repr, _unknown))}: not a column of "
            f"{params['data']} (numeric columns: "
            f"{', '.join(table.select_dtypes(include='number').columns)})"
        )
    _text = [_f for _f in features if not pd.api.types.is_numeric_dtype(table[_f])]
    if _text:
        raise ValueError(
            f"feature {', '.join(map(repr, _text))} is not numeric: KMeans needs numbers "
            "(encode it first or leave it out)"
        )
    table[features].describe().T
    return (table,)


@app.cell
def prepare(StandardScaler, candidate_ks, features, k, mo, table):
    _complete = table[features].notna().all(axis=1)
    rows = table[_complete].reset_index(drop=True)
    if k > len(rows) - 1 or len(rows) < 3:
        raise ValueError(
            f"{len(rows)} complete rows cannot make {k or min(candidate_ks)} clusters"
        )
    scaled = StandardScaler().fit_transform(rows[features])
    _dropped = int((~_complete).sum())
    mo.md(
        f"**{len(rows)} rows** clustered on {len(features)} standardised features"
        + (f"; {_dropped} rows with a missing feature left out." if _dropped else ".")
    )
    return rows, scaled


@app.cell
def _(mo):
    mo.md(r"""
    ## How many clusters?

    The silhouette (−1 … 1) compares each row's distance to its own cluster with the distance
    to the nearest other one: higher is better separated. Inertia (within-cluster sum of
    squares) always falls with k; look for the elbow.
    """)
    return


@app.cell
def choose_k(
    KMeans,
    candidate_ks,
    k,
    mo,
    pd,
    plt,
    rows,
    scaled,
    seed,
    silhouette_score,
):
    _ks = [_k for _k in candidate_ks if _k < len(rows)]
    models = {
        _k: KMeans(n_clusters=_k, n_init=10, random_state=seed).fit(scaled) for _k in _ks
    }
    silhouettes = pd.DataFrame(
        {
            "silhouette": [silhouette_score(scaled, models[_k].labels_) for _k in _ks],
            "inertia": [models[_k].inertia_ for _k in _ks],
        },
        index=pd.Index(_ks, name="k"),
    ).round(4)
    best_k = int(silhouettes["silhouette"].idxmax())
    chosen_k = k or best_k
    _fig, _ax = plt.subplots(figsize=(7, 3.5))
    _ax.plot(silhouettes.index, silhouettes["silhouette"], "o-", label="silhouette")
    _ax.axvline(chosen_k, color="C3", ls="--", lw=1, label=f"chosen k = {chosen_k}")
    _ax.set_xlabel("k")
    _ax.set_ylabel("silhouette")
    _ax2 = _ax.twinx()
    _ax2.plot(silhouettes.index, silhouettes["inertia"], "s:", color="0.5", label="inertia")
    _ax2.set_ylabel("inertia")
    _ax.legend(
        _ax.get_legend_handles_labels()[0] + _ax2.get_legend_handles_labels()[0],
        _ax.get_legend_handles_labels()[1] + _ax2.get_legend_handles_labels()[1],
        loc="upper right",
    )
    _fig.tight_layout()
    mo.vstack([silhouettes, _fig])
    return best_k, chosen_k, models, silhouettes


@app.cell
def fit(KMeans, chosen_k, models, np, rows, scaled, seed, silhouette_score):
    if chosen_k in models:
        _model = models[chosen_k]
    else:
        _model = KMeans(n_clusters=chosen_k, n_init=10, random_state=seed).fit(scaled)
    chosen_silhouette = float(silhouette_score(scaled, _model.labels_))
    # Number clusters by size, largest first, so that the labels do not depend on KMeans' order.
    _order = np.argsort(-np.bincount(_model.labels_, minlength=chosen_k), kind="stable")
    _relabel = np.empty(chosen_k, dtype=int)
    _relabel[_order] = np.arange(chosen_k)
    labels = _relabel[_model.labels_]
    centers = _model.cluster_centers_[_order]
    clustered = rows.assign(cluster=labels)
    return centers, chosen_silhouette, clustered, labels


@app.cell
def _(mo):
    mo.md(r"""
    ## Cluster profiles

    Size and mean of each feature per cluster, in the original units; the other numeric
    columns (not used for clustering) are averaged too, which often names the segment.
    The heatmap colours each mean by its distance from the overall mean, in standard
    deviations.
    """)
    return


@app.cell
def profile(clustered, features, mo, np, plt):
    _others = [
        _c
        for _c in clustered.select_dtypes(include="number").columns
        if _c not in features and _c != "cluster"
    ]
    _grouped = clustered.groupby("cluster")
    profiles = (
        _grouped[features + _others]
        .mean()
        .round(2)
        .assign(size=_grouped.size(), share=(_grouped.size() / len(clustered)).round(3))
    )
    profiles = profiles[["size", "share", *features, *_others]]
    _z = (profiles[features] - clustered[features].mean()) / clustered[features].std()
    _fig, _ax = plt.subplots(figsize=(1.6 * len(features) + 2, 0.5 * len(profiles) + 1.5))
    _image = _ax.imshow(_z.to_numpy(), cmap="RdBu_r", vmin=-1.5, vmax=1.5, aspect="auto")
    _ax.set_xticks(range(len(features)), features, rotation=20, ha="right")
    _ax.set_yticks(range(len(profiles)), [f"cluster {_c}" for _c in profiles.index])
    for (_i, _j), _value in np.ndenumerate(profiles[features].to_numpy()):
        _ax.text(
            _j,
            _i,
            f"{_value:g}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if abs(_z.iloc[_i, _j]) > 1 else "black",
        )
    _fig.colorbar(_image, ax=_ax, label="std. dev. from the overall mean")
    _ax.set_title("Feature means per cluster")
    _fig.tight_layout()
    mo.vstack([profiles, _fig])
    return (profiles,)


@app.cell
def _(PCA, centers, chosen_k, labels, plt, scaled, seed):
    _pca = PCA(n_components=2, random_state=seed).fit(scaled)
    _points = _pca.transform(scaled)
    _centers = _pca.transform(centers)
    _fig, _ax = plt.subplots(figsize=(7, 5))
    for _c in range(chosen_k):
        _mask = labels == _c
        _ax.scatter(
            _points[_mask, 0], _points[_mask, 1], s=14, alpha=0.7, label=f"cluster {_c}"
        )
    _ax.scatter(
        _centers[:, 0], _centers[:, 1], marker="X", s=160, c="black", label="centres"
    )
    _ratio = _pca.explained_variance_ratio_
    _ax.set_xlabel(f"PC1 ({_ratio[0]:.0%} of variance)")
    _ax.set_ylabel(f"PC2 ({_ratio[1]:.0%} of variance)")
    _ax.set_title(f"KMeans, k = {chosen_k}, on the first two principal components")
    _ax.legend(fontsize=8)
    _fig.tight_layout()
    _fig
    return


@app.cell
def write(clustered, mo, params):
    output_path = mo.notebook_dir() / params["output"]
    output_path.parent.mkdir(parents=True, exist_ok=True)
    clustered.to_csv(output_path, index=False)
    mo.md(f"Wrote **{len(clustered)} rows** with a `cluster` column to `{output_path}`.")
    return (output_path,)


@app.cell
def _(
    best_k,
    chosen_k,
    chosen_silhouette,
    k,
    mo,
    output_path,
    profiles,
    silhouettes,
):
    _how = (
        "the best silhouette among k = "
        f"{silhouettes.index.min()}..{silhouettes.index.max()}"
        if not k
        else f"as asked (the best silhouette would be k = {best_k})"
    )
    _sizes = ", ".join(f"{_c}: {_n}" for _c, _n in profiles["size"].items())
    mo.md(f"""
    ## Summary

    - **k = {chosen_k}**, {_how}; silhouette {chosen_silhouette:.3f}
      (1: well separated, 0: overlapping clusters).
    - Cluster sizes: {_sizes}.
    - Labelled table: `{output_path.name}` in `{output_path.parent}`.
    """)
    return


if __name__ == "__main__":
    app.run()
