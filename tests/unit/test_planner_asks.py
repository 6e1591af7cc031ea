"""The rules planner on how asks are cut and read together, on examples of its own.

"Today" is Wednesday 11 March 2026: last week is 2–8 March, yesterday 10 March.
"""

from __future__ import annotations

from datetime import date

from agents.planner.plans import (
    AnalysisPlan,
    ClarifyPlan,
    CopyPlan,
    DeclinePlan,
    MetricsPlan,
    Plan,
    SupportPlan,
    WinbackWhatIfPlan,
)
from agents.planner.rules import ASK_AGAIN, RulesPlanner
from integrations.warehouse.metrics import DateRange, Filter

TODAY = date(2026, 3, 11)
LAST_WEEK = DateRange(start=date(2026, 3, 2), end=date(2026, 3, 8))
YESTERDAY = DateRange(start=date(2026, 3, 10), end=date(2026, 3, 10))


def plans(planner: RulesPlanner, request: str) -> tuple[Plan, ...]:
    return planner.plan(request, TODAY).plans


def test_each_item_of_a_list_closed_by_and_is_an_ask_of_its_own(planner: RulesPlanner) -> None:
    asked = plans(planner, "tickets yesterday, a tweet about the spring sale, and book me a taxi")
    assert len(asked) == 3
    assert MetricsPlan(metrics=("tickets",), period=YESTERDAY) in asked
    assert CopyPlan(format="social_post", theme="spring sale") in asked
    assert any(isinstance(plan, DeclinePlan) for plan in asked)


def test_figures_listed_with_and_stay_one_plan(planner: RulesPlanner) -> None:
    (plan,) = plans(planner, "revenue, orders, and aov for the US, the UK, and Germany last week")
    assert plan == MetricsPlan(
        metrics=("revenue", "orders", "aov"),
        period=LAST_WEEK,
        filters=(Filter(dimension="country", values=("US", "GB", "DE")),),
    )


def test_a_series_over_periods_that_follow_each_other_is_one_series(
    planner: RulesPlanner,
) -> None:
    (plan,) = plans(planner, "weekly orders for january and february")
    assert isinstance(plan, MetricsPlan) and plan.grain == "week"
    assert plan.period == DateRange(start=date(2026, 1, 1), end=date(2026, 2, 28))


def test_periods_apart_or_without_a_series_stay_separate_plans(planner: RulesPlanner) -> None:
    assert len(plans(planner, "monthly revenue for december and february")) == 2
    assert len(plans(planner, "revenue in january and february")) == 2


def test_an_everyday_segment_word_after_the_people_counts_when_spelt_as_the_policy(
    planner: RulesPlanner,
) -> None:
    (plan,) = plans(planner, "et si on offrait 25% aux clients Lost ?")
    assert plan == WinbackWhatIfPlan(discount=0.25, segment="Lost")
    (plan,) = plans(planner, "what would 25% off do for customers lost")
    assert isinstance(plan, WinbackWhatIfPlan) and plan.segment is None


def test_a_period_after_a_sentence_end_is_asked_about_not_compared_with(
    planner: RulesPlanner,
) -> None:
    (plan,) = plans(planner, "escalation rate, is it worse than before? yesterday")
    assert isinstance(plan, MetricsPlan)
    assert plan.metrics == ("escalation_rate",) and plan.period == YESTERDAY


def test_questions_named_by_a_ticket_topic_are_tickets_about_it(planner: RulesPlanner) -> None:
    for request in ("warranty questions last week", "complaints about the warranty last week"):
        (plan,) = plans(planner, request)
        assert plan == MetricsPlan(
            metrics=("tickets",),
            period=LAST_WEEK,
            filters=(Filter(dimension="topic", values=("warranty",)),),
        ), request


def test_a_short_month_name_at_one_end_of_a_range_is_a_month(planner: RulesPlanner) -> None:
    (plan,) = plans(planner, "orders jan through mar")
    assert isinstance(plan, MetricsPlan)
    assert plan.period == DateRange(start=date(2026, 1, 1), end=date(2026, 3, 10))


