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
# description = "Trains a scikit-learn classifier (scaling + one-hot pipeline) on a table, with cross-validation, test metrics against a baseline, confusion matrix, feature importance and the rows it gets wrong"
# data = ["customers.csv"]
#
# [params]
# data = "CSV file with one row per example (relative to the notebook, or absolute)"
# target = "Column to predict (every other column is a feature, except identifier columns)"
# test_size = "Share of rows held out for the test set (stratified), between 0 and 1"
# model = "logistic (logistic regression) or forest (random forest)"
# seed = "Random seed for the split, the cross-validation folds and the model"
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
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import (
        ConfusionMatrixDisplay,
        accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )
    from sklearn.model_selection import (
        StratifiedKFold,
        cross_validate,
        train_test_split,
    )
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return (
        ColumnTransformer,
        ConfusionMatrixDisplay,
        LogisticRegression,
        OneHotEncoder,
        Pipeline,
        RandomForestClassifier,
        StandardScaler,
        StratifiedKFold,
        accuracy_score,
        cross_validate,
        f1_score,
        permutation_importance,
        precision_score,
        recall_score,
        roc_auc_score,
        train_test_split,
    )


@app.cell
def _(mo):
    mo.md(r"""
    # Classification

    Predicts a column of a table with a scikit-learn pipeline: numeric columns are scaled,
    text columns one-hot encoded, then a logistic regression or a random forest. The model is
    cross-validated on the training rows, scored once on held-out test rows and compared with
    always predicting the most frequent class.
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param model=forest` writes new ones here, and
    # `marimo run notebook.py -- --model forest --seed 7` overrides them for one run.
    _defaults = {
        "data": "data/customers.csv",
        "target": "churned",
        "test_size": 0.25,
        "model": "logistic",
        "seed": 42,
    }
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def settings(params):
    model_kind = str(params["model"])
    if model_kind not in ("logistic", "forest"):
        raise ValueError(f"model must be logistic or forest, got {params['model']!r}")
    test_size = float(params["test_size"])
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    seed = int(params["seed"])
    target = str(params["target"])
    return model_kind, seed, target, test_size


@app.cell
def load(mo, params, pd, target):
    _path = mo.notebook_dir() / params["data"]
    if not _path.is_file():
        raise FileNotFoundError(f"data file not found: {_path}")
    table = pd.read_csv(_path)
    if target not in table.columns:
        raise ValueError(
            f"target {target!r} is not a column of {params['data']} "
            f"(columns: {', '.join(table.columns)})"
        )
    _missing = int(table[target].isna().sum())
    if _missing:
        raise ValueError(f"target {target!r} is empty in {_missing} rows: fill or drop them")
    table
    return (table,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Features

    Every column but the target is a feature, except identifier columns (text with a distinct
    value in every row), which would only let the model memorise rows.
    """)
    return


@app.cell
def features(mo, pd, table, target):
    _candidates = table.drop(columns=[target])
    id_columns = [
        _c
        for _c in _candidates.columns
        if not pd.api.types.is_numeric_dtype(_candidates[_c])
        and _candidates[_c].nunique() == len(_candidates)
    ]
    X = _candidates.drop(columns=id_columns)
    y = table[target]
    numeric = list(X.select_dtypes(include="number").columns)
    categorical = [_c for _c in X.columns if _c not in numeric]
    classes = sorted(y.unique())
    if len(classes) < 2:
        raise ValueError(
            f"target {target!r} has a single class ({classes[0]!r}): nothing to learn"
        )
    if y.value_counts().min() < 5:
        raise ValueError(
            f"target {target!r} has a class with fewer than 5 rows "
            f"({y.value_counts().to_dict()}): too few to stratify and cross-validate"
        )
    positive = classes[-1]
    _counts = ", ".join(f"{_k} ({_v})" for _k, _v in y.value_counts().sort_index().items())
    mo.md(f"""
    - **{len(X)} rows**, {len(numeric)} numeric features ({", ".join(numeric) or "none"}),
      {len(categorical)} categorical ({", ".join(categorical) or "none"})
    - left out as identifiers: {", ".join(id_columns) or "nothing"}
    - classes of `{target}` (rows): {_counts}
    """)
    return X, categorical, classes, numeric, positive, y


