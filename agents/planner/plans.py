"""A question as a typed plan: what to compute (or do), never how to word it.

A request becomes one or more plans (``Plans``): a metrics query, an analysis, an action (a
win-back what-if, copy in a format, a support answer), or ``clarify`` / ``decline``. The model
planner fills this schema through strict structured output; the rules planner builds it from
the metrics layer's names, synonyms and dates. Both are validated the same way.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from integrations.warehouse.metrics.query import (
    Comparison,
    DateRange,
    DimensionName,
    Filter,
    Grain,
    MetricQuery,
)

AnalysisName = Literal["segments", "churn", "cohorts", "forecast", "lifetime_value"]
CopyFormat = Literal[
    "instagram_caption", "social_post", "email", "subject_lines", "ad", "sms", "tagline"
]
PlannedBy = Literal["model", "rules"]


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricsPlan(_Plan):
    """Figures from the metrics layer: ``metrics`` over ``period``, broken down ``by`` a
    dimension or as a series by ``grain``, filtered, against ``compare`` (``compare_to``: the
    period named to compare with, when ``compare`` is "period")."""

    kind: Literal["metrics"] = "metrics"
    metrics: tuple[str, ...] = Field(min_length=1)
    period: DateRange
    by: DimensionName | None = None
    grain: Grain | None = None
    filters: tuple[Filter, ...] = ()
    compare: Comparison | None = "previous_period"
    compare_to: DateRange | None = None

    @model_validator(mode="after")
    def _a_query(self) -> MetricsPlan:
        self.query()  # what the layer refuses (a comparison without its period) is no plan
        return self

    def query(self) -> MetricQuery:
        return MetricQuery(
            metrics=self.metrics,
            period=self.period,
            by=self.by,
            grain=self.grain,
            filters=self.filters,
            compare=self.compare,
            compare_to=self.compare_to,
        )


# The analyses a period asks as of its last day ("at-risk customers in September"); a cohort
# plan's period says which cohorts, and the forecast's which weeks.
AS_OF_ANALYSES: tuple[AnalysisName, ...] = ("segments", "churn", "lifetime_value")


class AnalysisPlan(_Plan):
    """An analysis from the insights and finance tools: RFM segments (optionally one),
    churn risk, cohort retention, expected lifetime value, or the revenue forecast for
    ``period`` set against ``compare_to`` (e.g. this December vs last December). Segments,
    churn risk and lifetime value with a ``period`` are computed as of its last day ("at-risk
    customers in September")."""

    kind: Literal["analysis"] = "analysis"
    analysis: AnalysisName
    segment: str | None = None
    period: DateRange | None = None
    compare_to: DateRange | None = None


class WinbackWhatIfPlan(_Plan):
    """What a win-back offer would return: ``discount`` as a fraction (0.2 = 20% off; None: the
    policy's options), for ``segment`` (None: the policy's target segments)."""

    kind: Literal["winback_what_if"] = "winback_what_if"
    discount: float | None = Field(default=None, gt=0, lt=1)
    segment: str | None = None


class CopyPlan(_Plan):
    """Marketing copy in a format on a theme (None: the season's best-selling categories)."""

    kind: Literal["copy"] = "copy"
    format: CopyFormat
    theme: str | None = None


class SupportPlan(_Plan):
    """A customer's question for the knowledge base."""

    kind: Literal["support"] = "support"
    question: str = Field(min_length=1)


class ClarifyPlan(_Plan):
    """One short question back, when the request could mean several things."""

    kind: Literal["clarify"] = "clarify"
    question: str = Field(min_length=1)


class DeclinePlan(_Plan):
    """Out of scope: say so, and what the control room can do."""

    kind: Literal["decline"] = "decline"
    reason: str = Field(min_length=1)


Plan = Annotated[
    MetricsPlan
    | AnalysisPlan
    | WinbackWhatIfPlan
    | CopyPlan
    | SupportPlan
    | ClarifyPlan
    | DeclinePlan,
    Field(discriminator="kind"),
]


class Plans(_Plan):
    """Every plan a request needs, in the order they are answered (a multi-intent request has
    several)."""

    plans: tuple[Plan, ...] = Field(min_length=1, max_length=4)