SEPTEMBER = DateRange(start=date(2025, 9, 1), end=date(2025, 9, 30))


def test_segments_churn_and_value_asked_for_a_period_gone_by_are_asked_as_of_its_end(
    planner: RulesPlanner,
) -> None:
    assert plans(planner, "how many at risk customers did we have in september") == (
        AnalysisPlan(analysis="segments", segment="At Risk", period=SEPTEMBER),
    )
    assert plans(planner, "churn risk last week") == (
        AnalysisPlan(analysis="churn", period=LAST_WEEK),
    )
    assert plans(planner, "¿cuántos clientes en riesgo teníamos en septiembre?") == (
        AnalysisPlan(analysis="segments", segment="At Risk", period=SEPTEMBER),
    )


def test_a_period_that_says_which_customers_or_when_to_act_is_not_an_as_of_day(
    planner: RulesPlanner,
) -> None:
    for request, analysis in [
        ("lifetime value of the customers we acquired in september", "lifetime_value"),
        ("who's likely to churn? want to call them before the holidays", "churn"),
        ("how many at risk customers will we have in september", "segments"),
        ("do the people who first bought in september come back? cohort view", "cohorts"),
    ]:
        (plan,) = plans(planner, request)
        assert isinstance(plan, AnalysisPlan) and plan.analysis == analysis, request
        assert plan.period is None, request


def test_segments_or_churn_compared_across_periods_are_asked_as_of_each(
    planner: RulesPlanner,
) -> None:
    q2 = DateRange(start=date(2025, 4, 1), end=date(2025, 6, 30))
    q3 = DateRange(start=date(2025, 7, 1), end=date(2025, 9, 30))
    assert plans(planner, "how many lost customers did we have in q2 2025 vs q3 2025") == (
        AnalysisPlan(analysis="segments", segment="Lost", period=q2),
        AnalysisPlan(analysis="segments", segment="Lost", period=q3),
    )
    # one period compared with: against today's
    assert plans(planner, "churn risk compared to q3 2025") == (
        AnalysisPlan(analysis="churn"),
        AnalysisPlan(analysis="churn", period=q3),
    )


def test_a_figure_the_metrics_layer_lacks_is_named_in_the_question_back(
    planner: RulesPlanner,
) -> None:
    for request, figure in [
        ("gross margin last quarter", "gross margin"),
        ("how many refunds did we process last month", "refunds"),  # not revenue and orders
        ("conversion rate on email vs organic last month", "conversion rate"),
    ]:
        (plan,) = plans(planner, request)
        assert plan == ClarifyPlan(
            question=f"I have no figure for \u201c{figure}\u201d. {ASK_AGAIN}"
        )
    (vague,) = plans(planner, "what about the thing we discussed")
    assert vague == ClarifyPlan(question=ASK_AGAIN)
    (customers,) = plans(planner, "how long do refunds take?")
    assert customers == SupportPlan(question="how long do refunds take?")


def test_values_set_against_each_other_are_each_answered_and_values_joined_are_summed(
    planner: RulesPlanner,
) -> None:
    for request in [
        "email vs organic revenue last week",
        "did paid social do better than paid search last week",
        "which did better last week, paid social or paid search?",
    ]:
        (plan,) = plans(planner, request)
        assert isinstance(plan, MetricsPlan) and plan.by == "channel", request
    (summed,) = plans(planner, "revenue from email and organic last week")
    assert isinstance(summed, MetricsPlan) and summed.by is None
    assert summed.filters == (Filter(dimension="channel", values=("email", "organic")),)


def test_how_long_the_team_takes_to_resolve_tickets_is_the_time_to_resolve(
    planner: RulesPlanner,
) -> None:
    (plan,) = plans(planner, "how long does it take us to resolve tickets on average")
    assert isinstance(plan, MetricsPlan) and plan.metrics == ("time_to_resolve",)
