"""A follow-up in an answer's thread changes what it states of the thread's last metrics plan,
and nothing else; a new question of another kind is not a follow-up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import policies
from agents.planner.follow_up import follow_up
from agents.planner.plans import AnalysisPlan, CopyPlan, Filter, MetricsPlan, Plans
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import DateRange, MetricCatalog
from policies import load_policies

TODAY = date(2026, 11, 25)  # a Wednesday
LAST_WEEK = DateRange(start=date(2026, 11, 16), end=date(2026, 11, 22))
REVENUE_LAST_WEEK = Plans(plans=(MetricsPlan(metrics=("revenue",), period=LAST_WEEK),))


@pytest.fixture(scope="module")
def rules() -> RulesPlanner:
    segments = load_policies(Path(policies.__file__).parent).rfm.segment_names
    return RulesPlanner(MetricCatalog.load(), list(segments))


def _changed(rules: RulesPlanner, request: str) -> MetricsPlan:
    plans = follow_up(request, REVENUE_LAST_WEEK, TODAY, rules)
    assert plans is not None, request
    (plan,) = plans.plans
    assert isinstance(plan, MetricsPlan)
    return plan


@pytest.mark.parametrize("request_text", ["and the week before?", "what about the one before"])
def test_the_period_before(rules: RulesPlanner, request_text: str) -> None:
    plan = _changed(rules, request_text)
    assert plan.period == DateRange(start=date(2026, 11, 9), end=date(2026, 11, 15))
    assert plan.metrics == ("revenue",)


def test_another_named_period(rules: RulesPlanner) -> None:
    plan = _changed(rules, "what about october?")
    assert plan.period == DateRange(start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert plan.metrics == ("revenue",)


def test_a_breakdown_keeps_the_period_and_the_metric(rules: RulesPlanner) -> None:
    plan = _changed(rules, "by channel?")
    assert (plan.by, plan.period, plan.metrics) == ("channel", LAST_WEEK, ("revenue",))


def test_a_filter(rules: RulesPlanner) -> None:
    plan = _changed(rules, "just paid social")
    assert plan.filters == (Filter(dimension="channel", values=("paid_social",)),)
    assert plan.period == LAST_WEEK


def test_another_metric_for_the_same_period(rules: RulesPlanner) -> None:
    plan = _changed(rules, "and orders?")
    assert (plan.metrics, plan.period) == (("orders",), LAST_WEEK)


def test_a_new_question_of_another_kind_is_not_a_follow_up(rules: RulesPlanner) -> None:
    assert (
        follow_up("write an instagram caption for the rain shell", REVENUE_LAST_WEEK, TODAY, rules)
        is None
    )
    copy_only = Plans(plans=(CopyPlan(format="email", theme="boots"),))
    assert follow_up("and the week before?", copy_only, TODAY, rules) is None


SEPTEMBER = DateRange(start=date(2026, 9, 1), end=date(2026, 9, 30))
CHURN = Plans(plans=(AnalysisPlan(analysis="churn"),))


def test_a_period_alone_after_churn_or_segments_asks_them_as_of_its_end(
    rules: RulesPlanner,
) -> None:
    assert follow_up("and in september?", CHURN, TODAY, rules) == Plans(
        plans=(AnalysisPlan(analysis="churn", period=SEPTEMBER),)
    )
    at_risk = AnalysisPlan(analysis="segments", segment="At Risk", period=SEPTEMBER)
    before = follow_up("the month before?", Plans(plans=(at_risk,)), TODAY, rules)
    august = DateRange(start=date(2026, 8, 1), end=date(2026, 8, 31))
    assert before == Plans(plans=(at_risk.model_copy(update={"period": august}),))


@pytest.mark.parametrize("request_text", ["by channel?", "revenue in september", "thanks!"])
def test_anything_more_than_a_period_after_an_analysis_is_not_a_follow_up(
    rules: RulesPlanner, request_text: str
) -> None:
    assert follow_up(request_text, CHURN, TODAY, rules) is None


def test_a_new_period_drops_the_period_named_to_compare_with(rules: RulesPlanner) -> None:
    october_vs_august = MetricsPlan(
        metrics=("revenue",),
        period=DateRange(start=date(2026, 10, 1), end=date(2026, 10, 31)),
        compare="period",
        compare_to=DateRange(start=date(2026, 8, 1), end=date(2026, 8, 31)),
    )
    plans = follow_up("and november?", Plans(plans=(october_vs_august,)), TODAY, rules)

    assert plans is not None
    (plan,) = plans.plans
    assert isinstance(plan, MetricsPlan)
    assert plan.period.start == date(2026, 11, 1)
    assert (plan.compare, plan.compare_to) == ("previous_period", None)
