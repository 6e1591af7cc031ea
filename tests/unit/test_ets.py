"""Our ETS fit agrees with statsmodels' ``ETSModel``, the reference it replaces at run time.

Same data, same model: the estimated parameters agree to 1e-3, the point forecasts to 0.1% and
the prediction intervals' widths to 1%, on the sample company's weekly revenue (the history and
the backtest's shorter one) and on synthetic series with a level, a trend, a random walk and
seasons of 52, 7 and 4 (the short ones forecast past a full season, where the seasonal terms of
the interval's variance start to count).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from agents.finance._ets import fit_ets, initial_states
from agents.finance.weeks import weekly_revenue
from integrations.warehouse import Warehouse

Series = npt.NDArray[np.float64]
# (damped trend, season length): ETS(A,N,N), ETS(A,Ad,N), ETS(A,Ad,A) with a 52-week season.
LEVEL, DAMPED, SEASONAL = (False, None), (True, None), (True, 52)
STEPS = 13


def _synthetic(name: str) -> Series:
    rng = np.random.default_rng(sum(map(ord, name)))
    t = np.arange(160, dtype=np.float64)
    if name == "level":
        return 500 + rng.normal(0, 40, 30)
    if name == "trend":
        return 1000 + 10 * t[:60] + rng.normal(0, 30, 60)
    if name == "random_walk":
        return 1000 + np.cumsum(rng.normal(0, 20, 90))
    if name == "yearly_season":
        return (
            5000 + 20 * t[:156] + 1500 * np.sin(2 * np.pi * t[:156] / 52) + rng.normal(0, 100, 156)
        )
    if name == "weekly_season":
        return 200 + t[:70] + 40 * np.cos(2 * np.pi * t[:70] / 7) + rng.normal(0, 5, 70)
    if name == "quarterly_season":
        return 300 + 2 * t[:40] + np.tile([30.0, -10.0, -40.0, 20.0], 10) + rng.normal(0, 8, 40)
    raise ValueError(name)


def _statsmodels_fit(values: Series, damped_trend: bool, season_length: int | None) -> Any:
    # A pandas Series: statsmodels' ETS prediction reads `.index` from its predicted mean.
    return ETSModel(
        pd.Series(values),
        error="add",
        trend="add" if damped_trend else None,
        damped_trend=damped_trend,
        seasonal="add" if season_length else None,
        seasonal_periods=season_length,
        initialization_method="heuristic",
    ).fit(disp=False)


def _assert_agrees_with_statsmodels(
    values: Series, damped_trend: bool, season_length: int | None, steps: int = STEPS
) -> None:
    reference = _statsmodels_fit(values, damped_trend, season_length)
    ours = fit_ets(values, damped_trend=damped_trend, season_length=season_length)

    their_parameters = dict(zip(reference.model.param_names, reference.params, strict=True))
    assert ours.parameters == pytest.approx(their_parameters, abs=1e-3)
    assert ours.converged == reference.mle_retvals["converged"]
    assert ours.mse == pytest.approx(reference.mse, rel=1e-3)

    prediction = reference.get_prediction(start=len(values), end=len(values) + steps - 1)
    their_mean = np.asarray(prediction.predicted_mean)
    their_interval = np.asarray(prediction.pred_int(alpha=0.2))
    mean, lower, upper = ours.forecast(steps, level=0.8)
    assert mean == pytest.approx(their_mean, rel=1e-3)
    assert upper - lower == pytest.approx(their_interval[:, 1] - their_interval[:, 0], rel=1e-2)


@pytest.fixture(scope="module")
def sample_weekly_revenue(sample_warehouse_file: Path) -> Series:
    with Warehouse(sample_warehouse_file).connect(read_only=True) as connection:
        return weekly_revenue(connection).revenue


@pytest.mark.parametrize("weeks", [156, 148], ids=["history", "backtest"])
@pytest.mark.parametrize("model", [LEVEL, DAMPED, SEASONAL], ids=["ANN", "AAdN", "AAdA"])
def test_the_sample_company_forecast_agrees_with_statsmodels(
    sample_weekly_revenue: Series, weeks: int, model: tuple[bool, int | None]
) -> None:
    assert len(sample_weekly_revenue) == 156
    _assert_agrees_with_statsmodels(sample_weekly_revenue[:weeks], *model)


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("level", LEVEL),
        ("level", DAMPED),
        ("trend", LEVEL),
        ("trend", DAMPED),
        ("random_walk", DAMPED),
        ("yearly_season", DAMPED),
        ("yearly_season", SEASONAL),
    ],
)
def test_synthetic_series_forecasts_agree_with_statsmodels(
    name: str, model: tuple[bool, int | None]
) -> None:
    _assert_agrees_with_statsmodels(_synthetic(name), *model)


@pytest.mark.parametrize(("name", "season_length"), [("weekly_season", 7), ("quarterly_season", 4)])
def test_forecasts_past_a_full_season_agree_with_statsmodels(name: str, season_length: int) -> None:
    _assert_agrees_with_statsmodels(_synthetic(name), True, season_length, steps=3 * season_length)


@pytest.mark.parametrize(
    ("name", "season_length"),
    [("trend", None), ("yearly_season", 52), ("weekly_season", 7), ("quarterly_season", 4)],
)
def test_the_heuristic_initial_states_are_statsmodels(name: str, season_length: int | None) -> None:
    values = _synthetic(name)

    ours = initial_states(values, trend=True, season_length=season_length)

    reference = _statsmodels_fit(values, True, season_length)
    assert ours.level == pytest.approx(reference.initial_level, rel=1e-9)
    assert ours.trend == pytest.approx(reference.initial_trend, rel=1e-9, abs=1e-9)
    if season_length is not None:
        assert ours.season == pytest.approx(list(reference.initial_seasonal), rel=1e-9, abs=1e-9)


def test_a_season_needs_two_full_cycles() -> None:
    with pytest.raises(ValueError, match="a season of 52 needs 104 points"):
        fit_ets(_synthetic("yearly_season")[:103], damped_trend=True, season_length=52)


def test_a_fit_needs_ten_points() -> None:
    with pytest.raises(ValueError, match="at least 10 points, not 9"):
        fit_ets(_synthetic("level")[:9], damped_trend=False)
