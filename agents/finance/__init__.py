"""The finance agent's tools: weekly KPIs, the revenue forecast and the win-back offer's ROI.

Every figure is computed here from the warehouse (DuckDB SQL) or from arrays handed in; a language
model only writes prose around these results.

Exceptions::

    FinanceError
     ├── NoCompleteWeekError     the warehouse holds no complete Monday–Sunday week of orders
     ├── WeekNotInDataError      the week asked for is not a complete week of the warehouse
     ├── NotEnoughHistoryError   too few complete weeks to fit and backtest a forecast
     └── InvalidRequestError     a horizon, a candidate list or a discount the tools cannot use
"""

from agents.finance._exceptions import (
    FinanceError,
    InvalidRequestError,
    NoCompleteWeekError,
    NotEnoughHistoryError,
    WeekNotInDataError,
)
from agents.finance.charts import revenue_chart
from agents.finance.forecast import (
    BACKTEST_WEEKS,
    Backtest,
    BacktestWeek,
    ForecastModelChoice,
    ForecastWeek,
    RevenueForecast,
    choose_forecast_model,
    forecast_revenue,
    mean_absolute_percentage_error,
)
from agents.finance.kpis import ChannelKpis, Metric, WeeklyKpis, weekly_kpis
from agents.finance.roi import (
    OfferEconomics,
    OfferOption,
    WinbackCandidates,
    WinbackRoi,
    winback_offer_roi,
)
from agents.finance.weeks import CompleteWeeks, WeeklyRevenue, complete_weeks, weekly_revenue

__all__ = [
    "BACKTEST_WEEKS",
    "Backtest",
    "BacktestWeek",
    "ChannelKpis",
    "CompleteWeeks",
    "FinanceError",
    "ForecastModelChoice",
    "ForecastWeek",
    "InvalidRequestError",
    "Metric",
    "NoCompleteWeekError",
    "NotEnoughHistoryError",
    "OfferEconomics",
    "OfferOption",
    "RevenueForecast",
    "WeekNotInDataError",
    "WeeklyKpis",
    "WeeklyRevenue",
    "WinbackCandidates",
    "WinbackRoi",
    "choose_forecast_model",
    "complete_weeks",
    "forecast_revenue",
    "mean_absolute_percentage_error",
    "revenue_chart",
    "weekly_kpis",
    "weekly_revenue",
    "winback_offer_roi",
]
