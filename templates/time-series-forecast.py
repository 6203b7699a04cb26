# /// script
# requires-python = ">=3.11"
# dependencies = [
#     "marimo>=0.25",
#     "matplotlib",
#     "numpy",
#     "pandas",
# ]
# ///
# /// marimo-tui
# description = "Resamples a daily metric, shows its trend and weekly rhythm, backtests a Holt-Winters forecast against a seasonal-naive baseline and forecasts ahead"
# data = ["sales.csv"]
#
# [params]
# data = "CSV file with one row per event (relative to the notebook, or absolute)"
# date_column = "Column holding the date or timestamp"
# value_column = "Numeric column summed per period (e.g. the order amount)"
# freq = "Period: D (daily) or W (weekly, weeks ending Sunday; partial edge weeks are dropped)"
# horizon = "How many periods to backtest and to forecast ahead"
# season = "Season length in periods (7 for a weekly rhythm in daily data, 1 for none)"
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
def _(mo):
    mo.md(r"""
    # Time series: trend, weekly rhythm and forecast

    The notebook sums a metric per period, looks at its trend and weekly rhythm, fits an
    additive Holt-Winters model (level + trend + season, written with numpy), checks it on the
    last `horizon` periods against the seasonal-naive baseline ("same as one season ago") and
    then forecasts `horizon` periods ahead.
    """)
    return


@app.cell
def parameters(mo):
    # Defaults: `marimo-tui new --param horizon=14` writes new ones here, and
    # `marimo run notebook.py -- --freq W --horizon 4 --season 4` overrides them for one run.
    _defaults = {
        "data": "data/sales.csv",
        "date_column": "date",
        "value_column": "amount",
        "freq": "D",
        "horizon": 28,
        "season": 7,
    }
    params = {**_defaults, **mo.cli_args()}
    return (params,)


@app.cell
def settings(params):
    freq = str(params["freq"]).upper()
    if freq not in ("D", "W"):
        raise ValueError(f"freq must be D (daily) or W (weekly), got {params['freq']!r}")
    horizon = int(params["horizon"])
    if horizon < 1:
        raise ValueError(f"horizon must be ≥ 1, got {horizon}")
    season = int(params["season"])
    if season < 1:
        raise ValueError(f"season must be ≥ 1 (1: no seasonality), got {season}")
    period_name = {"D": "day", "W": "week"}[freq]
    return freq, horizon, period_name, season


@app.cell
def load(mo, params, pd):
    _path = mo.notebook_dir() / params["data"]
    if not _path.is_file():
        raise FileNotFoundError(f"data file not found: {_path}")
    raw = pd.read_csv(_path)
    for _name in ("date_column", "value_column"):
        if params[_name] not in raw.columns:
            raise ValueError(
                f"{_name} {params[_name]!r} is not a column of {params['data']} "
                f"(columns: {', '.join(raw.columns)})"
            )
    raw = raw.assign(
        **{
            params["date_column"]: pd.to_datetime(raw[params["date_column"]]),
            params["value_column"]: pd.to_numeric(raw[params["value_column"]]),
        }
    )
    raw.head()
    return (raw,)


@app.cell
def _(mo):
    mo.md(r"""
    ## One value per period

    Events are summed per day; a day without events counts as 0 (not as missing). For weekly
    periods the days are summed per week ending Sunday, and a first or last week the data
    covers only in part is dropped, so that it does not look like a dip.
    """)
    return


@app.cell
def resample(freq, horizon, params, period_name, raw, season):
    daily = (
        raw.set_index(params["date_column"])[params["value_column"]]
        .resample("D")
        .sum()
        .rename("value")
    )
    if freq == "W":
        _days = daily.resample("W").size()
        series = daily.resample("W").sum()[_days == 7]
    else:
        series = daily
    series.index.name = "period"
    _needed = 2 * season + horizon
    if len(series) < _needed:
        raise ValueError(
            f"the series has {len(series)} {period_name}s ({freq}); backtesting a horizon of "
            f"{horizon} with a season of {season} needs at least 2 × season + horizon = "
            f"{_needed}. Lower horizon or season, or use a finer freq."
        )
    series.to_frame().describe().T
    return daily, series


@app.cell
def _(mo):
    mo.md(r"""
    ## Trend and weekly rhythm

    The trend is a centred rolling mean over one season (which averages the rhythm away); the
    weekly rhythm is the mean per weekday of the daily values, whatever the period.
    """)
    return


