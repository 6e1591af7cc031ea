"""The rules planner reading metric questions, on examples of its own (not the evaluation
set's): metrics and their words, breakdowns, grains, filters, comparisons, and the cases it
generalises to (periods to date, real words, grammar across asks)."""

from __future__ import annotations

from datetime import date

import pytest

from agents.planner.phrase_words import phrase_words
from agents.planner.plans import (
    AnalysisPlan,
    CopyPlan,
    MetricsPlan,
    WinbackWhatIfPlan,
)
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import DateRange, Filter
from integrations.warehouse.schema import CHANNELS
from tests.unit._planner_rules_cases import (
    FEBRUARY,
    LAST_WEEK,
    TODAY,
    YESTERDAY,
    metrics_plan,
    plans,
)

# ── metrics and their words ────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("request_", "metrics"),
    [
        ("revnue and custmers last week", {"revenue", "customers"}),
        ("whats the avg ordr value", {"aov"}),
        ("ticket count yesterday", {"tickets"}),
        ("new and returning customers in february", {"new_customers", "returning_customers"}),
        ("Bestellungen im Februar", {"orders"}),
        ("pedidos en febrero", {"orders"}),
        ("commandes en février", {"orders"}),
        ("how much did we bring in yesterday", {"revenue"}),
        ("what did each new customer cost us in february", {"cac"}),
        ("how fast are we closing tickets", {"time_to_resolve"}),
    ],
)
def test_metrics_are_found_by_the_catalogs_words_typos_and_phrasings(
    planner: RulesPlanner, request_: str, metrics: set[str]
) -> None:
    assert set(metrics_plan(planner, request_).metrics) == metrics


def test_a_question_without_a_period_is_about_the_last_complete_week(
    planner: RulesPlanner,
) -> None:
    assert metrics_plan(planner, "roas").period == LAST_WEEK
    assert metrics_plan(planner, "orders yesterday").period == YESTERDAY


def test_a_selling_verb_is_revenue_only_when_no_figure_is_named(planner: RulesPlanner) -> None:
    assert metrics_plan(planner, "which country sold the most in february").metrics == ("revenue",)
    assert metrics_plan(planner, "which channel brought in the most new customers").metrics == (
        "new_customers",
    )


@pytest.mark.parametrize(
    ("request_", "by"),
    [
        ("revenue per country last month", "country"),
        ("Umsatz nach Land im Februar", "country"),
        ("ventas por país en febrero", "country"),
        ("ventes par pays en février", "country"),
        ("which category had the best aov", "category"),
        ("orders split by channel", "channel"),
        ("new customers by signup source", "signup_channel"),
        ("tickets by category", "topic"),
        ("tickets by channel", "signup_channel"),
    ],
)
def test_a_breakdown_is_read_after_by_or_which_in_any_language(
    planner: RulesPlanner, request_: str, by: str
) -> None:
    assert metrics_plan(planner, request_).by == by


@pytest.mark.parametrize(
    ("request_", "grain"),
    [
        ("orders per day last week", "day"),
        ("revenue by quarter in 2025", "quarter"),
        ("monatlicher Umsatz 2025", "month"),
        ("clics semanales en febrero", "week"),
    ],
)
def test_a_series_grain_is_read_in_any_language(
    planner: RulesPlanner, request_: str, grain: str
) -> None:
    plan = metrics_plan(planner, request_)
    assert plan.grain == grain
    assert plan.by is None


@pytest.mark.parametrize(
    ("request_", "filters"),
    [
        ("orders from the UK and Germany in february", {("country", ("DE", "GB"))}),
        ("revenue from US customers", {("country", ("US",))}),
        ("how is our roas on instagram", {("channel", ("paid_social",))}),
        ("tickets on deliveries yesterday", {("topic", ("shipping",))}),
        ("new customers who signed up through referrals", {("signup_channel", ("referral",))}),
        ("Umsatz mit Schuhen im Februar", {("category", ("Footwear",))}),
    ],
)
def test_filters_are_given_in_the_warehouses_spelling(
    planner: RulesPlanner, request_: str, filters: set[tuple[str, tuple[str, ...]]]
) -> None:
    plan = metrics_plan(planner, request_)
    assert {(f.dimension, tuple(sorted(f.values))) for f in plan.filters} == filters


def test_a_value_after_excluding_filters_to_every_other_value(planner: RulesPlanner) -> None:
    plan = metrics_plan(planner, "revenue last month excluding affiliates")
    assert plan.filters == (
        Filter(dimension="channel", values=tuple(sorted(set(CHANNELS) - {"affiliate"}))),
    )


