"""The rules planner on how people type outside plain prose: column names with underscores,
ISO date ranges and "2027Q1", keyboard slips of "by", "no particular theme", a segment's
capitalised name in another language's sentence, Québec French, and chores outside the product.

"Today" is Wednesday 11 March 2026: last week is 2–8 March.
"""

from __future__ import annotations

from datetime import date

import pytest

from agents.planner.plans import (
    AnalysisPlan,
    CopyPlan,
    DeclinePlan,
    MetricsPlan,
    Plan,
    WinbackWhatIfPlan,
)
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import DateRange, Filter

TODAY = date(2026, 3, 11)


def one(planner: RulesPlanner, request: str) -> Plan:
    (plan,) = planner.plan(request, TODAY).plans
    return plan


def test_column_names_with_underscores_are_the_words(planner: RulesPlanner) -> None:
    plan = one(planner, "repeat_rate by signup_channel where channel = paid_search, last month")
    assert isinstance(plan, MetricsPlan)
    assert plan.metrics == ("repeat_rate",)
    assert plan.by == "signup_channel"
    assert plan.filters == (Filter(dimension="channel", values=("paid_search",)),)


def test_an_iso_date_range_is_the_period_and_compare_none_drops_the_comparison(
    planner: RulesPlanner,
) -> None:
    plan = one(planner, "revenue, orders for 2026-01-05..2026-02-15 by channel, compare: none")
    assert isinstance(plan, MetricsPlan)
    assert plan.period == DateRange(start=date(2026, 1, 5), end=date(2026, 2, 15))
    assert (plan.by, plan.compare) == ("channel", None)


def test_a_quarter_written_after_its_year_is_that_quarter(planner: RulesPlanner) -> None:
    plan = one(planner, "revenue forecast for 2026Q3 vs 2025Q3 actuals")
    assert isinstance(plan, AnalysisPlan) and plan.analysis == "forecast"
    assert plan.period == DateRange(start=date(2026, 7, 1), end=date(2026, 9, 30))
    assert plan.compare_to == DateRange(start=date(2025, 7, 1), end=date(2025, 9, 30))


@pytest.mark.parametrize("words", ["complete", "full", "whole"])
def test_the_last_n_complete_weeks_are_the_last_n_weeks(planner: RulesPlanner, words: str) -> None:
    plan = one(planner, f"orders over the last 6 {words} weeks")
    assert isinstance(plan, MetricsPlan)
    assert plan.period == DateRange(start=date(2026, 1, 26), end=date(2026, 3, 8))


@pytest.mark.parametrize("slip", ["bu", "bt", "vy"])
def test_a_slip_of_by_before_a_dimension_is_a_breakdown(planner: RulesPlanner, slip: str) -> None:
    plan = one(planner, f"Orders {slip} country yesterday")
    assert isinstance(plan, MetricsPlan) and plan.by == "country"


def test_an_abbreviation_of_customers_and_discounting_name_their_metrics(
    planner: RulesPlanner,
) -> None:
    plan = one(planner, "new custs from affiliates last week")
    assert isinstance(plan, MetricsPlan) and plan.metrics == ("new_customers",)
    plan = one(planner, "how much did we discount on paid social orders last week?")
    assert isinstance(plan, MetricsPlan) and plan.metrics == ("discount_given",)


@pytest.mark.parametrize(
    "request_", ["draft this month's newsletter, no particular theme", "write an email, any topic"]
)
def test_copy_with_no_theme_said_so_has_none(planner: RulesPlanner, request_: str) -> None:
    plan = one(planner, request_)
    assert isinstance(plan, CopyPlan) and plan.format == "email" and plan.theme is None


@pytest.mark.parametrize(
    ("request_", "segment"),
    [("¿y si damos 30% de descuento a los Hibernating, conviene?", "Hibernating"),
     ("c'est qui, nos Promising?", "Promising")],
)  # fmt: skip
def test_a_segment_named_as_the_policy_spells_it_counts_in_any_language(
    planner: RulesPlanner, request_: str, segment: str
) -> None:
    plan = one(planner, request_)
    assert isinstance(plan, AnalysisPlan | WinbackWhatIfPlan)
    assert plan.segment == segment


def test_an_everyday_word_in_lower_case_is_no_segment(planner: RulesPlanner) -> None:
    plan = one(planner, "we lost money on returns last week? show revenue")
    assert not isinstance(plan, AnalysisPlan)


def test_quebec_french_weekend_pis_and_decrocher(planner: RulesPlanner) -> None:
    plan = one(planner, "combien de commandes la fin de semaine passée?")
    assert isinstance(plan, MetricsPlan)
    assert plan.period == DateRange(start=date(2026, 3, 7), end=date(2026, 3, 8))
    found = planner.plan("CA de la semaine passée, pis quels clients risquent de décrocher?", TODAY)
    kinds = sorted(plan.kind for plan in found.plans)
    assert kinds == ["analysis", "metrics"]
    assert any(isinstance(p, AnalysisPlan) and p.analysis == "churn" for p in found.plans)


def test_are_we_gonna_beat_a_month_is_a_forecast_against_it(planner: RulesPlanner) -> None:
    plan = one(planner, "are we gonna beat last april?")
    assert isinstance(plan, AnalysisPlan) and plan.analysis == "forecast"
    assert plan.compare_to == DateRange(start=date(2025, 4, 1), end=date(2025, 4, 30))


@pytest.mark.parametrize(
    "request_",
    [
        "is the storm gonna shut down I-70 tomorrow?",
        "can you resize these product shots to 1080x1080",
        "whos winning the avs game",
        "write me a dbt model for daily revenue by channel",
    ],
)
def test_chores_outside_the_product_are_declined(planner: RulesPlanner, request_: str) -> None:
    assert isinstance(one(planner, request_), DeclinePlan)


def test_paid_social_ads_pulling_their_weight_is_the_marketing_figures(
    planner: RulesPlanner,
) -> None:
    plan = one(planner, "are our paid social ads pulling their weight this month?")
    assert isinstance(plan, MetricsPlan)
    assert set(plan.metrics) == {"marketing_spend", "roas", "cac"}
    assert plan.filters == (Filter(dimension="channel", values=("paid_social",)),)
