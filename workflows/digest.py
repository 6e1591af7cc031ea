"""The weekly GTM digest as data: built from the four specialists' weekly sections, with the
actions it recommends (rendered as text and spreadsheet rows by ``digest_render``, as Block Kit
by ``bot.blocks.digest``).

Every figure is copied from a section's facts (the specialists' tools computed it); nothing here
recomputes a number. The actions it recommends are typed and chosen by fixed rules
(``digest_actions``), so the same week always gives the same suggestions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from agents import formatting as fmt
from agents.specialist import SPECIALISTS, Specialist
from agents.support.gaps import KnowledgeGapReport
from workflows.digest_actions import Action, ActionRules, DigestModel, recommended_actions

Unit = Literal["money", "count", "share", "times"]

# The headline figures, in the digest's order: (fact name, label, unit).
HEADLINE: tuple[tuple[str, str, Unit], ...] = (
    ("revenue", "Revenue", "money"),
    ("orders", "Orders", "count"),
    ("average_order_value", "Average order value", "money"),
    ("new_customers", "New customers", "count"),
    ("repeat_rate", "Repeat rate", "share"),
    ("active_customers", "Active customers (90 days)", "count"),
    ("marketing_spend", "Marketing spend", "money"),
    ("blended_roas", "Blended ROAS", "times"),
    ("blended_cac", "Blended CAC", "money"),
)


class Kpi(DigestModel):
    """One headline figure with the week before and the change."""

    name: str
    label: str
    unit: Unit
    value: float | None
    previous: float | None
    change_ratio: float | None

    @property
    def value_text(self) -> str:
        """The figure as people read it: "$94,264", "89.2%", "41.2×", "893"."""
        if self.unit == "money":
            return fmt.money(self.value)
        if self.unit == "share":
            return fmt.share(self.value, digits=1)
        if self.unit == "times":
            return fmt.times(self.value)
        return fmt.count(self.value)

    @property
    def change_text(self) -> str | None:
        """The change since the week before: a rate's in percentage points ("+1.2 pts"), the
        others relative ("+4.2%"); None without a week before to compare with."""
        if self.unit == "share":
            if self.value is None or self.previous is None:
                return None
            return fmt.points(self.value - self.previous)
        return None if self.change_ratio is None else fmt.change(self.change_ratio)


class ChannelRow(DigestModel):
    """One marketing channel's week."""

    channel: str
    spend: float
    attributed_revenue: float | None
    revenue_change_ratio: float | None
    attributed_orders: float | None
    new_customers: float | None
    roas: float | None
    previous_roas: float | None
    cac: float | None


class SegmentMovement(DigestModel):
    """Customers who moved from one RFM segment to another during the week."""

    from_segment: str
    to_segment: str
    customers: int


class ChurnRisk(DigestModel):
    """Recent customers unlikely to still be buying (P(alive) below the threshold)."""

    model: str
    recent_customers: int
    at_risk_customers: int
    at_risk_share: float
    at_risk_average_order_value: float | None


class CohortHighlight(DigestModel):
    """The latest cohort's retention in a given month against earlier cohorts."""

    cohort: date
    customers: int
    month: int
    rate: float
    earlier_average_rate: float | None


class ForecastSummary(DigestModel):
    """Revenue forecast for the coming weeks, beside the same weeks a year before."""

    model: str
    weeks: int
    first_week: date
    total: float
    same_weeks_last_year: float | None
    change_vs_last_year: float | None
    backtest_mape: float | None


class SupportVolume(DigestModel):
    """Tickets and escalations of the week."""

    week_start: date
    tickets: int
    previous_tickets: int
    escalated: int
    escalation_rate: float | None
    previous_escalation_rate: float | None
    median_hours_to_resolve: float | None
    top_topics: list[tuple[str, int]]


class Unavailable(DigestModel):
    """A section the digest could not include, and why (the error is in the run log)."""

    section: Specialist
    reason: str


class DigestChart(DigestModel):
    """A chart of the digest, kept as a PNG file (not in the workflow checkpoint)."""

    section: Specialist
    title: str
    path: Path

    def png(self) -> bytes:
        return self.path.read_bytes()


class DigestCost(DigestModel):
    """What the run's language-model calls cost (zero with the offline writer)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0


class Digest(DigestModel):
    """The weekly GTM digest: every section's figures, the recommended actions, what was
    unavailable, the charts and the specialists' prose."""

    run_id: str
    week_start: date | None
    week_end: date | None
    headline: list[Kpi] = Field(default_factory=list)
    channels: list[ChannelRow] = Field(default_factory=list)
    movements: list[SegmentMovement] = Field(default_factory=list)
    churn: ChurnRisk | None = None
    cohort: CohortHighlight | None = None
    forecast: ForecastSummary | None = None
    support: SupportVolume | None = None
    knowledge_gaps: KnowledgeGapReport | None = None  # support's; None without a question log
    recommended_actions: list[Action] = Field(default_factory=list)
    unavailable: list[Unavailable] = Field(default_factory=list)
    charts: list[DigestChart] = Field(default_factory=list)
    prose: dict[Specialist, str] = Field(default_factory=dict)
    cost: DigestCost = DigestCost()


