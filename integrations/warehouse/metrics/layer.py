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
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb

from integrations.warehouse.metrics._exceptions import MetricQueryError
from integrations.warehouse.metrics.catalog import MetricCatalog
from integrations.warehouse.metrics.compile import (
    CompiledQuery,
    Statement,
    compile_pass,
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
from integrations.warehouse.metrics.sources import ORDERS_VERSION, share_first_orders

logger = logging.getLogger(__name__)


class MetricsLayer:
    """Every figure the control room states, computed from the catalog's one definition."""

    def __init__(self, catalog: MetricCatalog) -> None:
        self.catalog = catalog

    def run(self, connection: duckdb.DuckDBPyConnection, query: MetricQuery) -> MetricResult:
        """The query's totals, breakdown rows and series, each figure against its comparison.

        Raises ``MetricQueryError`` for a metric, dimension, filter, grain or comparison the
        catalog does not allow, before any SQL runs."""
        (result,) = self.run_all(connection, (query,))
        return result

    def run_all(
        self, connection: duckdb.DuckDBPyConnection, queries: Sequence[MetricQuery]
    ) -> tuple[MetricResult, ...]:
        """Each query's result, as ``run`` gives it, from one pass over the warehouse: the
        data's span looked up once, and one SQL statement in which queries over the same rows
        share their scans (``compile`` says how) — a KPI pass's four queries cost what one does.

        Raises ``MetricQueryError`` as ``run`` does, before any SQL runs."""
        if not queries:
            return ()
        started = time.perf_counter()
        compiled = compile_pass(self.catalog, queries)
        ((first_day, last_day, orders, last_order),) = connection.execute(
            f"SELECT min(order_date), max(order_date), {ORDERS_VERSION} FROM orders"
        ).fetchall()
        data = None if first_day is None else DateRange(start=first_day, end=last_day)
        if any(statement.reads_first_orders for statement in compiled.statements):
            share_first_orders(connection, (orders, last_order))
        cursor = connection.execute(compiled.sql, dict(compiled.parameters))
        columns = {column[0]: index for index, column in enumerate(cursor.description or ())}
        rows: list[list[tuple[Any, ...]]] = [[] for _ in compiled.statements]
        for row in cursor.fetchall():
            rows[row[columns["statement"]]].append(row)
        results = []
        for query in compiled.queries:
            figures = _Figures(self.catalog, query, data)
            for statement in query.statements:
                figures.add(statement, rows[statement.index], columns)
            results.append(figures.result())
        logger.debug(
            "metrics %s: %d queries, %d statements in %.1f ms",
            "; ".join(f"{','.join(query.metrics)} over {query.period}" for query in queries),
            len(queries),
            len(compiled.statements),
            (time.perf_counter() - started) * 1000,
        )
        return tuple(results)

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
        # The aggregates this query's metrics are made of: its statements may compute other
        # queries' metrics too (compile_pass), which are not this query's figures.
        self.parts = {part.name for metric in compiled.metrics for part in catalog.parts(metric)}
        self.values: dict[tuple[str, int, str | None], float | None] = {}
        # The comparison buckets the data covers: one starting before the first order is left
        # out of the comparison (module docstring).
        self.covered = [
            bucket
            for bucket in self.buckets.comparison
            if data is not None and self.buckets.ranges[bucket].start >= data.start
        ]

    def add(
        self, statement: Statement, rows: Iterable[Sequence[Any]], columns: Mapping[str, int]
    ) -> None:
        """``statement``'s rows of the pass: each ``columns`` (the pass's, by name) a figure."""
        own = [metric.name for metric in statement.metrics if metric.name in self.parts]
        bucket, dimension = columns["bucket_id"], columns["dimension_value"]
        for row in rows:
            for name in own:
                self.values[(name, row[bucket], row[dimension])] = row[columns[name]]

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