@app.cell
def trend(daily, pd, period_name, plt, season, series):
    _trend = series.rolling(max(season, 2), center=True).mean()
    _weekday = daily.groupby(daily.index.day_of_week).mean()
    weekday_profile = pd.DataFrame(
        {
            "mean": _weekday.to_numpy(),
            "vs_average": _weekday.to_numpy() / daily.mean(),
        },
        index=pd.Index(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])[_weekday.index],
    )
    _fig, (_ax1, _ax2) = plt.subplots(
        1, 2, figsize=(11, 3.5), gridspec_kw={"width_ratios": [3, 1]}
    )
    _ax1.plot(series.index, series.to_numpy(), lw=0.8, color="0.6", label=f"per {period_name}")
    _ax1.plot(_trend.index, _trend.to_numpy(), lw=2, label=f"rolling mean ({season})")
    _ax1.set_title("Trend")
    _ax1.legend()
    _ax2.bar(weekday_profile.index, weekday_profile["mean"])
    _ax2.set_title("Mean per weekday")
    _fig.tight_layout()
    _fig
    return (weekday_profile,)


@app.cell
def model(np):
    _ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    _BETAS = (0.0, 0.02, 0.05, 0.1, 0.2)
    _GAMMAS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)


    def holt_winters(y, season, alpha, beta, gamma, horizon):
        """Additive Holt-Winters: one-step fitted values, forecast and the state's SSE."""
        m = season
        if m >= 2:
            level = sum(y[:m]) / m
            slope = (sum(y[m : 2 * m]) - sum(y[:m])) / m / m
            seasonal = [v - level for v in y[:m]]
        else:
            level, slope, seasonal, gamma = y[0], y[1] - y[0], [0.0], 0.0
        fitted, sse = [], 0.0
        for t, value in enumerate(y):
            s = seasonal[t]
            guess = level + slope + s
            fitted.append(guess)
            if t >= m:
                sse += (value - guess) ** 2
            new_level = alpha * (value - s) + (1 - alpha) * (level + slope)
            slope = beta * (new_level - level) + (1 - beta) * slope
            level = new_level
            seasonal.append(gamma * (value - level) + (1 - gamma) * s)
        n = len(y)
        forecast = [
            level + h * slope + seasonal[n + (h - 1) % m] for h in range(1, horizon + 1)
        ]
        return np.array(fitted), np.array(forecast), sse


    def fit_holt_winters(values, season, horizon):
        """Grid search of the smoothing parameters by one-step-ahead squared error."""
        y = [float(v) for v in values]
        best = None
        for alpha in _ALPHAS:
            for beta in _BETAS:
                for gamma in _GAMMAS if season >= 2 else (0.0,):
                    _, _, sse = holt_winters(y, season, alpha, beta, gamma, 0)
                    if best is None or sse < best[0]:
                        best = (sse, alpha, beta, gamma)
        _, alpha, beta, gamma = best
        fitted, forecast, _ = holt_winters(y, season, alpha, beta, gamma, horizon)
        residuals = np.asarray(y)[season:] - fitted[season:]
        sigma = float(np.sqrt(np.mean(residuals**2)))
        # Forecast variance of the equivalent state-space model (ETS A,A,A).
        steps = np.arange(1, horizon)
        c = alpha * (1 + beta * steps) + gamma * (1 - alpha) * (
            (steps % season == 0) if season >= 2 else 0
        )
        spread = sigma * np.sqrt(1 + np.concatenate([[0.0], np.cumsum(c**2)]))
        return {
            "alpha": alpha,
            "beta": beta,
            "gamma": gamma,
            "fitted": fitted,
            "forecast": forecast,
            "sigma": sigma,
            "spread": spread[:horizon],
        }


    def seasonal_naive(values, season, horizon):
        """Each period as it was one season earlier (the baseline to beat)."""
        last = np.asarray(values, dtype=float)[-season:]
        return np.array([last[h % season] for h in range(horizon)])

    return fit_holt_winters, seasonal_naive


@app.cell
def _(mo):
    mo.md(r"""
    ## Backtest

    The model is fitted without the last `horizon` periods and forecasts them; the
    seasonal-naive baseline repeats the last season before them. MAPE leaves out periods whose
    actual value is 0.
    """)
    return


@app.cell
def backtest(
    fit_holt_winters,
    horizon,
    np,
    pd,
    season,
    seasonal_naive,
    series,
):
    _train, _test = series.iloc[:-horizon], series.iloc[-horizon:]
    _fit = fit_holt_winters(_train.to_numpy(), season, horizon)
    _actual = _test.to_numpy()
    _predictions = {
        "Holt-Winters": _fit["forecast"],
        "seasonal naive": seasonal_naive(_train.to_numpy(), season, horizon),
    }
    _nonzero = _actual != 0
    metrics = pd.DataFrame(
        {
            _name: {
                "MAE": float(np.mean(np.abs(_actual - _pred))),
                "MAPE %": float(
                    100
                    * np.mean(np.abs(_actual - _pred)[_nonzero] / np.abs(_actual[_nonzero]))
                )
                if _nonzero.any()
                else float("nan"),
                "RMSE": float(np.sqrt(np.mean((_actual - _pred) ** 2))),
                "bias": float(np.mean(_pred - _actual)),
            }
            for _name, _pred in _predictions.items()
        }
    ).T.round(2)
    backtest_frame = _test.to_frame("actual").assign(
        **{_name: _pred.round(2) for _name, _pred in _predictions.items()}
    )
    print(metrics.to_string())
    metrics
    return backtest_frame, metrics


