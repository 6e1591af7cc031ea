"""One metric's definition, as ``metrics.yaml`` writes it, and the checks a definition passes alone.

Three kinds, told apart by their keys:

- ``AggregateMetric``: an aggregate (sum, count, count of distinct values, median) of an
  expression over one source's rows dated in the period, optionally only the rows a ``filter``
  keeps; with ``window_days`` the distinct values in the rows of the N days ending on the
  period's last day instead.
- ``RatioMetric``: one aggregate metric divided by another (None when the denominator is zero).
- ``AnalysisMetric`` (``computed_by: analysis``): a figure the analytics tools compute (churn,
  lifetime value, segments, cohorts, forecast). The planner knows it by name; it is not compiled.

Checks that need the whole catalog (names, synonyms, ratios, dimensions) are in ``catalog``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from integrations.warehouse.metrics.query import Comparison, DimensionName, Grain
from integrations.warehouse.metrics.sources import SOURCES

Unit = Literal["currency", "count", "ratio", "multiple", "hours"]
Aggregation = Literal["sum", "count", "count_distinct", "median"]

# Names a metric's SQL may use besides table columns: the first and last day of the bucket
# (the period, a comparison period or a point of a series) the row is counted in.
BUCKET_COLUMNS = frozenset({"bucket_start", "bucket_end"})
_BUCKET_NAME = re.compile(rf"\b({'|'.join(sorted(BUCKET_COLUMNS))})\b", re.IGNORECASE)
_QUALIFIED_NAME = re.compile(r"\b([a-z_][a-z0-9_]*)\.[a-z_][a-z0-9_]*\b", re.IGNORECASE)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(_Frozen):
    """A way to break figures down. ``columns`` maps each source to the column that holds the
    dimension for its rows (``table.column``; the table is the source or one it joins)."""

    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    columns: dict[str, str]

    @model_validator(mode="after")
    def _reachable(self) -> Dimension:
        for source_name, column in self.columns.items():
            source = SOURCES.get(source_name)
            if source is None:
                raise ValueError(f"unknown source {source_name!r} (known: {', '.join(SOURCES)})")
            table = column.partition(".")[0]
            if "." not in column or table not in source.tables:
                raise ValueError(
                    f"column {column!r} for {source_name} is not table.column of one of "
                    f"{', '.join(sorted(source.tables))}"
                )
        return self


class _Metric(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    synonyms: tuple[str, ...] = ()
    unit: Unit


class _SqlMetric(_Metric):
    computed_by: Literal["sql"] = "sql"
    dimensions: tuple[DimensionName, ...]
    grains: tuple[Grain, ...]
    default_comparison: Comparison


class AggregateMetric(_SqlMetric):
    """``aggregation`` of ``expression`` over ``table``'s rows dated (``date_column``) in the
    period and kept by ``filter``; with ``window_days``, the rows of the N days ending on the
    period's last day (a snapshot such as active customers)."""

    aggregation: Aggregation
    table: str
    date_column: str
    expression: str | None = None
    filter: str | None = None
    window_days: int | None = Field(default=None, ge=1, le=3660)

    @model_validator(mode="after")
    def _consistent(self) -> AggregateMetric:
        source = SOURCES.get(self.table)
        if source is None:
            raise ValueError(f"unknown table {self.table!r} (known: {', '.join(SOURCES)})")
        if self.date_column != source.date_column:
            raise ValueError(
                f"date_column {self.date_column!r}: rows of {self.table} are dated by "
                f"{source.date_column}"
            )
        if self.expression is None and self.aggregation != "count":
            raise ValueError(f"aggregation {self.aggregation} needs an expression")
        if self.window_days is not None and self.aggregation != "count_distinct":
            raise ValueError(
                "window_days counts the distinct values in the rows of the window: "
                "only aggregation count_distinct applies"
            )
        if self.window_days is not None and _BUCKET_NAME.search(
            f"{self.expression} {self.filter or ''}"
        ):
            raise ValueError(
                "with window_days a row is counted for the window, not for one period: "
                f"expression and filter cannot name {' or '.join(sorted(BUCKET_COLUMNS))}"
            )
        if source.weekly and self.aggregation != "sum":
            raise ValueError(
                f"{self.table} rows cover a week each and are shared out between periods: "
                "only aggregation sum applies"
            )
        for key, sql in (("expression", self.expression), ("filter", self.filter)):
            for table in _QUALIFIED_NAME.findall(sql or ""):
                if table not in source.tables:
                    raise ValueError(
                        f"{key} names table {table!r}, which {self.table} does not reach "
                        f"(it reaches {', '.join(sorted(source.tables))})"
                    )
        return self

    @property
    def additive(self) -> bool:
        """A sum or count over the period's rows: its values over several periods add up to
        the numerator or denominator of a ratio over them (not so a median or a snapshot)."""
        return self.aggregation != "median" and self.window_days is None

    @property
    def empty_value(self) -> float | None:
        """The value over no rows: 0 for a sum or a count, none for a median."""
        return None if self.aggregation == "median" else 0.0


class RatioMetric(_SqlMetric):
    """``numerator`` / ``denominator`` (two aggregate metrics); None when the denominator is
    zero, and with ``requires_numerator`` also when the numerator is (CAC without spend)."""

    aggregation: Literal["ratio"]
    numerator: str
    denominator: str
    requires_numerator: bool = False

    def divide(self, numerator: float | None, denominator: float | None) -> float | None:
        """The ratio of two component values, or None where it is undefined."""
        if numerator is None or not denominator:
            return None
        if self.requires_numerator and numerator == 0:
            return None
        return numerator / denominator


class AnalysisMetric(_Metric):
    """A figure the analytics tools compute; the planner knows it, the compiler never sees it."""

    computed_by: Literal["analysis"]


def _kind(value: Any) -> str:
    """Which definition a YAML mapping (or a model) is: analysis, ratio or aggregate."""
    if isinstance(value, dict):
        computed_by, aggregation = value.get("computed_by"), value.get("aggregation")
    else:
        computed_by = getattr(value, "computed_by", None)
        aggregation = getattr(value, "aggregation", None)
    if computed_by == "analysis":
        return "analysis"
    return "ratio" if aggregation == "ratio" else "aggregate"


SqlMetric = AggregateMetric | RatioMetric
MetricDefinition = AggregateMetric | RatioMetric | AnalysisMetric
# The same union as YAML is validated: the kind is chosen from the keys, so an error names the
# keys of that kind only.
DefinitionField = Annotated[
    Annotated[AggregateMetric, Tag("aggregate")]
    | Annotated[RatioMetric, Tag("ratio")]
    | Annotated[AnalysisMetric, Tag("analysis")],
    Discriminator(_kind),
]
DEFINITION_TAGS = frozenset({"aggregate", "ratio", "analysis"})
