"""``MetricsLayer``: runs a metrics query on the warehouse, and explains how each figure was made.

Each figure comes with its comparison:

- **previous period** and **same period last year** (``periods`` says which dates): the metric
  over that period;
- **four-week average** (as ``agents.finance.kpis`` defines it): a sum, count or snapshot is
  the mean of its values over the same-length periods filling the 4 weeks ending with the
  period; a ratio is the ratio of its parts summed over them (four-week revenue / four-week
  orders), so a quiet week does not weigh as much as a busy one.

The data starts on the day of the first order: a comparison period starting before it has no
value (periods before it are left out of a four-week average), so the first weeks of the data
are not compared with nothing. A ratio over zero is None, never a division by zero.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import date

import duckdb

from integrations.warehouse.metrics._exceptions import MetricQueryError
from integrations.warehouse.metrics.catalog import MetricCatalog
from integrations.warehouse.metrics.compile import (
    CompiledQuery,
    Statement,
    compile_query,
    refusal,
)
from integrations.warehouse.metrics.definitions import RatioMetric, SqlMetric
from integrations.warehouse.metrics.query import DateRange, MetricQuery
from integrations.warehouse.metrics.results import (
    BreakdownRow,
    ExplainedStatement,
    Explanation,
    MetricResult,
    MetricSeries,
    MetricValue,
    SeriesPoint,
)
from integrations.warehouse.metrics.sources import share_first_orders

logger = logging.getLogger(__name__)


class MetricsLayer:
    """Every figure the control room states, computed from the catalog's one definition."""

    def __init__(self, catalog: MetricCatalog) -> None:
        self.catalog = catalog

    def run(self, connection: duckdb.DuckDBPyConnection, query: MetricQuery) -> MetricResult:
        """The query's totals, breakdown rows and series, each figure against its comparison.

        Raises ``MetricQueryError`` for a metric, dimension, filter, grain or comparison the
        catalog does not allow, before any SQL runs."""
        started = time.perf_counter()
        compiled = compile_query(self.catalog, query)
        (first_day, last_day), *_ = connection.execute(
            "SELECT min(order_date), max(order_date) FROM orders"
        ).fetchall()
        data = None if first_day is None else DateRange(start=first_day, end=last_day)
        figures = _Figures(self.catalog, compiled, data)
        if any(statement.reads_first_orders for statement in compiled.statements):
            share_first_orders(connection)
        for statement in compiled.statements:
            figures.add(statement, connection.execute(statement.sql, dict(statement.parameters)))
        result = figures.result()
        logger.debug(
            "metrics %s over %s: %d statements in %.1f ms",
            ",".join(query.metrics),
            query.period,
            len(compiled.statements),
            (time.perf_counter() - started) * 1000,
        )
        return result

    def refusal(self, metric: str, query: MetricQuery) -> str | None:
        """Why ``metric`` cannot be part of ``query`` — unknown, computed by the analytics
        tools, or not by ``query``'s breakdown, filters or grain (None: it can)."""
        try:
            return refusal(self.catalog.sql_metric(metric), query)
        except MetricQueryError as error:
            return str(error)

    def explain(self, query: MetricQuery) -> list[Explanation]:
        """Each metric's definition in words and the SQL that computes it (as ``run`` runs it)."""
        compiled = compile_query(self.catalog, query)
        explanations = []
        for metric in compiled.metrics:
            parts = {part.name for part in self.catalog.parts(metric)}
            formula = None
            if isinstance(metric, RatioMetric):
                numerator = self.catalog.get(metric.numerator).label
                formula = f"{numerator} ÷ {self.catalog.get(metric.denominator).label}"
            explanations.append(
                Explanation(
                    metric=metric.name,
                    label=metric.label,
                    definition=metric.description,
                    formula=formula,
                    statements=tuple(
                        _explained(statement)
                        for statement in compiled.statements
                        if parts & {part.name for part in statement.metrics}
                    ),
                )
            )
        return explanations


