"""Weekly revenue forecast with an 80% prediction interval and its backtest error.

The model is an exponential smoothing state-space model (ETS, fitted by ``_ets`` the way
statsmodels' ``ETSModel`` fits it) with additive errors, so the prediction intervals are analytic
(Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, §8.7). Which ETS model
depends on how much history there is, because with weekly data seasonality is *yearly* (52 weeks)
and needs at least two full years to estimate:

==========================  ==================================  ==============================
weeks to fit (history − 8)  model                               why
==========================  ==================================  ==============================
≥ 104                       ETS(A,Ad,A), 52-week seasonality    two full years show the season
≥ 26                        ETS(A,Ad,N), damped trend           half a year shows a trend
≥ 10                        ETS(A,N,N), level only              the least the fit needs
==========================  ==================================  ==============================

The backtest refits the same model on the history without its last 8 weeks, forecasts those
weeks and reports the MAPE, so the error shown is the error of the very model used (the model is
chosen by the backtest's shorter history for that reason). Initial states come from the
heuristic of Hyndman et al. §2.6 and only the smoothing parameters are estimated, which keeps
a fit on three years of weeks to a few milliseconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from agents.finance._ets import EtsFit, fit_ets
from agents.finance._exceptions import InvalidRequestError, NotEnoughHistoryError
from agents.finance.weeks import WEEK, WeeklyRevenue

logger = logging.getLogger(__name__)

BACKTEST_WEEKS = 8
MIN_HORIZON, MAX_HORIZON = 4, 13
INTERVAL_LEVEL = 0.8
SEASON_WEEKS = 52

ForecastModelName = Literal["seasonal_damped_trend", "damped_trend", "level"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class _Spec:
    name: ForecastModelName
    description: str
    min_fit_weeks: int
    why: str
    trend: bool
    seasonal: bool


_MODELS = (
    _Spec(
        "seasonal_damped_trend",
        "ETS(A,Ad,A): damped trend and 52-week (yearly) seasonality",
        2 * SEASON_WEEKS,
        "two full years show the yearly season",
        trend=True,
        seasonal=True,
    ),
    _Spec(
        "damped_trend",
        "ETS(A,Ad,N): damped trend, no seasonality",
        26,
        "fewer than two full years: too short for a yearly season, long enough for a trend",
        trend=True,
        seasonal=False,
    ),
    _Spec(
        "level",
        "ETS(A,N,N): simple exponential smoothing (level only)",
        10,
        "under half a year: too short for a trend",
        trend=False,
        seasonal=False,
    ),
)


class ForecastModelChoice(_Frozen):
    """The model used for a history of ``history_weeks`` weeks, and why."""

    name: ForecastModelName
    description: str
    reason: str


class ForecastWeek(_Frozen):
    """One forecast week: the point forecast and the 80% prediction interval (never below 0)."""

    week_start: date
    revenue: float
    lower: float
    upper: float


class BacktestWeek(ForecastWeek):
    """A backtest week: the forecast made without it, and what actually happened."""

    actual: float


class Backtest(_Frozen):
    """The model refitted without the last weeks and scored on them.

    ``mape`` is the mean absolute percentage error as a fraction (0.075 = 7.5%) over weeks with
    revenue; ``None`` if every backtest week had none.
    """

    fitted_weeks: int
    weeks: list[BacktestWeek]
    mape: float | None
    weeks_inside_interval: int


class RevenueForecast(_Frozen):
    """The revenue forecast for the weeks after ``history_end``, with the model and its backtest.

    ``converged`` is false when the optimiser stopped before converging (then the fit is the
    best it found, and the warning is logged).
    """

    model: ForecastModelChoice
    parameters: dict[str, float]
    converged: bool
    history_start: date
    history_end: date
    history_weeks: int
    interval_level: float
    weeks: list[ForecastWeek]
    backtest: Backtest


def choose_forecast_model(history_weeks: int) -> ForecastModelChoice:
    """The ETS model for ``history_weeks`` weeks of history (see the table in the module doc)."""
    fit_weeks = history_weeks - BACKTEST_WEEKS
    for spec in _MODELS:
        if fit_weeks >= spec.min_fit_weeks:
            return ForecastModelChoice(
                name=spec.name,
                description=spec.description,
                reason=(
                    f"{history_weeks} complete weeks, {fit_weeks} to fit before the "
                    f"{BACKTEST_WEEKS}-week backtest (≥ {spec.min_fit_weeks} needed): {spec.why}"
                ),
            )
    needed = _MODELS[-1].min_fit_weeks + BACKTEST_WEEKS
    raise NotEnoughHistoryError(
        f"a forecast needs at least {needed} complete weeks of orders "
        f"({BACKTEST_WEEKS} of them for the backtest); the warehouse has {history_weeks}"
    )


def forecast_revenue(history: WeeklyRevenue, *, weeks: int = 8) -> RevenueForecast:
    """Forecast revenue for the ``weeks`` (4–13) weeks after ``history``, with its backtest."""
    if not MIN_HORIZON <= weeks <= MAX_HORIZON:
        raise InvalidRequestError(
            f"a forecast covers {MIN_HORIZON} to {MAX_HORIZON} weeks; {weeks} was asked for"
        )
    if not np.all(np.isfinite(history.revenue)):
        raise InvalidRequestError("weekly revenue must be finite numbers")
    values = np.ascontiguousarray(history.revenue, dtype=np.float64)
    return _forecast(history.first, values.tobytes(), weeks)


@lru_cache(maxsize=16)
def _forecast(first: date, revenue: bytes, weeks: int) -> RevenueForecast:
    """The forecast of the weekly ``revenue`` (float64 bytes) from ``first``: memoised by the
    figures themselves, so asking again about unchanged data (the digest, then ``ask``; a
    forecast per question) fits once, and new data is never answered from an old fit."""
    history = WeeklyRevenue(first=first, revenue=np.frombuffer(revenue, dtype=np.float64))
    values = history.revenue
    choice = choose_forecast_model(len(values))
    spec = next(spec for spec in _MODELS if spec.name == choice.name)

    train = values[:-BACKTEST_WEEKS]
    if np.ptp(train) == 0:
        raise NotEnoughHistoryError(
            f"weekly revenue was {train[0]:,.2f} in each of the {len(train)} weeks before the "
            "backtest: nothing for a model to learn from"
        )
    backtest_fit = _fit(spec, train)
    predicted, lower, upper = _predict(backtest_fit, BACKTEST_WEEKS)
    actual = values[-BACKTEST_WEEKS:]
    inside = (actual >= lower) & (actual <= upper)
    backtest = Backtest(
        fitted_weeks=len(train),
        weeks=[
            BacktestWeek(
                week_start=history.first + WEEK * (len(train) + i),
                revenue=float(predicted[i]),
                lower=float(lower[i]),
                upper=float(upper[i]),
                actual=float(actual[i]),
            )
            for i in range(BACKTEST_WEEKS)
        ],
        mape=mean_absolute_percentage_error(actual, predicted),
        weeks_inside_interval=int(inside.sum()),
    )

    full_fit = _fit(spec, values)
    predicted, lower, upper = _predict(full_fit, weeks)
    forecast = RevenueForecast(
        model=choice,
        parameters=full_fit.parameters,
        converged=full_fit.converged and backtest_fit.converged,
        history_start=history.first,
        history_end=history.last,
        history_weeks=len(values),
        interval_level=INTERVAL_LEVEL,
        weeks=[
            ForecastWeek(
                week_start=history.last + WEEK * (i + 1),
                revenue=float(predicted[i]),
                lower=float(lower[i]),
                upper=float(upper[i]),
            )
            for i in range(weeks)
        ],
        backtest=backtest,
    )
    logger.info(
        "Forecast %d weeks with %s; backtest MAPE %s",
        weeks,
        choice.name,
        backtest.mape,
    )
    return forecast


def mean_absolute_percentage_error(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> float | None:
    """Mean of ``|actual − predicted| / |actual|`` over points with ``actual ≠ 0``, as a fraction.

    Points with zero actual are left out (their percentage error is undefined); ``None`` when no
    point is left.
    """
    actual_values = np.asarray(actual, dtype=np.float64)
    predicted_values = np.asarray(predicted, dtype=np.float64)
    if actual_values.shape != predicted_values.shape:
        raise InvalidRequestError("actual and predicted must have the same length")
    defined = actual_values != 0
    if not defined.any():
        return None
    errors = np.abs(actual_values[defined] - predicted_values[defined])
    return float(np.mean(errors / np.abs(actual_values[defined])))


def _fit(spec: _Spec, values: npt.NDArray[np.float64]) -> EtsFit:
    fit = fit_ets(
        values,
        damped_trend=spec.trend,
        season_length=SEASON_WEEKS if spec.seasonal else None,
    )
    if not fit.converged:
        logger.warning("The %s forecast model did not converge; using its best fit", spec.name)
    return fit


def _predict(
    fit: EtsFit, steps: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    mean, lower, upper = fit.forecast(steps, level=INTERVAL_LEVEL)
    # Revenue cannot be negative; a wide interval around a small level can reach below zero.
    return np.maximum(mean, 0.0), np.maximum(lower, 0.0), np.maximum(upper, 0.0)
