"""Weekly KPIs with their week-over-week change and four-week average, from the metrics layer.

Every figure is the metrics layer's (``integrations/warehouse/metrics/metrics.yaml`` defines
each one once; ``ask``, the digest and App Home state the same numbers). A week is
Monday–Sunday, named by its Monday; ``weekly_kpis`` asks the layer for the week's KPIs, overall
and by channel, against the previous week and against the four-week average:

- **revenue**, **orders**, **AOV**, **customers**, **new** and **returning customers**,
  **repeat rate**, **active customers** (the 90 days ending on the week's Sunday), **marketing
  spend**, and the blended **ROAS** (all revenue / all spend) and **CAC** (all spend / all new
  customers);
- per channel: spend, the revenue and orders of the orders placed through it, the new customers
  who signed up through it, its ROAS and CAC (None for a channel without spend, and CAC None
  without new customers).

The four-week average is over this week and the three before (fewer at the start of the data):
the mean of a sum or count, the ratio of the summed parts for a ratio (the layer's rule).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import duckdb
from pydantic import BaseModel, ConfigDict

from agents.finance.weeks import complete_weeks
from integrations.warehouse.metrics import (
    AggregateMetric,
    Comparison,
    DateRange,
    Filter,
    MetricCatalog,
    MetricCatalogError,
    MetricQuery,
    MetricResult,
    MetricsLayer,
    MetricValue,
)

logger = logging.getLogger(__name__)

# WeeklyKpis field → the layer's metric.
_TOTALS = {
    "revenue": "revenue",
    "orders": "orders",
    "average_order_value": "aov",
    "customers": "customers",
    "new_customers": "new_customers",
    "returning_customers": "returning_customers",
    "repeat_rate": "repeat_rate",
    "active_customers": "active_customers",
    "marketing_spend": "marketing_spend",
    "blended_roas": "roas",
    "blended_cac": "cac",
}
# ChannelKpis field → the layer's metric by channel.
_CHANNELS = {
    "spend": "marketing_spend",
    "attributed_revenue": "revenue",
    "attributed_orders": "orders",
    "new_customers": "new_customers",
    "roas": "roas",
    "cac": "cac",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metric(_Frozen):
    """One KPI: this week's value, last week's, the change and the four-week average.

    ``None`` means undefined (a ratio over zero, or a week before the data starts).
    ``change`` is ``value - previous``; ``change_ratio`` is ``value / previous - 1`` and is
    ``None`` when ``previous`` is zero.
    """

    value: float | None
    previous: float | None
    change: float | None
    change_ratio: float | None
    four_week_average: float | None


class ChannelKpis(_Frozen):
    """A marketing or order channel's figures for the week (see the module's definitions)."""

    channel: str
    spend: Metric
    attributed_revenue: Metric
    attributed_orders: Metric
    new_customers: Metric
    roas: Metric
    cac: Metric


class WeeklyKpis(_Frozen):
    """The KPIs of one complete week; ``weeks_averaged`` weeks went into the four-week averages."""

    week_start: date
    week_end: date
    weeks_averaged: int
    active_window_days: int
    revenue: Metric
    orders: Metric
    average_order_value: Metric
    customers: Metric
    new_customers: Metric
    returning_customers: Metric
    repeat_rate: Metric
    active_customers: Metric
    marketing_spend: Metric
    blended_roas: Metric
    blended_cac: Metric
    channels: list[ChannelKpis]


def weekly_kpis(
    connection: duckdb.DuckDBPyConnection,
    *,
    week: date | None = None,
    layer: MetricsLayer | None = None,
) -> WeeklyKpis:
    """The KPIs of the week containing ``week`` (default: the last complete week of the data),
    computed by ``layer`` (default: the shipped catalog's).

    Raises ``WeekNotInDataError`` for a week that is not complete in the warehouse and
    ``NoCompleteWeekError`` when there is none at all.
    """
    layer = layer or MetricsLayer(MetricCatalog.load())
    monday = complete_weeks(connection).week_of(week)
    period = DateRange(start=monday, end=monday + timedelta(days=6))
    # One pass: the totals and the channels' figures, against the week before and against the
    # four-week average (the layer shares the scans of the queries over the same rows).
    totals_before, totals_averaged, week_before, averaged = layer.run_all(
        connection,
        [
            _query(period, compare, by_channel=by_channel)
            for by_channel in (False, True)
            for compare in _COMPARISONS
        ],
    )
    channels = [
        ChannelKpis(
            channel=row.dimension_value,
            **_metrics(
                _channel_values(layer, connection, week_before, row.dimension_value),
                row.values,
                _CHANNELS,
            ),
        )
        for row in averaged.breakdown
    ]
    channels.sort(key=lambda kpis: (-(kpis.spend.value or 0.0), kpis.channel))
    span = totals_averaged.totals[0].comparison_period
    result = WeeklyKpis(
        week_start=monday,
        week_end=period.end,
        weeks_averaged=(period.end - span.start).days // 7 + 1 if span else 1,
        active_window_days=_window_days(layer.catalog, "active_customers"),
        channels=channels,
        **_metrics(totals_before.totals, totals_averaged.totals, _TOTALS),
    )
    logger.info("KPIs for the week of %s: revenue %s", monday, result.revenue.value)
    return result


_COMPARISONS: tuple[Comparison, Comparison] = ("previous_period", "four_week_average")


class LastWeekKpis:
    """The last complete week's KPIs, computed once for all the specialists of one run that
    state them (the digest's finance and marketing sections): the first to ask computes them,
    one asking meanwhile waits for that result. A failure is not kept: the next one tries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kpis: WeeklyKpis | None = None

    def of(self, connection: duckdb.DuckDBPyConnection) -> WeeklyKpis:
        with self._lock:
            if self._kpis is None:
                self._kpis = weekly_kpis(connection)
            return self._kpis


def _query(
    period: DateRange, compare: Comparison, *filters: Filter, by_channel: bool = False
) -> MetricQuery:
    """The KPIs of ``period`` against ``compare``: the totals, or each channel's figures."""
    return MetricQuery(
        metrics=tuple((_CHANNELS if by_channel else _TOTALS).values()),
        period=period,
        by="channel" if by_channel else None,
        filters=filters,
        compare=compare,
    )


def _channel_values(
    layer: MetricsLayer,
    connection: duckdb.DuckDBPyConnection,
    week_before: MetricResult,
    channel: str,
) -> tuple[MetricValue, ...]:
    """``channel``'s figures against the week before: from ``week_before``'s breakdown, or, for
    a channel only the four-week window saw, its own query (the layer's empty values)."""
    for row in week_before.breakdown:
        if row.dimension_value == channel:
            return row.values
    only = Filter(dimension="channel", values=(channel,))
    period = week_before.query.period
    query = _query(period, "previous_period", only, by_channel=True)
    return layer.run(connection, query).totals


def _window_days(catalog: MetricCatalog, name: str) -> int:
    """The days of ``name``'s window (``MetricCatalogError`` if the catalog gives it none)."""
    metric = catalog.sql_metric(name)
    if not isinstance(metric, AggregateMetric) or metric.window_days is None:
        raise MetricCatalogError(f"{name} must be a count over a window of days (window_days)")
    return metric.window_days


def _metrics(
    week_before: Sequence[MetricValue], averaged: Sequence[MetricValue], fields: Mapping[str, str]
) -> dict[str, Metric]:
    """``fields``' metrics, each from its figure against the week before and against the
    four-week average (whose comparison value is the average)."""
    before = {figure.metric: figure for figure in week_before}
    average = {figure.metric: figure.previous for figure in averaged}
    return {
        field: Metric(
            value=before[name].value,
            previous=before[name].previous,
            change=before[name].change,
            change_ratio=before[name].change_ratio,
            four_week_average=average[name],
        )
        for field, name in fields.items()
    }