class _Figures:
    """The statements' values by (metric, bucket, dimension value), and the result built on them."""

    def __init__(
        self, catalog: MetricCatalog, compiled: CompiledQuery, data: DateRange | None
    ) -> None:
        self.catalog = catalog
        self.compiled = compiled
        self.buckets = compiled.buckets
        self.data = data
        self.values: dict[tuple[str, int, str | None], float | None] = {}
        # The comparison buckets the data covers: one starting before the first order is left
        # out of the comparison (module docstring).
        self.covered = [
            bucket
            for bucket in self.buckets.comparison
            if data is not None and self.buckets.ranges[bucket].start >= data.start
        ]

    def add(self, statement: Statement, cursor: duckdb.DuckDBPyConnection) -> None:
        for bucket, dimension_value, *figures in cursor.fetchall():
            for metric, figure in zip(statement.metrics, figures, strict=True):
                self.values[(metric.name, bucket, dimension_value)] = figure

    def value(self, metric: SqlMetric, bucket: int, dimension_value: str | None) -> float | None:
        if isinstance(metric, RatioMetric):
            numerator, denominator = self.catalog.parts(metric)
            return metric.divide(
                self.value(numerator, bucket, dimension_value),
                self.value(denominator, bucket, dimension_value),
            )
        figure = self.values.get((metric.name, bucket, dimension_value))
        return metric.empty_value if figure is None else figure

    def result(self) -> MetricResult:
        query = self.compiled.query
        metrics = self.compiled.metrics
        # A breakdown's rows: the dimension values with rows in a bucket the answer shows.
        shown = {self.buckets.period, *self.buckets.series, *self.covered}
        dimension_values = sorted(
            {value for _, bucket, value in self.values if value is not None and bucket in shown}
        )
        rows = [
            BreakdownRow(
                dimension_value=value,
                values=tuple(self.metric_value(metric, value) for metric in metrics),
            )
            for value in dimension_values
        ]
        rows.sort(key=lambda row: _largest_first(row.values[0].value))
        series = [
            MetricSeries(
                metric=metric.name,
                unit=metric.unit,
                dimension_value=value,
                points=tuple(
                    SeriesPoint(
                        start=self.buckets.ranges[bucket].start,
                        end=self.buckets.ranges[bucket].end,
                        value=self.value(metric, bucket, value),
                    )
                    for bucket in self.buckets.series
                ),
            )
            for metric in (metrics if self.buckets.series else ())
            for value in (None, *dimension_values)
        ]
        return MetricResult(
            query=query,
            totals=tuple(self.metric_value(metric, None) for metric in metrics),
            dimension=query.by,
            breakdown=tuple(rows),
            series=tuple(series),
            data=self.data,
        )

    def metric_value(self, metric: SqlMetric, dimension_value: str | None) -> MetricValue:
        value = self.value(metric, self.buckets.period, dimension_value)
        comparison = self.compiled.query.compare
        covered = self.covered
        previous = None
        if covered and comparison == "four_week_average":
            previous = self._average(metric, covered, dimension_value)
        elif covered:
            previous = self.value(metric, covered[0], dimension_value)
        change = None if value is None or previous is None else value - previous
        return MetricValue(
            metric=metric.name,
            value=value,
            unit=metric.unit,
            comparison=comparison,
            previous=previous,
            change=change,
            change_ratio=None if change is None or not previous else change / previous,
            comparison_period=self._span(covered or self.buckets.comparison),
        )

    def _span(self, buckets: Sequence[int]) -> DateRange | None:
        """From the first bucket's start to the last one's end (None without buckets)."""
        if not buckets:
            return None
        first, last = self.buckets.ranges[buckets[0]], self.buckets.ranges[buckets[-1]]
        return DateRange(start=first.start, end=last.end)

    def _average(
        self, metric: SqlMetric, buckets: Sequence[int], dimension_value: str | None
    ) -> float | None:
        """Means of sums and counts; a ratio of the summed parts (see the module docstring)."""
        if isinstance(metric, RatioMetric):
            numerator, denominator = self.catalog.parts(metric)
            return metric.divide(
                _total(self.value(numerator, bucket, dimension_value) for bucket in buckets),
                _total(self.value(denominator, bucket, dimension_value) for bucket in buckets),
            )
        present = [
            figure
            for bucket in buckets
            if (figure := self.value(metric, bucket, dimension_value)) is not None
        ]
        return sum(present) / len(present) if present else None


def _total(figures: Iterable[float | None]) -> float:
    return sum(figure or 0.0 for figure in figures)


def _largest_first(value: float | None) -> tuple[bool, float]:
    return (value is None, -(value or 0.0))


def _explained(statement: Statement) -> ExplainedStatement:
    return ExplainedStatement(
        sql=statement.readable_sql,
        parameters={name: _render(value) for name, value in statement.parameters.items()},
    )


def _render(value: object) -> str:
    """A bound value as text: dates as ISO days, text quoted (it is data, never SQL)."""
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    return str(value)
