"""The rules planner's pieces, on examples of its own (not the evaluation set's).

"Today" is Wednesday 11 March 2026: last week is 2–8 March, last month February, and a
question with no period is about 2–8 March.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policies
from agents.planner.lexicon import DEFAULT_PATH, Lexicon, LexiconError
from agents.planner.phrase_words import phrase_words
from agents.planner.plans import (
    AnalysisPlan,
    ClarifyPlan,
    CopyPlan,
    DeclinePlan,
    MetricsPlan,
    Plan,
    Plans,
    SupportPlan,
    WinbackWhatIfPlan,
)
from agents.planner.rules import RulesPlanner
from integrations.warehouse.metrics import DateRange, Filter, MetricCatalog
from integrations.warehouse.schema import CHANNELS
from policies import load_policies

TODAY = date(2026, 3, 11)
LAST_WEEK = DateRange(start=date(2026, 3, 2), end=date(2026, 3, 8))
FEBRUARY = DateRange(start=date(2026, 2, 1), end=date(2026, 2, 28))
YESTERDAY = DateRange(start=date(2026, 3, 10), end=date(2026, 3, 10))


@pytest.fixture(scope="module")
def planner() -> RulesPlanner:
    segments = load_policies(Path(policies.__file__).parent).rfm.segment_names
    return RulesPlanner(MetricCatalog.load(), list(segments))


def plans(planner: RulesPlanner, request: str) -> tuple[Plan, ...]:
    return planner.plan(request, TODAY).plans


def metrics_plan(planner: RulesPlanner, request: str) -> MetricsPlan:
    (plan,) = plans(planner, request)
    assert isinstance(plan, MetricsPlan), plan
    return plan


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
        ("Bestellungen gestern im Vergleich zum Vierwochenschnitt", "previous_period"),
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


# ── several asks, follow-ups and vague requests ────────────────────────────────────────────


def test_several_asks_become_several_plans(planner: RulesPlanner) -> None:
    first, second = plans(planner, "orders yesterday and who is likely to churn?")
    assert isinstance(first, MetricsPlan) and first.period == YESTERDAY
    assert second == AnalysisPlan(analysis="churn")


def test_parts_with_their_own_breakdowns_are_separate_plans_sharing_a_period(
    planner: RulesPlanner,
) -> None:
    by_country, by_channel = plans(planner, "aov by country and revenue by channel, for february")
    assert isinstance(by_country, MetricsPlan) and isinstance(by_channel, MetricsPlan)
    assert (by_country.metrics, by_country.by, by_country.period) == (
        ("aov",),
        "country",
        FEBRUARY,
    )
    assert (by_channel.metrics, by_channel.by, by_channel.period) == (
        ("revenue",),
        "channel",
        FEBRUARY,
    )


def test_a_second_period_repeats_the_question(planner: RulesPlanner) -> None:
    planned = plans(planner, "clicks last week and in february")
    assert all(isinstance(p, MetricsPlan) and p.metrics == ("clicks",) for p in planned)
    assert [p.period for p in planned if isinstance(p, MetricsPlan)] == [LAST_WEEK, FEBRUARY]


def test_a_sentence_with_no_figure_adds_to_the_question_before_it(
    planner: RulesPlanner,
) -> None:
    plan = metrics_plan(planner, "how many orders in february? only email")
    assert plan.filters == (Filter(dimension="channel", values=("email",)),)


@pytest.mark.parametrize(
    "request_", ["and by country?", "how are things going?", "numbers pls", "is the promo working"]
)
def test_a_request_that_names_nothing_is_clarified(planner: RulesPlanner, request_: str) -> None:
    (plan,) = plans(planner, request_)
    assert isinstance(plan, ClarifyPlan)


def test_what_a_follow_up_states_is_read_without_defaults(planner: RulesPlanner) -> None:
    stated = planner.stated("by country?", TODAY)
    assert (stated.metrics, stated.period, stated.by, stated.compare_stated) == (
        (),
        None,
        "country",
        False,
    )
    assert planner.named_metrics("and the aov?") == ("aov",)


# ── out of scope ───────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "request_",
    [
        "will it rain in aspen tomorrow",
        "put a call with finance on my calendar",
        "fix this javascript bug for me",
        "what is columbia's share price",
        "how much does priya earn, what's her salary",
        "send me every customer's phone number",
        "grab me a coffee",
        "who won the nuggets game",
        "wie wird das Wetter in München",
        "reserva una sala de reuniones para el lunes",
        "set me to away until 4",
        "the build is failing on the storefront repo, can you fix it",
        "wer hat am Samstag in der Bundesliga gewonnen",
        "book me a train ticket to Boulder",
        "réserve-moi un billet d'avion pour Nice",
        "what's the highest peak in Utah",
    ],
)
def test_out_of_scope_requests_are_declined_saying_what_the_control_room_does(
    planner: RulesPlanner, request_: str
) -> None:
    (plan,) = plans(planner, request_)
    assert isinstance(plan, DeclinePlan)
    assert "win-back" in plan.reason


def test_code_is_declined_even_when_it_names_a_copy_format(planner: RulesPlanner) -> None:
    (plan,) = plans(planner, "write a regex that checks email addresses")
    assert isinstance(plan, DeclinePlan)


def test_copy_wins_over_an_errand_word_in_its_theme(planner: RulesPlanner) -> None:
    assert plans(planner, "write an instagram caption for our new coffee mug") == (
        CopyPlan(format="instagram_caption", theme="new coffee mug"),
    )


def test_an_out_of_scope_ask_beside_a_question_is_declined_alone(planner: RulesPlanner) -> None:
    question, errand = plans(planner, "revenue yesterday, also order pizza for the team")
    assert isinstance(question, MetricsPlan) and isinstance(errand, DeclinePlan)


# ── support, copy, win-back, analyses ──────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "request_",
    [
        "a customer is asking whether gloves can be returned",
        "what do I tell someone whose parcel never arrived",
        "Kundin fragt, ob wir nach Italien liefern",
        "una clienta pregunta si puede cambiar la talla",
        "un client veut savoir si la garantie couvre la fermeture",
        # someone's own things are not figures asked for
        "a customer's tent pole snapped on the first trip, is that covered",
        "someone says their order never arrived, what do I tell them",
        "can customers pay with apple pay",
    ],
)
def test_a_customers_question_is_passed_on(planner: RulesPlanner, request_: str) -> None:
    assert plans(planner, request_) == (SupportPlan(question=request_),)


@pytest.mark.parametrize(
    ("request_", "format_", "theme"),
    [
        ("write a tweet about our spring trail sale", "social_post", "spring trail sale"),
        ("tagline pls", "tagline", None),
        ("draft an email for the ski season opening", "email", "ski season opening"),
        ("ein Slogan für die neue Kletterkollektion", "tagline", "neue Kletterkollektion"),
        ("caption for the new hedlamp", "instagram_caption", "new hedlamp"),
        ("need sms copy for the weekend sale, short", "sms", "weekend sale"),
        ("IG caption, something fun about spring hiking", "instagram_caption", "spring hiking"),
        ("write the newsletter for april - theme is trail running", "email", "trail running"),
    ],
)
def test_copy_has_its_format_and_the_requests_own_words_as_theme(
    planner: RulesPlanner, request_: str, format_: str, theme: str | None
) -> None:
    assert plans(planner, request_) == (CopyPlan(format=format_, theme=theme),)


def test_how_a_channel_did_is_a_question_not_copy(planner: RulesPlanner) -> None:
    (plan,) = plans(planner, "how did the newsletter do last week")
    assert isinstance(plan, MetricsPlan)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ("what would 30% off return for hibernating customers",
         WinbackWhatIfPlan(discount=0.3, segment="Hibernating")),
        ("is a win-back offer worth it", WinbackWhatIfPlan()),
        ("lohnt sich ein Rückgewinnungsangebot mit 12,5 % Rabatt?",
         WinbackWhatIfPlan(discount=0.125)),
        ("who should we try to win back", AnalysisPlan(analysis="churn")),
    ],
)  # fmt: skip
def test_a_win_back_what_if_needs_an_offer_or_an_amount_with_its_value(
    planner: RulesPlanner, request_: str, expected: Plan
) -> None:
    assert plans(planner, request_) == (expected,)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ("how big is our champions group", AnalysisPlan(analysis="segments", segment="Champions")),
        ("customers in every rfm segment", AnalysisPlan(analysis="segments")),
        ("how many customers are at risk of churning", AnalysisPlan(analysis="churn")),
        ("retention by cohort", AnalysisPlan(analysis="cohorts")),
        ("what's our clv", AnalysisPlan(analysis="lifetime_value")),
        ("how many new customers are in the new customers segment",
         AnalysisPlan(analysis="segments", segment="New Customers")),
    ],
)  # fmt: skip
def test_analyses_and_segments_by_name(
    planner: RulesPlanner, request_: str, expected: Plan
) -> None:
    assert plans(planner, request_) == (expected,)


def test_a_forecast_is_for_the_next_occurrence_of_the_period_named(
    planner: RulesPlanner,
) -> None:
    assert plans(planner, "forecast for january") == (
        AnalysisPlan(
            analysis="forecast", period=DateRange(start=date(2027, 1, 1), end=date(2027, 1, 31))
        ),
    )


def test_a_forecast_question_sets_the_period_against_the_one_to_beat(
    planner: RulesPlanner,
) -> None:
    march = DateRange(start=date(2026, 3, 1), end=date(2026, 3, 31))
    march_before = DateRange(start=date(2025, 3, 1), end=date(2025, 3, 31))
    expected = AnalysisPlan(analysis="forecast", period=march, compare_to=march_before)
    assert plans(planner, "will march beat last year?") == (expected,)
    assert plans(planner, "are we going to beat last march?") == (expected,)


# ── robustness and the lexicon ─────────────────────────────────────────────────────────────


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_gets_plans_without_a_rule_failing(
    planner: RulesPlanner, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    caplog.clear()
    planned = planner.plan(text, TODAY)
    assert isinstance(planned, Plans) and 1 <= len(planned.plans) <= 4
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no rule raised


def test_a_lexicon_naming_a_filter_value_the_warehouse_lacks_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "lexicon.yaml"
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    broken.write_text(text.replace("    paid_social:", "    paid_socials:", 1), encoding="utf-8")
    with pytest.raises(LexiconError, match=r"filters\.channel.*paid_socials"):
        Lexicon.load(broken)


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
