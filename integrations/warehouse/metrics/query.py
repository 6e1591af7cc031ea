"""What a metrics query asks for: metrics, a date range, an optional breakdown or series grain,
filters and a comparison. Plans (``agents.planner``) carry these; the layer compiles them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Grain = Literal["day", "week", "month", "quarter", "year"]
# "period": the period named in ``compare_to`` ("October vs August", "yesterday vs the same day
# last week"); the others are computed from the period asked about.
Comparison = Literal["previous_period", "same_period_last_year", "four_week_average", "period"]
DimensionName = Literal["channel", "signup_channel", "category", "country", "topic"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateRange(_Frozen):
    """Calendar days in the team's time zone, both ends included."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"a date range ends on or after its start ({self.start} > {self.end})")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Filter(_Frozen):
    """Keep only rows whose ``dimension`` is one of ``values`` (the dimension's own spelling)."""

    dimension: DimensionName
    values: tuple[str, ...] = Field(min_length=1)


class MetricQuery(_Frozen):
    """Metrics over a date range: one total each, a breakdown (``by``) or a series (``grain``),
    with ``compare`` giving the comparison each figure is shown against (None: none;
    "period": the days of ``compare_to``)."""

    metrics: tuple[str, ...] = Field(min_length=1)
    period: DateRange
    by: DimensionName | None = None
    grain: Grain | None = None
    filters: tuple[Filter, ...] = ()
    compare: Comparison | None = "previous_period"
    compare_to: DateRange | None = None

    @model_validator(mode="after")
    def _compared(self) -> MetricQuery:
        if (self.compare == "period") != (self.compare_to is not None):
            raise ValueError(
                "compare_to names the period compared with exactly when compare is 'period'"
            )
        return self
