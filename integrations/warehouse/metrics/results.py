"""What the metrics layer answers: figures with their comparison, breakdown rows, series points,
and the explanation of how each figure was computed."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from integrations.warehouse.metrics.definitions import Unit
from integrations.warehouse.metrics.query import Comparison, DateRange, DimensionName, MetricQuery


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricValue(_Frozen):
    """One metric over the period, against its comparison.

    ``value`` is None when undefined (a ratio over zero, a median of nothing); ``previous`` is
    the comparison's value, None too when the comparison period starts before the data does.
    ``change`` is ``value - previous``; ``change_ratio`` is ``change / previous`` (None when
    ``previous`` is zero). ``comparison_period`` is the range compared with (for a four-week
    average, the span of the periods averaged).
    """

    metric: str
    value: float | None
    unit: Unit
    comparison: Comparison | None
    previous: float | None
    change: float | None
    change_ratio: float | None
    comparison_period: DateRange | None


class BreakdownRow(_Frozen):
    """The metrics for one value of the breakdown's dimension (in the query's metric order)."""

    dimension_value: str
    values: tuple[MetricValue, ...]


class SeriesPoint(_Frozen):
    """One bucket of a series: its days within the period, and the metric's value over them."""

    start: date
    end: date
    value: float | None


class MetricSeries(_Frozen):
    """A metric by grain over the period; with a breakdown, one series per dimension value
    (``dimension_value``) besides the total (None)."""

    metric: str
    unit: Unit
    dimension_value: str | None
    points: tuple[SeriesPoint, ...]


class MetricResult(_Frozen):
    """The answer to a ``MetricQuery``. ``data`` is the span of days the orders cover (None for
    an empty warehouse): a comparison period starting before it has no value."""

    query: MetricQuery
    totals: tuple[MetricValue, ...]
    dimension: DimensionName | None
    breakdown: tuple[BreakdownRow, ...]
    series: tuple[MetricSeries, ...]
    data: DateRange | None


class ExplainedStatement(_Frozen):
    """A SQL statement as run, with its bound parameters rendered as text."""

    sql: str
    parameters: dict[str, str]


class Explanation(_Frozen):
    """How a metric was computed: its definition in words, the formula of a ratio, the SQL."""

    metric: str
    label: str
    definition: str
    formula: str | None
    statements: tuple[ExplainedStatement, ...]