@app.cell
def split(X, seed, test_size, train_test_split, y):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed
    )
    return X_test, X_train, y_test, y_train


@app.cell
def pipeline(
    ColumnTransformer,
    LogisticRegression,
    OneHotEncoder,
    Pipeline,
    RandomForestClassifier,
    StandardScaler,
    categorical,
    mo,
    model_kind,
    numeric,
    seed,
):
    _prepare = ColumnTransformer(
        [
            ("scale", StandardScaler(), numeric),
            ("one_hot", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    _estimator = (
        LogisticRegression(max_iter=1000)
        if model_kind == "logistic"
        else RandomForestClassifier(
            n_estimators=100, min_samples_leaf=3, random_state=seed, n_jobs=1
        )
    )
    pipe = Pipeline([("prepare", _prepare), ("model", _estimator)])
    mo.plain_text(repr(pipe))
    return (pipe,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Cross-validation

    Five stratified folds of the training rows: the spread across folds says how much the
    test score below can be trusted.
    """)
    return


@app.cell
def cross_validation(
    StratifiedKFold,
    X_train,
    classes,
    cross_validate,
    pd,
    pipe,
    seed,
    y_train,
):
    _scoring = ["accuracy", "f1_macro"] + (
        ["roc_auc"] if len(classes) == 2 else ["roc_auc_ovr"]
    )
    _scores = cross_validate(
        pipe,
        X_train,
        y_train,
        cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=seed),
        scoring=_scoring,
    )
    cv_scores = pd.DataFrame(
        {
            _name: {
                "mean": _scores[f"test_{_name}"].mean(),
                "std": _scores[f"test_{_name}"].std(),
            }
            for _name in _scoring
        }
    ).T.round(3)
    cv_scores
    return (cv_scores,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Test set

    The pipeline is fitted on all training rows and scored once on the held-out rows.
    Precision, recall and F1 are for the positive class (the last class in sort order) when
    there are two classes, macro-averaged otherwise.
    """)
    return


@app.cell
def evaluate(
    X_test,
    X_train,
    accuracy_score,
    classes,
    f1_score,
    pd,
    pipe,
    positive,
    precision_score,
    recall_score,
    roc_auc_score,
    y_test,
    y_train,
):
    pipe.fit(X_train, y_train)
    y_pred = pipe.predict(X_test)
    y_proba = pipe.predict_proba(X_test)
    _binary = len(classes) == 2
    _average = (
        {"average": "binary", "pos_label": positive} if _binary else {"average": "macro"}
    )
    baseline_accuracy = float((y_test == y_train.value_counts().idxmax()).mean())
    test_metrics = pd.Series(
        {
            "accuracy": accuracy_score(y_test, y_pred),
            "precision": precision_score(y_test, y_pred, zero_division=0, **_average),
            "recall": recall_score(y_test, y_pred, zero_division=0, **_average),
            "F1": f1_score(y_test, y_pred, zero_division=0, **_average),
            "ROC AUC": roc_auc_score(y_test, y_proba[:, 1])
            if _binary
            else roc_auc_score(y_test, y_proba, multi_class="ovr"),
            "baseline accuracy (majority class)": baseline_accuracy,
        },
        name="test",
    ).round(3)
    print(test_metrics.to_string())
    test_metrics.to_frame()
    return baseline_accuracy, test_metrics, y_pred, y_proba


@app.cell
def _(ConfusionMatrixDisplay, classes, plt, y_pred, y_test):
    _fig, _ax = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(
        y_test, y_pred, labels=classes, ax=_ax, colorbar=False, cmap="Blues"
    )
    _ax.set_title("Confusion matrix (test rows)")
    _fig.tight_layout()
    _fig
    return


@app.cell
def _(mo, model_kind):
    _how = (
        "Logistic regression coefficients on the scaled / one-hot features: the change in "
        "log-odds of the positive class for one standard deviation more (or for being in "
        "that category). Positive pushes towards the positive class."
        if model_kind == "logistic"
        else "Permutation importance on the test rows: how much ROC AUC drops when a column "
        "is shuffled (mean of 10 shuffles; the bar's whisker is their spread)."
    )
    mo.md(f"""
    ## Feature importance

    {_how}
    """)
    return


@app.cell
def importance(
    X_test,
    classes,
    model_kind,
    np,
    pd,
    permutation_importance,
    pipe,
    plt,
    seed,
    y_test,
):
    if model_kind == "logistic":
        _names = pipe.named_steps["prepare"].get_feature_names_out()
        _coef = pipe.named_steps["model"].coef_
        importances = pd.DataFrame(
            {"coefficient": _coef[0] if len(classes) == 2 else np.abs(_coef).mean(axis=0)},
            index=pd.Index([_n.split("__", 1)[1] for _n in _names], name="feature"),
        )
        importances = importances.reindex(
            importances["coefficient"].abs().sort_values(ascending=False).index
        )
        _column, _error = "coefficient", None
        _title = "Coefficients (log-odds per standard deviation / category)"
    else:
        _result = permutation_importance(
            pipe,
            X_test,
            y_test,
            scoring="roc_auc" if len(classes) == 2 else "roc_auc_ovr",
            n_repeats=10,
            random_state=seed,
        )
        importances = pd.DataFrame(
            {"importance": _result.importances_mean, "std": _result.importances_std},
            index=pd.Index(X_test.columns, name="feature"),
        ).sort_values("importance", ascending=False)
        _column, _error = "importance", importances["std"]
        _title = "Permutation importance (drop in test ROC AUC)"
    importances = importances.round(4)
    _fig, _ax = plt.subplots(figsize=(7, 0.35 * len(importances) + 1))
    _ax.barh(
        importances.index[::-1],
        importances[_column][::-1],
        xerr=None if _error is None else _error[::-1],
    )
    _ax.axvline(0, color="0.3", lw=0.8)
    _ax.set_title(_title)
    _fig.tight_layout()
    _fig
    return (importances,)


@app.cell
def _(mo):
    mo.md(r"""
    ## Rows the model got wrong

    Test rows whose prediction differs from the truth, most confident mistakes first: the
    place to look for label errors, missing features or a segment the model does not cover.
    """)
    return


@app.cell
def mistakes(X_test, mo, np, table, y_pred, y_proba, y_test):
    _wrong = y_pred != y_test.to_numpy()
    wrong_rows = (
        table.loc[X_test.index[_wrong]]
        .assign(
            predicted=y_pred[_wrong],
            confidence=np.round(y_proba[_wrong].max(axis=1), 3),
        )
        .sort_values("confidence", ascending=False)
    )
    mo.ui.table(wrong_rows, page_size=10, selection=None)
    return (wrong_rows,)


@app.cell
def _(
    baseline_accuracy,
    cv_scores,
    importances,
    mo,
    model_kind,
    target,
    test_metrics,
    wrong_rows,
    y_test,
):
    _model_name = {"logistic": "LogisticRegression", "forest": "RandomForestClassifier"}[
        model_kind
    ]
    _lift = test_metrics["accuracy"] - baseline_accuracy
    _cv_mean, _cv_std = cv_scores.loc["accuracy", "mean"], cv_scores.loc["accuracy", "std"]
    _agreement = (
        "within the cross-validated range"
        if abs(test_metrics["accuracy"] - _cv_mean) <= 2 * _cv_std
        else f"outside the cross-validated range: with {len(y_test)} test rows, "
        "the cross-validated mean is the steadier estimate"
    )
    mo.md(f"""
    ## Summary

    - Model: **{_model_name}** predicting `{target}`.
    - Cross-validated accuracy {_cv_mean:.3f} ± {_cv_std:.3f} on the training rows.
    - Test accuracy **{test_metrics["accuracy"]:.3f}** against {baseline_accuracy:.3f} for the
      majority class ({_lift:+.3f}); ROC AUC {test_metrics["ROC AUC"]:.3f},
      F1 {test_metrics["F1"]:.3f}. The test accuracy is {_agreement}.
    - Most important features: {", ".join(f"`{_f}`" for _f in importances.index[:3])}.
    - {len(wrong_rows)} of {len(y_test)} test rows are misclassified.
    """)
    return


if __name__ == "__main__":
    app.run()
