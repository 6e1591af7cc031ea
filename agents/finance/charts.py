"""Charts as PNGs sized for Slack (1200×600): the weekly revenue trend with an optional
forecast, and any metric's series from the metrics layer.

Drawn on a bare ``matplotlib.figure.Figure`` with the Agg canvas: no pyplot, so no global figure
state, nothing shown on screen and safe in a worker thread.
"""

from __future__ import annotations

import io
from datetime import date

import numpy as np

from agents.finance.forecast import RevenueForecast
from agents.finance.weeks import WeeklyRevenue
from integrations.warehouse.metrics import MetricSeries

WIDTH_INCHES, HEIGHT_INCHES, DPI = 12, 6, 100
DEFAULT_WEEKS_SHOWN = 52
_HISTORY, _AVERAGE, _HIGHLIGHT, _FORECAST = "#2b6cb0", "#dd6b20", "#c53030", "#2f855a"


def revenue_chart(
    history: WeeklyRevenue,
    *,
    highlight_week: date | None = None,
    forecast: RevenueForecast | None = None,
    weeks_shown: int = DEFAULT_WEEKS_SHOWN,
) -> bytes:
    """Weekly revenue for the last ``weeks_shown`` weeks with its four-week moving average.

    ``highlight_week`` (a Monday) is marked; a ``forecast`` adds its weeks and 80% interval.
    """
    # Imported here: matplotlib is slow to import and only charts need it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    weeks = np.asarray(history.week_starts, dtype="datetime64[D]")
    revenue = history.revenue
    moving = np.convolve(revenue, np.ones(4) / 4, mode="full")[: len(revenue)]
    moving[:3] = np.nan  # fewer than four weeks: no four-week average yet
    shown = slice(max(0, len(revenue) - weeks_shown), None)

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(weeks[shown], revenue[shown], color=_HISTORY, linewidth=2, label="Weekly revenue")
    axes.plot(weeks[shown], moving[shown], color=_AVERAGE, linestyle="--", label="4-week average")
    if highlight_week is not None and history.first <= highlight_week <= history.last:
        index = (highlight_week - history.first).days // 7
        axes.scatter(
            [weeks[index]],
            [revenue[index]],
            color=_HIGHLIGHT,
            zorder=3,
            s=60,
            label=f"Week of {highlight_week:%d %b %Y}",
        )
    title = "Weekly revenue"
    if forecast is not None:
        ahead = np.asarray([w.week_start for w in forecast.weeks], dtype="datetime64[D]")
        joined = np.concatenate([weeks[-1:], ahead])
        point = np.concatenate([revenue[-1:], [w.revenue for w in forecast.weeks]])
        axes.plot(joined, point, color=_FORECAST, linewidth=2, label="Forecast")
        axes.fill_between(
            ahead,
            [w.lower for w in forecast.weeks],
            [w.upper for w in forecast.weeks],
            color=_FORECAST,
            alpha=0.2,
            label=f"{forecast.interval_level:.0%} prediction interval",
        )
        title = f"Weekly revenue and {len(forecast.weeks)}-week forecast"
    axes.set_title(title, fontsize=16)
    axes.set_ylabel("Revenue (USD)", fontsize=12)
    axes.set_xlabel("Week starting", fontsize=12)
    axes.yaxis.set_major_formatter(FuncFormatter(_money))
    axes.tick_params(labelsize=11)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=11)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def series_chart(series: MetricSeries, label: str) -> bytes:
    """A metric by day, week, month, quarter or year (a metrics-layer series) as a bar chart,
    each bar named by its bucket's first day; money on a $ axis, rates in %."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    starts = [f"{point.start:%d %b %Y}" for point in series.points]
    values = [np.nan if point.value is None else point.value for point in series.points]
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(range(len(values)), values, color=_HISTORY)
    axes.set_xticks(range(len(values)), starts, rotation=45, ha="right")
    axes.set_title(label, fontsize=16)
    if series.unit == "currency":
        axes.yaxis.set_major_formatter(FuncFormatter(_money))
    elif series.unit == "ratio":
        axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    axes.tick_params(labelsize=11)
    axes.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _money(value: float, _position: int) -> str:
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:,.1f}M"
    if abs(value) >= 1_000:
        return f"${value / 1_000:,.0f}k"
    return f"${value:,.0f}"
