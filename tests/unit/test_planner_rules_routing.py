"""The rules planner deciding what a request is, on examples of its own (not the evaluation
set's): several asks, follow-ups and vague requests, out of scope, support, copy, win-back and
analyses; any text is planned and a lexicon the warehouse contradicts is refused."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.planner.lexicon import DEFAULT_PATH, Lexicon, LexiconError
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
from integrations.warehouse.metrics import DateRange, Filter
from tests.unit._planner_rules_cases import (
    FEBRUARY,
    LAST_WEEK,
    TODAY,
    YESTERDAY,
    metrics_plan,
    plans,
)

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
