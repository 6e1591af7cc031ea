"""Analysis plans: RFM segments, churn risk, cohorts and lifetime value from the Insights tools,
and the revenue forecast for a period, set against another period when asked ("are we going to
beat last December?"). The forecast's figures are facts worded through slots."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from agents import formatting as fmt
from agents.finance.forecast import MAX_HORIZON, MIN_HORIZON, RevenueForecast, forecast_revenue
from agents.finance.weeks import weekly_revenue
from agents.insights import NoOrdersError
from agents.insights.agent import InsightsAgent
from agents.planner.periods import period_label
from agents.planner.plans import AS_OF_ANALYSES, AnalysisPlan
from integrations.llm import Fact, LanguageModel, SlotText
from integrations.text import escape_mrkdwn
from integrations.warehouse import Warehouse
from integrations.warehouse.metrics import DateRange, MetricQuery, MetricsLayer
from prompts import AgentPrompts
from workflows.ask.answers import PlanAnswer, plan_explanations

_FOCUS = {
    "segments": ["segments"],
    "churn": ["churn"],
    "lifetime_value": ["churn"],
    "cohorts": ["cohorts"],
}
_HEADINGS = {
    "segments": "Customer segments (RFM)",
    "churn": "Churn risk",
    "lifetime_value": "Customer value and churn risk",
    "cohorts": "Cohort retention",
}


def answer_insights(plan: AnalysisPlan, insights: InsightsAgent) -> PlanAnswer:
    """Segments (one named segment first), churn risk, lifetime value or cohorts, as the
    Insights specialist reports them: as of the end of the plan's period when it names one
    ("at risk customers in September"), else of the data's last day. A cohort plan's period
    says which cohorts are meant ("the people we acquired in the summer"): the heatmap shows
    every cohort, so it is read as of the last day."""
    as_of = plan.period.end if plan.period and plan.analysis in AS_OF_ANALYSES else None
    heading = _HEADINGS[plan.analysis] + (f" · {plan.segment}" if plan.segment else "")
    try:
        report = insights.report(_FOCUS[plan.analysis], as_of=as_of)
    except NoOrdersError:
        if as_of is None:  # no orders at all: the branch fails, saying so
            raise
        return PlanAnswer(
            plan=plan,
            heading=heading,
            text=f"There were no orders yet in the week to {fmt.day(as_of)}: no customers to "
            "look at then.",
        )
    lines = []
    reported = date.fromisoformat(report.facts["as_of"])
    if as_of is not None:
        heading += f" · as of {fmt.day(reported)}"
        if as_of > reported:
            lines.append(
                f"_The data runs to {fmt.day(reported)}: these are the customers as of then._"
            )
    if plan.segment:
        segment = report.facts.get("segments", {}).get(plan.segment)
        if segment is None:
            name = f"*{escape_mrkdwn(plan.segment)}*"
            lines.append(
                f"No customer is in {name} right now."
                if as_of is None
                else f"No customer was in {name} on {fmt.day(reported)}."
            )
        else:
            lines.append(
                f"*{escape_mrkdwn(plan.segment)}:* {segment['customers']:,} customers,"
                f" {segment['customer_share']:.1%} of all,"
                f" {segment['revenue_share']:.1%} of revenue."
            )
    lines.append(report.text)
    return PlanAnswer(
        plan=plan,
        heading=heading,
        text="\n".join(lines),
        written_by=report.written_by,
        charts=report.charts,
    )


def answer_forecast(
    plan: AnalysisPlan,
    *,
    warehouse: Warehouse,
    layer: MetricsLayer,
    model: LanguageModel,
    prompts: AgentPrompts,
    request: str,
) -> PlanAnswer:
    """Revenue forecast for the plan's period (the forecast's own weeks without one): what has
    been sold so far in it plus the forecast for the rest, against ``compare_to``'s actual."""
    with warehouse.connect() as connection:
        history = weekly_revenue(connection)
        first_week = history.last + timedelta(days=7)
        period = plan.period or DateRange(
            start=first_week, end=first_week + timedelta(weeks=MIN_HORIZON * 2, days=-1)
        )
        weeks_needed = _weeks_to_cover(first_week, period.end)
        if weeks_needed > MAX_HORIZON:
            return _beyond_horizon(plan, period, first_week)
        actual = _revenue(layer, connection, period, before=first_week)
        compared = _revenue(layer, connection, plan.compare_to) if plan.compare_to else None
    forecast = forecast_revenue(history, weeks=max(weeks_needed, MIN_HORIZON))
    ahead, low, high = _forecast_within(forecast, period)
    total = actual + ahead
    facts = [
        Fact(name="period", unit="text", text=period_label(period), label="the period forecast"),
        Fact(name="forecast", unit="currency", value=total, label="expected revenue in the period"),
        Fact(name="forecast_low", unit="currency", value=actual + low, label="lower bound"),
        Fact(name="forecast_high", unit="currency", value=actual + high, label="upper bound"),
        Fact(
            name="interval",
            unit="ratio",
            value=forecast.interval_level,
            decimals=0,
            label="interval level",
        ),
        Fact(name="so_far", unit="currency", value=actual, label="revenue already in the period"),
        Fact(name="error", unit="ratio", value=forecast.backtest.mape, label="backtest error"),
    ]
    text = (
        "Expected revenue for {period}: {forecast}"
        " ({interval} interval {forecast_low} to {forecast_high})."
    )
    if actual:
        text += " That includes {so_far} already sold."
    if compared is not None and plan.compare_to is not None:
        facts += [
            Fact(
                name="compare_period",
                unit="text",
                text=period_label(plan.compare_to),
                label="the period compared",
            ),
            Fact(
                name="compare_revenue", unit="currency", value=compared, label="its actual revenue"
            ),
            Fact(
                name="versus",
                unit="ratio",
                signed=True,
                value=total / compared - 1 if compared else None,
                label="expected change against it",
            ),
        ]
        text += " Against {compare_period} ({compare_revenue}): {versus}."
        if compared and low + actual > compared:
            text += " Even the low end of the interval beats it."
        elif compared and high + actual < compared:
            text += " Even the high end of the interval falls short of it."
        else:
            text += " The interval spans it, so it could go either way."
    text += " The model's backtest error was {error}."
    prompt = prompts.tasks["forecast_answer"].render(request=request)
    written = model.write_slots("finance", prompts.system, prompt, facts, offline=SlotText(text))
    heading = f"Revenue forecast · {period_label(period)}"
    if plan.compare_to:
        heading += f" · vs {period_label(plan.compare_to)}"
    return PlanAnswer(
        plan=plan,
        heading=heading,
        text=written.text,
        written_by=written.source,
        explanations=plan_explanations(layer, [plan]),
        refused=written.refused,
    )