@app.cell
def _(backtest_frame, horizon, metrics, mo, period_name, plt):
    _skill = 1 - metrics.loc["Holt-Winters", "MAE"] / metrics.loc["seasonal naive", "MAE"]
    _fig, _ax = plt.subplots(figsize=(11, 3.5))
    for _column, _style in zip(backtest_frame.columns, ("k-", "C0-", "C1--")):
        _ax.plot(backtest_frame.index, backtest_frame[_column], _style, label=_column)
    _ax.set_title(f"Backtest: last {horizon} {period_name}s")
    _ax.legend()
    _fig.autofmt_xdate()
    _fig.tight_layout()
    mo.vstack(
        [
            mo.callout(
                mo.md(
                    f"Holt-Winters MAE is **{_skill:.0%} lower** than the seasonal-naive "
                    "baseline's."
                    if _skill > 0
                    else f"Holt-Winters does **not** beat the seasonal-naive baseline "
                    f"(MAE {-_skill:.0%} higher): prefer the baseline, or revisit season "
                    "and freq."
                ),
                kind="success" if _skill > 0 else "warn",
            ),
            _fig,
        ]
    )
    return


@app.cell
def _(mo):
    mo.md(r"""
    ## Forecast

    Refitted on the whole series. The band is an approximate 95% interval from the one-step
    errors, widening with the horizon.
    """)
    return


@app.cell
def forecast(fit_holt_winters, freq, horizon, pd, season, series):
    final_fit = fit_holt_winters(series.to_numpy(), season, horizon)
    # A metric that was never negative (sales, counts) gets a band that stops at 0.
    _floor = 0.0 if series.min() >= 0 else -float("inf")
    _periods = pd.date_range(series.index[-1], periods=horizon + 1, freq=freq)[1:]
    forecast_table = pd.DataFrame(
        {
            "forecast": final_fit["forecast"],
            "lower_95": (final_fit["forecast"] - 1.96 * final_fit["spread"]).clip(_floor),
            "upper_95": final_fit["forecast"] + 1.96 * final_fit["spread"],
        },
        index=pd.Index(_periods.date, name="period"),
    ).round(2)
    forecast_table
    return final_fit, forecast_table


@app.cell
def _(final_fit, forecast_table, pd, plt, season, series):
    _fig, _ax = plt.subplots(figsize=(11, 4))
    _when = pd.to_datetime(forecast_table.index)
    _ax.plot(series.index, series.to_numpy(), color="0.5", lw=0.8, label="history")
    _ax.plot(
        series.index[season:], final_fit["fitted"][season:], "C0", lw=1.2, label="fit"
    )
    _ax.plot(_when, forecast_table["forecast"], "C3", lw=2, label="forecast")
    _ax.fill_between(
        _when, forecast_table["lower_95"], forecast_table["upper_95"], color="C3", alpha=0.2
    )
    _ax.set_title("History, fit and forecast")
    _ax.legend(loc="upper left")
    _fig.tight_layout()
    _fig
    return


@app.cell
def _(
    final_fit,
    forecast_table,
    metrics,
    mo,
    params,
    period_name,
    series,
    weekday_profile,
):
    _peak = weekday_profile["vs_average"].idxmax()
    _low = weekday_profile["vs_average"].idxmin()
    mo.md(f"""
    ## Summary

    - **{len(series)} {period_name}s** of `{params["value_column"]}` from
      {series.index[0]:%Y-%m-%d} to {series.index[-1]:%Y-%m-%d}, mean {series.mean():,.2f}
      per {period_name}.
    - Weekly rhythm: {_peak} is the busiest day ({weekday_profile.loc[_peak, "vs_average"]:.0%}
      of the average day), {_low} the quietest
      ({weekday_profile.loc[_low, "vs_average"]:.0%}).
    - Backtest MAE {metrics.loc["Holt-Winters", "MAE"]:,.2f} (MAPE
      {metrics.loc["Holt-Winters", "MAPE %"]:.1f}%) against
      {metrics.loc["seasonal naive", "MAE"]:,.2f} for the seasonal-naive baseline.
    - Forecast: **{len(forecast_table)} {period_name}s ahead**
      ({forecast_table.index[0]} to {forecast_table.index[-1]}), total
      {forecast_table["forecast"].sum():,.2f}; smoothing α={final_fit["alpha"]},
      β={final_fit["beta"]}, γ={final_fit["gamma"]}.
    """)
    return


if __name__ == "__main__":
    app.run()
