"""Revenue forecast: the model chosen by history length, calibrated intervals, MAPE by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from agents.finance import (
    BACKTEST_WEEKS,
    InvalidRequestError,
    NotEnoughHistoryError,
    WeeklyRevenue,
    choose_forecast_model,
    forecast_revenue,
    mean_absolute_percentage_error,
)

MONDAY = date(2024, 1, 1)


def _trend_series(seed: int, weeks: int) -> np.ndarray:
    """Level 1,000, trend +10 a week, noise with standard deviation 30."""
    rng = np.random.default_rng(seed)
    return 1000 + 10 * np.arange(weeks) + rng.normal(0, 30, weeks)


def _seasonal_series(seed: int, weeks: int) -> np.ndarray:
    """Level 5,000, trend +20 a week, a yearly wave of ±1,500, noise with deviation 100."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    return 5000 + 20 * t + 1500 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 100, weeks)


@pytest.mark.parametrize(
    ("history_weeks", "model"),
    [
        (18, "level"),
        (33, "level"),
        (34, "damped_trend"),
        (111, "damped_trend"),
        (112, "seasonal_damped_trend"),
        (156, "seasonal_damped_trend"),
    ],
)
def test_the_model_is_chosen_by_the_weeks_left_to_fit_before_the_backtest(
    history_weeks: int, model: str
) -> None:
    choice = choose_forecast_model(history_weeks)

    assert choice.name == model
    assert f"{history_weeks - BACKTEST_WEEKS} to fit" in choice.reason


def test_a_history_too_short_to_fit_and_backtest_is_refused_with_what_is_needed() -> None:
    with pytest.raises(NotEnoughHistoryError, match="at least 18 complete weeks"):
        choose_forecast_model(17)


def test_seasonality_needs_two_full_years_before_the_backtest() -> None:
    two_years_with_backtest = 2 * 52 + BACKTEST_WEEKS

    assert choose_forecast_model(two_years_with_backtest - 1).name == "damped_trend"
    assert choose_forecast_model(two_years_with_backtest).name == "seasonal_damped_trend"


def test_mape_by_hand_leaves_out_weeks_without_revenue() -> None:
    # |100-110|/100 = 0.10, |200-150|/200 = 0.25, (0 left out), |50-50|/50 = 0
    mape = mean_absolute_percentage_error([100, 200, 0, 50], [110, 150, 5, 50])

    assert mape == pytest.approx((0.10 + 0.25 + 0.0) / 3)
    assert mean_absolute_percentage_error([0, 0], [1, 2]) is None


def test_the_80_percent_interval_holds_the_truth_about_80_percent_of_the_time() -> None:
    inside = total = 0
    for seed in range(20):
        series = _trend_series(seed, 60 + 8)
        result = forecast_revenue(WeeklyRevenue(MONDAY, series[:60]), weeks=8)
        lower = np.array([week.lower for week in result.weeks])
        upper = np.array([week.upper for week in result.weeks])
        inside += int(np.sum((series[60:] >= lower) & (series[60:] <= upper)))
        total += 8

    assert result.model.name == "damped_trend"
    assert 0.65 <= inside / total <= 0.95


def test_a_trend_forecast_lands_near_the_known_level_and_trend() -> None:
    series = _trend_series(7, 60)

    result = forecast_revenue(WeeklyRevenue(MONDAY, series), weeks=4)

    truth = 1000 + 10 * np.arange(60, 64)
    forecast = np.array([week.revenue for week in result.weeks])
    assert np.all(np.abs(forecast - truth) / truth < 0.05)
    assert result.converged
    assert result.backtest.mape is not None and result.backtest.mape < 0.05


def test_two_years_and_more_get_the_seasonal_model_and_follow_the_season() -> None:
    series = _seasonal_series(3, 156 + 13)

    result = forecast_revenue(WeeklyRevenue(MONDAY, series[:156]), weeks=13)

    assert result.model.name == "seasonal_damped_trend"
    forecast = np.array([week.revenue for week in result.weeks])
    error = mean_absolute_percentage_error(series[156:], forecast)
    assert error is not None and error < 0.05
    assert set(result.parameters) >= {"smoothing_level", "smoothing_seasonal", "damping_trend"}


def test_the_forecast_starts_the_monday_after_the_history_and_brackets_its_point() -> None:
    history = WeeklyRevenue(MONDAY, _trend_series(1, 40))

    result = forecast_revenue(history, weeks=6)

    assert [week.week_start for week in result.weeks] == [
        history.last + timedelta(weeks=i) for i in range(1, 7)
    ]
    assert all(0 <= week.lower <= week.revenue <= week.upper for week in result.weeks)
    assert result.interval_level == 0.8
    assert (result.history_start, result.history_end) == (history.first, history.last)


def test_the_backtest_scores_the_last_eight_weeks_with_the_same_model() -> None:
    history = WeeklyRevenue(MONDAY, _trend_series(2, 50))

    backtest = forecast_revenue(history, weeks=4).backtest

    assert backtest.fitted_weeks == 42
    assert [week.week_start for week in backtest.weeks] == history.week_starts[-8:]
    assert [week.actual for week in backtest.weeks] == pytest.approx(list(history.revenue[-8:]))
    assert backtest.mape == pytest.approx(
        mean_absolute_percentage_error(
            [week.actual for week in backtest.weeks], [week.revenue for week in backtest.weeks]
        )
    )
    assert 0 <= backtest.weeks_inside_interval <= 8


@pytest.mark.parametrize("weeks", [3, 14])
def test_a_horizon_outside_4_to_13_weeks_is_refused(weeks: int) -> None:
    with pytest.raises(InvalidRequestError, match="4 to 13 weeks"):
        forecast_revenue(WeeklyRevenue(MONDAY, _trend_series(0, 40)), weeks=weeks)


def test_weekly_revenue_must_start_on_a_monday() -> None:
    with pytest.raises(ValueError, match="not one"):
        WeeklyRevenue(date(2024, 1, 2), np.ones(20))


def test_a_history_that_never_changes_is_refused_rather_than_fitted() -> None:
    with pytest.raises(NotEnoughHistoryError, match="nothing for a model to learn"):
        forecast_revenue(WeeklyRevenue(MONDAY, np.zeros(30)), weeks=4)