def _weeks_to_cover(first_week: date, end: date) -> int:
    return max(0, (end - first_week).days // 7 + 1)


def _beyond_horizon(plan: AnalysisPlan, period: DateRange, first_week: date) -> PlanAnswer:
    furthest = first_week + timedelta(weeks=MAX_HORIZON, days=-1)
    return PlanAnswer(
        plan=plan,
        heading=f"Revenue forecast · {period_label(period)}",
        text=(
            f"The forecast reaches {MAX_HORIZON} weeks ahead, to {fmt.day(furthest)}: "
            f"{escape_mrkdwn(period_label(period))} is further out than it can say anything useful."
        ),
    )


def _revenue(
    layer: MetricsLayer,
    connection: duckdb.DuckDBPyConnection,
    period: DateRange,
    *,
    before: date | None = None,
) -> float:
    """Actual revenue in ``period`` (only the days before ``before`` when given)."""
    end = min(period.end, before - timedelta(days=1)) if before else period.end
    if end < period.start:
        return 0.0
    query = MetricQuery(
        metrics=("revenue",), period=DateRange(start=period.start, end=end), compare=None
    )
    result = layer.run(connection, query)
    return float(result.totals[0].value or 0.0)


def _forecast_within(forecast: RevenueForecast, period: DateRange) -> tuple[float, float, float]:
    """The forecast's revenue, lower and upper bound over the days of ``period`` it covers
    (a week partly inside counts for its share of days)."""
    point = low = high = 0.0
    for week in forecast.weeks:
        days = _overlap(week.week_start, period)
        point += week.revenue * days / 7
        low += week.lower * days / 7
        high += week.upper * days / 7
    return point, low, high


def _overlap(week_start: date, period: DateRange) -> int:
    start = max(week_start, period.start)
    end = min(week_start + timedelta(days=6), period.end)
    return max(0, (end - start).days + 1)