def digest_from_sections(
    run_id: str,
    facts: Mapping[Specialist, Mapping[str, Any]],
    *,
    prose: Mapping[Specialist, str] | None = None,
    unavailable: list[Unavailable] | None = None,
    charts: list[DigestChart] | None = None,
    rules: ActionRules | None = None,
) -> Digest:
    """The digest from the facts of the sections that came back (a missing one stays empty)."""
    finance, marketing = facts.get("finance"), facts.get("marketing")
    insights, support = facts.get("insights"), facts.get("support")
    week_start = next(
        (date.fromisoformat(part["week_start"]) for part in (finance, marketing, support) if part),
        None,
    )
    digest = Digest(
        run_id=run_id,
        week_start=week_start,
        week_end=date.fromisoformat(finance["week_end"]) if finance else None,
        headline=_headline(finance) if finance else [],
        channels=_channels(marketing) if marketing else [],
        movements=[
            SegmentMovement(from_segment=m["from"], to_segment=m["to"], customers=m["customers"])
            for m in (insights or {}).get("moves", [])
        ],
        churn=_churn(insights.get("churn")) if insights else None,
        cohort=_cohort(insights.get("cohorts")) if insights else None,
        forecast=_forecast(finance.get("forecast")) if finance else None,
        support=_support(support) if support else None,
        knowledge_gaps=(support or {}).get("knowledge_gaps"),  # validated as the model
        unavailable=sorted(unavailable or [], key=lambda u: SPECIALISTS.index(u.section)),
        charts=charts or [],
        prose={name: prose[name] for name in SPECIALISTS if prose and name in prose},
    )
    actions = recommended_actions(digest, rules or ActionRules())
    return digest.model_copy(update={"recommended_actions": actions})


def _headline(finance: Mapping[str, Any]) -> list[Kpi]:
    return [
        Kpi(
            name=name,
            label=label,
            unit=unit,
            value=finance[name]["value"],
            previous=finance[name]["previous"],
            change_ratio=finance[name]["change_ratio"],
        )
        for name, label, unit in HEADLINE
    ]


def _channels(marketing: Mapping[str, Any]) -> list[ChannelRow]:
    rows = [ChannelRow(channel=name, **figures) for name, figures in marketing["channels"].items()]
    return sorted(rows, key=lambda row: -(row.attributed_revenue or 0))


def _churn(churn: Mapping[str, Any] | None) -> ChurnRisk | None:
    if churn is None:
        return None
    return ChurnRisk(
        model=churn["model"],
        recent_customers=churn["recent_customers"],
        at_risk_customers=churn["at_risk_customers"],
        at_risk_share=churn["at_risk_share"],
        at_risk_average_order_value=churn["at_risk_average_order_value"],
    )


def _cohort(cohorts: Mapping[str, Any] | None) -> CohortHighlight | None:
    if not cohorts or not cohorts.get("latest_cohort"):
        return None
    return CohortHighlight(
        cohort=date.fromisoformat(cohorts["latest_cohort"]),
        customers=cohorts["latest_cohort_size"],
        month=cohorts["month"],
        rate=cohorts["latest_rate"],
        earlier_average_rate=cohorts["earlier_average_rate"],
    )


def _forecast(forecast: Mapping[str, Any] | None) -> ForecastSummary | None:
    if not forecast:
        return None
    return ForecastSummary(
        model=forecast["model"],
        weeks=len(forecast["weeks"]),
        first_week=date.fromisoformat(forecast["weeks"][0]["week_start"]),
        total=forecast["total"],
        same_weeks_last_year=forecast.get("same_weeks_last_year"),
        change_vs_last_year=forecast.get("change_vs_last_year"),
        backtest_mape=forecast["backtest_mape"],
    )


def _support(support: Mapping[str, Any]) -> SupportVolume:
    return SupportVolume(
        week_start=date.fromisoformat(support["week_start"]),
        tickets=support["tickets"],
        previous_tickets=support["previous_tickets"],
        escalated=support["escalated"],
        escalation_rate=support["escalation_rate"],
        previous_escalation_rate=support.get("previous_escalation_rate"),
        median_hours_to_resolve=support["median_hours_to_resolve"],
        top_topics=list(support["by_topic"].items())[:3],
    )
