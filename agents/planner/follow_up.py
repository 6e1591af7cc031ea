"""A follow-up in a thread changes the thread's last metrics plan: "and the week before?",
"what about October?", "by channel?", "just paid social", "vs last year".

The request is read as a fresh one (``RulesPlanner``), and what it states explicitly — a period,
a breakdown, a series grain, filters, a comparison, metrics it names — replaces the same part of
the last plan. A request that states none of those, or that is a new question of another kind
(copy, a forecast, a support question), is not a follow-up.

A thread with no metrics plan may follow up its last segments, churn or lifetime-value plan
with a period alone ("and in September?"): the analysis as of that period's end.
"""

from __future__ import annotations

import re
from datetime import date

from agents.planner.plans import AS_OF_ANALYSES, AnalysisPlan, ClarifyPlan, MetricsPlan, Plans
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import normalize_term
from integrations.warehouse.metrics.periods import previous_period

# "the week before", "the month before that", "the previous one", "davor", "la anterior"…
_BEFORE = re.compile(
    r"\b(the )?(week|month|quarter|year|day|one|period)s? (before|prior)\b|\bbefore that\b"
    r"|\b(the )?previous (one|week|month|quarter|year|period)\b|\bdavor\b|\bvorher\b"
    r"|\b(la |el )?(semana |mes )?anterior\b|\b(la |le )?(semaine |mois )?(precedente?|d avant)\b"
)


def follow_up(request: str, previous: Plans, today: date, rules: RulesPlanner) -> Plans | None:
    """The thread's last metrics plan changed as ``request`` says; None when ``request`` is
    not a follow-up of it (it states nothing a metrics plan has, or it asks for something
    else: copy, a forecast, a customer's question)."""
    last = next((p for p in reversed(previous.plans) if isinstance(p, MetricsPlan)), None)
    if last is None:
        return _analysis_follow_up(request, previous, today, rules)
    fresh = rules.plan(request, today)
    if not all(isinstance(p, MetricsPlan | ClarifyPlan) for p in fresh.plans):
        return None
    stated = rules.stated(request, today)
    update: dict[str, object] = {}
    if _BEFORE.search(f" {normalize_term(request)} "):
        update["period"] = previous_period(last.period)
    elif stated.period is not None:
        update["period"] = stated.period
    if stated.metrics:
        update["metrics"] = stated.metrics
    if stated.by is not None:
        update["by"] = stated.by
    if stated.grain is not None:
        update["grain"] = stated.grain
    if stated.filters:
        update["filters"] = stated.filters
    if stated.compare_stated:
        update["compare"] = stated.compare
    if last.compare_to is not None and ("period" in update or "compare" in update):
        # The period named to compare with was named for the old period: the new one is set
        # against its own period before (or what the follow-up states).
        update.setdefault("compare", "previous_period")
        update["compare_to"] = None
    if not update:
        return None
    return Plans(plans=(last.model_copy(update=update),))


def _analysis_follow_up(
    request: str, previous: Plans, today: date, rules: RulesPlanner
) -> Plans | None:
    """The thread's last as-of analysis at the period ``request`` states and nothing else
    ("and in September?", "the month before?"); None when it states more or no period."""
    last = next(
        (
            p
            for p in reversed(previous.plans)
            if isinstance(p, AnalysisPlan) and p.analysis in AS_OF_ANALYSES
        ),
        None,
    )
    if last is None or not all(
        isinstance(p, ClarifyPlan) for p in rules.plan(request, today).plans
    ):
        return None
    stated = rules.stated(request, today)
    if stated.metrics or stated.by or stated.grain or stated.filters:
        return None
    period = stated.period
    if _BEFORE.search(f" {normalize_term(request)} ") and last.period is not None:
        period = previous_period(last.period)
    if period is None:
        return None
    return Plans(plans=(last.model_copy(update={"period": period}),))