def test_a_ticket_topic_beside_order_figures_is_not_a_filter(planner: RulesPlanner) -> None:
    # "returns" is a ticket topic; orders have no topic to filter by.
    assert metrics_plan(planner, "orders and returns last week").filters == ()


@pytest.mark.parametrize(
    ("request_", "compare"),
    [
        ("revenue in february", "previous_period"),
        ("revenue in february vs same time last year", "same_period_last_year"),
        ("revenue in february vs last february", "same_period_last_year"),
        ("revenue in february compared to january", "previous_period"),
        ("revenue yoy", "same_period_last_year"),
        ("orders yesterday against the four week average", "four_week_average"),
        ("Bestellungen gestern im Vergleich zum Vierwochenschnitt", "four_week_average"),
        ("clicks last week, no comparison", None),
        ("clientes nuevos en febrero sin comparación", None),
    ],
)
def test_the_comparison_asked_for(
    planner: RulesPlanner, request_: str, compare: str | None
) -> None:
    assert metrics_plan(planner, request_).compare == compare


def test_a_compared_period_is_not_the_period_asked_about(planner: RulesPlanner) -> None:
    assert metrics_plan(planner, "revenue in february compared to january").period == FEBRUARY
    plan = metrics_plan(planner, "ad spend vs last year for february")
    assert (plan.period, plan.compare) == (FEBRUARY, "same_period_last_year")


@pytest.mark.parametrize(
    ("request_", "period", "compared"),
    [
        # a period named to compare with is that period, not the one before the period asked
        (
            "revenue in february vs december",
            FEBRUARY,
            DateRange(start=date(2025, 12, 1), end=date(2025, 12, 31)),
        ),
        (
            "orders yesterday vs the same day last week",
            DateRange(start=date(2026, 3, 10), end=date(2026, 3, 10)),
            DateRange(start=date(2026, 3, 3), end=date(2026, 3, 3)),
        ),
        # a Tuesday asked on the Wednesday after it: "last Tuesday" is the one a week before
        (
            "revenue yesterday vs last tuesday",
            DateRange(start=date(2026, 3, 10), end=date(2026, 3, 10)),
            DateRange(start=date(2026, 3, 3), end=date(2026, 3, 3)),
        ),
        (
            "ventas de ayer frente al mismo día de la semana pasada",
            DateRange(start=date(2026, 3, 10), end=date(2026, 3, 10)),
            DateRange(start=date(2026, 3, 3), end=date(2026, 3, 3)),
        ),
    ],
)
def test_a_period_named_to_compare_with_is_compared_with(
    planner: RulesPlanner, request_: str, period: DateRange, compared: DateRange
) -> None:
    plan = metrics_plan(planner, request_)
    assert (plan.period, plan.compare, plan.compare_to) == (period, "period", compared)


def test_the_period_just_before_stays_the_period_before(planner: RulesPlanner) -> None:
    plan = metrics_plan(planner, "revenue in february compared to january")
    assert (plan.compare, plan.compare_to) == ("previous_period", None)


def test_better_than_a_past_period_asks_about_the_current_one(planner: RulesPlanner) -> None:
    plan = metrics_plan(planner, "are sales better than last week?")
    assert plan.period.start == date(2026, 3, 9)  # this week, to date
    assert plan.compare == "previous_period"


@pytest.mark.parametrize(
    ("request_", "metrics", "filters"),
    [
        ("how did affiliates do last week", ("revenue", "orders", "aov", "new_customers"),
         (Filter(dimension="channel", values=("affiliate",)),)),
        ("how did our ads do in february", ("marketing_spend", "roas", "cac"), ()),
        ("how did support do yesterday", ("tickets", "escalation_rate", "time_to_resolve"), ()),
    ],
)  # fmt: skip
def test_a_performance_question_naming_no_metric_gets_a_default_set(
    planner: RulesPlanner, request_: str, metrics: tuple[str, ...], filters: tuple[Filter, ...]
) -> None:
    plan = metrics_plan(planner, request_)
    assert (plan.metrics, plan.filters) == (metrics, filters)


# ── generalisation: periods to date, real words, grammar across asks ───────────────────────


def test_a_period_to_date_ends_yesterday_and_a_week_to_date_today(planner: RulesPlanner) -> None:
    assert metrics_plan(planner, "revenue MTD").period == DateRange(
        start=date(2026, 3, 1), end=date(2026, 3, 10)
    )
    assert metrics_plan(planner, "revenue this week").period == DateRange(
        start=date(2026, 3, 9), end=TODAY
    )


def test_a_real_word_is_never_mended_into_a_period_or_a_filter(planner: RulesPlanner) -> None:
    # "about" is not French "août", Spanish "corren" is not "correo" (email)
    assert metrics_plan(planner, "what were customers writing about last month").period == (
        FEBRUARY
    )
    assert plans(planner, "¿qué clientes corren riesgo de irse?") == (
        AnalysisPlan(analysis="churn"),
    )


