"""The metrics layer: every figure the control room states, defined once and compiled to SQL.

``metrics.yaml`` defines each metric (name, label, synonyms, unit, aggregation, SQL pieces,
dimensions, grains, default comparison) and the dimensions; ``MetricCatalog.load()`` validates
it at start-up. ``MetricsLayer(catalog).run(connection, query)`` answers a ``MetricQuery`` —
totals, a breakdown, a series, each figure against its comparison — from DuckDB SQL with bound
parameters; ``run_all(connection, queries)`` answers several in one pass, sharing their scans;
and ``explain(query)`` says how each figure was computed.

Exceptions::

    MetricsError
     ├── MetricCatalogError   metrics.yaml is unreadable, malformed or inconsistent
     └── MetricQueryError     an unknown or analysis metric, or a dimension, filter, grain or
                              comparison the metric does not allow
"""

from integrations.warehouse.metrics._exceptions import (
    MetricCatalogError,
    MetricQueryError,
    MetricsError,
)
from integrations.warehouse.metrics.catalog import DEFAULT_PATH, MetricCatalog, normalize_term
from integrations.warehouse.metrics.definitions import (
    AggregateMetric,
    AnalysisMetric,
    Dimension,
    MetricDefinition,
    RatioMetric,
    SqlMetric,
    Unit,
)
from integrations.warehouse.metrics.layer import MetricsLayer
from integrations.warehouse.metrics.query import (
    Comparison,
    DateRange,
    DimensionName,
    Filter,
    Grain,
    MetricQuery,
)
from integrations.warehouse.metrics.results import (
    BreakdownRow,
    ExplainedStatement,
    Explanation,
    MetricResult,
    MetricSeries,
    MetricValue,
    SeriesPoint,
)

__all__ = [
    "DEFAULT_PATH",
    "AggregateMetric",
    "AnalysisMetric",
    "BreakdownRow",
    "Comparison",
    "DateRange",
    "Dimension",
    "DimensionName",
    "ExplainedStatement",
    "Explanation",
    "Filter",
    "Grain",
    "MetricCatalog",
    "MetricCatalogError",
    "MetricDefinition",
    "MetricQuery",
    "MetricQueryError",
    "MetricResult",
    "MetricSeries",
    "MetricValue",
    "MetricsError",
    "MetricsLayer",
    "RatioMetric",
    "SeriesPoint",
    "SqlMetric",
    "Unit",
    "normalize_term",
]