def test_a_misspelt_dimension_or_country_is_mended(planner: RulesPlanner) -> None:
    plan = metrics_plan(planner, "orders by contry from Canda last week")
    assert plan.by == "country"
    assert plan.filters == (Filter(dimension="country", values=("CA",)),)


def test_a_month_and_day_right_after_a_metric_is_a_date(planner: RulesPlanner) -> None:
    march_2 = DateRange(start=date(2026, 3, 2), end=date(2026, 3, 2))
    assert metrics_plan(planner, "revenue 3/2 by channel").period == march_2


def test_a_year_named_apart_is_the_year_of_the_period(planner: RulesPlanner) -> None:
    q1_2025 = DateRange(start=date(2025, 1, 1), end=date(2025, 3, 31))
    assert metrics_plan(planner, "What were Q1 sales last year?").period == q1_2025


def test_a_scope_before_a_colon_applies_to_every_metric_after_it(planner: RulesPlanner) -> None:
    plan = metrics_plan(planner, "paid social: clicks and impressions last week")
    assert set(plan.metrics) == {"clicks", "impressions"}
    assert plan.filters == (Filter(dimension="channel", values=("paid_social",)),)


def test_an_article_after_and_starts_another_ask(planner: RulesPlanner) -> None:
    figures, copy = plans(planner, "orders last week and a tagline for the spring hiking range")
    assert isinstance(figures, MetricsPlan) and figures.period == LAST_WEEK
    assert copy == CopyPlan(format="tagline", theme="spring hiking range")


def test_analyses_joined_by_and_are_each_asked(planner: RulesPlanner) -> None:
    assert plans(planner, "cohort retention and lifetime value") == (
        AnalysisPlan(analysis="cohorts"),
        AnalysisPlan(analysis="lifetime_value"),
    )
    assert plans(planner, "lifetime value by segment") == (AnalysisPlan(analysis="lifetime_value"),)


def test_a_what_if_for_them_is_for_the_segment_just_named(planner: RulesPlanner) -> None:
    assert plans(planner, "who are the hibernating customers and would 15% off win them back?") == (
        AnalysisPlan(analysis="segments", segment="Hibernating"),
        WinbackWhatIfPlan(discount=0.15, segment="Hibernating"),
    )


def test_how_a_period_will_turn_out_is_a_forecast(planner: RulesPlanner) -> None:
    april = DateRange(start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert plans(planner, "where do we think April will land?") == (
        AnalysisPlan(analysis="forecast", period=april),
    )


def test_every_value_listed_after_without_is_left_out(planner: RulesPlanner) -> None:
    plan = metrics_plan(planner, "orders without email and affiliate last week")
    assert plan.filters == (
        Filter(dimension="channel", values=tuple(sorted(set(CHANNELS) - {"email", "affiliate"}))),
    )


def test_vs_between_two_filter_values_compares_them_not_periods(planner: RulesPlanner) -> None:
    plan = metrics_plan(planner, "aov in the US vs canada last month")
    assert plan.period == FEBRUARY
    assert plan.filters == (Filter(dimension="country", values=("US", "CA")),)


def test_a_comparison_verb_ending_the_question_compares_the_period_before_it(
    planner: RulesPlanner,
) -> None:
    april = DateRange(start=date(2026, 4, 1), end=date(2026, 4, 30))
    april_2025 = DateRange(start=date(2025, 4, 1), end=date(2025, 4, 30))
    assert plans(planner, "Werden wir den April des Vorjahres schlagen?") == (
        AnalysisPlan(analysis="forecast", period=april, compare_to=april_2025),
    )


def test_a_word_for_copy_after_a_format_asks_for_copy(planner: RulesPlanner) -> None:
    assert plans(planner, "email copy for the spring restock") == (
        CopyPlan(format="email", theme="spring restock"),
    )


def test_a_noun_holding_a_metrics_word_is_no_figure(planner: RulesPlanner) -> None:
    plan = metrics_plan(planner, "how is customer support doing this week?")
    assert set(plan.metrics) == {"tickets", "escalation_rate", "time_to_resolve"}


@pytest.mark.parametrize(
    ("phrase", "words"),
    [
        ("countr(y|ies)", {"country", "countries"}),
        ("e_mails?", {"email", "emails", "mail", "mails"}),
        ("abwander\\w*", set()),
        ("(?<!promo\\s)code", {"code"}),
    ],
)
def test_a_phrase_spells_its_whole_words_for_typo_corrections(phrase: str, words: set[str]) -> None:
    assert phrase_words(phrase) == words
