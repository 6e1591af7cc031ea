"""The `ask` evaluation set itself: big and varied enough for issue 14's acceptance, labelled
consistently with its header, its halves kept apart, further development sets under the same
conventions, and a scorer that compares plans as the header says."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path
from typing import get_args

import pytest

import policies
from agents.planner.plans import (
    AnalysisPlan,
    ClarifyPlan,
    CopyFormat,
    CopyPlan,
    DeclinePlan,
    MetricsPlan,
    Plans,
    SupportPlan,
    WinbackWhatIfPlan,
)
from integrations.warehouse.metrics.query import DateRange, Filter
from integrations.warehouse.sample_company import COUNTRIES, SIGNUP_CHANNELS
from integrations.warehouse.schema import CATEGORIES, CHANNELS, TICKET_TOPICS
from policies import load_policies
from tests.evals.ask_eval import (
    DEV_SET,
    FURTHER_SETS,
    HOLDOUT_SET,
    EvalCase,
    EvalSetError,
    Language,
    load_eval_set,
    plans_match,
    score,
    theme_matches,
)

TODAY = date(2026, 11, 25)
METRICS = {
    "revenue",
    "orders",
    "aov",
    "customers",
    "new_customers",
    "returning_customers",
    "repeat_rate",
    "active_customers",
    "marketing_spend",
    "roas",
    "cac",
    "impressions",
    "clicks",
    "tickets",
    "escalation_rate",
    "time_to_resolve",
    "discount_given",
}
FILTER_VALUES = {
    "channel": set(CHANNELS),
    "signup_channel": set(SIGNUP_CHANNELS),
    "category": set(CATEGORIES),
    "country": set(COUNTRIES),
    "topic": set(TICKET_TOPICS),
}
# The header's named periods, checked against every case tagged with them.
TAGGED_PERIODS = {
    "period-last-week": DateRange(start=date(2026, 11, 16), end=date(2026, 11, 22)),
    "period-default": DateRange(start=date(2026, 11, 16), end=date(2026, 11, 22)),
    "period-this-week": DateRange(start=date(2026, 11, 23), end=date(2026, 11, 25)),
    "period-yesterday": DateRange(start=date(2026, 11, 24), end=date(2026, 11, 24)),
    "period-last-month": DateRange(start=date(2026, 10, 1), end=date(2026, 10, 31)),
    "period-mtd": DateRange(start=date(2026, 11, 1), end=date(2026, 11, 24)),
    "period-ytd": DateRange(start=date(2026, 1, 1), end=date(2026, 11, 24)),
}
LAST_WEEK = TAGGED_PERIODS["period-last-week"]
FURTHER_SIZES = {"more": 200, "d3": 200, "d4": 150, "d5": 120}
# The sets that ask for every metric, breakdown, grain, comparison and format (d5 is about
# customers' questions and out-of-scope asks).
COVERING_SETS = ("more", "d3", "d4")
KINDS = ("metrics", "analysis", "winback_what_if", "copy", "support", "clarify", "decline", "multi")
# The least each further set holds of every kind (in KINDS' order), of requests not in English,
# and of German, Spanish and French each.
FURTHER_LEAST = {
    "more": ((80, 20, 10, 12, 10, 10, 18, 12), 50, 15),
    "d3": ((100, 20, 5, 5, 5, 12, 12, 15), 40, 12),
    "d4": ((70, 15, 5, 5, 5, 10, 10, 10), 45, 15),
    "d5": ((3, 5, 2, 3, 40, 10, 30, 10), 45, 15),
}
NOT_ENGLISH: tuple[Language, ...] = ("de", "es", "fr")
OCTOBER = TAGGED_PERIODS["period-last-month"]


@pytest.fixture(scope="module")
def dev() -> tuple[EvalCase, ...]:
    return load_eval_set(DEV_SET).cases


@pytest.fixture(scope="module")
def holdout() -> tuple[EvalCase, ...]:
    return load_eval_set(HOLDOUT_SET).cases


@pytest.fixture(scope="module")
def more() -> tuple[EvalCase, ...]:
    return load_eval_set(FURTHER_SETS["more"]).cases


@pytest.fixture(scope="module")
def third() -> tuple[EvalCase, ...]:
    return load_eval_set(FURTHER_SETS["d3"]).cases


@pytest.fixture(scope="module")
def fourth() -> tuple[EvalCase, ...]:
    return load_eval_set(FURTHER_SETS["d4"]).cases


@pytest.fixture(scope="module")
def fifth() -> tuple[EvalCase, ...]:
    return load_eval_set(FURTHER_SETS["d5"]).cases


@pytest.fixture(scope="module")
def cases(
    dev: tuple[EvalCase, ...],
    holdout: tuple[EvalCase, ...],
    more: tuple[EvalCase, ...],
    third: tuple[EvalCase, ...],
    fourth: tuple[EvalCase, ...],
    fifth: tuple[EvalCase, ...],
) -> tuple[EvalCase, ...]:
    return dev + holdout + more + third + fourth + fifth


def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def _metrics(case: EvalCase) -> list[MetricsPlan]:
    return [plan for plan in case.expected.plans if isinstance(plan, MetricsPlan)]


def test_the_set_holds_at_least_220_requests_split_about_evenly(
    dev: tuple[EvalCase, ...], holdout: tuple[EvalCase, ...]
) -> None:
    assert len(dev) + len(holdout) >= 220
    assert 0.4 <= len(dev) / (len(dev) + len(holdout)) <= 0.6


def test_both_files_fix_today_and_state_the_default_period_in_their_header() -> None:
    for path in (DEV_SET, HOLDOUT_SET):
        assert load_eval_set(path).today == TODAY
        header = path.read_text(encoding="utf-8").split("\nrequests:")[0]
        assert "2026-11-25" in header and "America/Denver" in header
        assert "names no period is about the last complete week, 2026-11-16..22" in header


def test_every_id_is_unique_and_names_its_half(
    dev: tuple[EvalCase, ...], holdout: tuple[EvalCase, ...]
) -> None:
    ids = [case.id for case in dev + holdout]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert all(case.id.startswith("dev-") for case in dev)
    assert all(case.id.startswith("hold-") for case in holdout)


def test_no_request_is_asked_twice_even_in_other_words_case_or_punctuation(
    cases: tuple[EvalCase, ...],
) -> None:
    # A held-out request the planner was tuned on, give or take a typo, measures nothing.
    texts = [(case.id, _words(case.request)) for case in cases]
    near = [
        (a_id, b_id)
        for (a_id, a), (b_id, b) in combinations(texts, 2)
        if SequenceMatcher(None, a, b).quick_ratio() >= 0.9
        and SequenceMatcher(None, a, b).ratio() >= 0.9
    ]
    assert near == []


def test_both_halves_mix_in_german_spanish_and_french(
    dev: tuple[EvalCase, ...], holdout: tuple[EvalCase, ...]
) -> None:
    languages = Counter(case.lang for case in dev + holdout)
    assert sum(n for lang, n in languages.items() if lang != "en") >= 35
    assert min(languages["de"], languages["es"], languages["fr"]) >= 10
    for half in (dev, holdout):
        per_half = Counter(case.lang for case in half)
        assert min(per_half["de"], per_half["es"], per_half["fr"]) >= 5


def test_both_halves_hold_every_kind_out_of_scope_clarify_and_multi_intent_requests(
    dev: tuple[EvalCase, ...], holdout: tuple[EvalCase, ...]
) -> None:
    kinds = Counter(case.kind for case in dev + holdout)
    assert kinds["decline"] >= 20 and kinds["clarify"] >= 10
    for half in (dev, holdout):
        per_half = Counter(case.kind for case in half)
        assert set(per_half) == set(KINDS)
        assert per_half["decline"] >= 8 and per_half["clarify"] >= 5 and per_half["multi"] >= 5
        analyses = {p.analysis for c in half for p in c.expected.plans if p.kind == "analysis"}
        assert analyses == {"segments", "churn", "cohorts", "forecast", "lifetime_value"}


def test_tags_agree_with_the_labels(cases: tuple[EvalCase, ...]) -> None:
    for case in cases:
        kinds = {plan.kind for plan in case.expected.plans}
        assert ("multi-intent" in case.tags) == (len(case.expected.plans) > 1), case.id
        assert ("out-of-scope" in case.tags) == ("decline" in kinds), case.id
        assert ("vague" in case.tags) == ("clarify" in kinds), case.id


def test_every_metric_is_one_the_layer_defines(cases: tuple[EvalCase, ...]) -> None:
    named = {metric for case in cases for plan in _metrics(case) for metric in plan.metrics}
    assert named <= METRICS
    assert len(named) >= 15  # nearly every metric is asked for somewhere


def test_filters_use_the_warehouse_spelling_of_their_values(cases: tuple[EvalCase, ...]) -> None:
    for case in cases:
        for plan in _metrics(case):
            for one in plan.filters:
                assert set(one.values) <= FILTER_VALUES[one.dimension], case.id


def test_segments_are_the_rfm_policy_names(cases: tuple[EvalCase, ...]) -> None:
    names = set(load_policies(Path(policies.__file__).parent).rfm.segment_names)
    named = {
        plan.segment
        for case in cases
        for plan in case.expected.plans
        if isinstance(plan, AnalysisPlan | WinbackWhatIfPlan) and plan.segment is not None
    }
    assert named and named <= names


def test_figures_are_asked_of_the_past_and_forecasts_of_the_future(
    cases: tuple[EvalCase, ...],
) -> None:
    for case in cases:
        for plan in case.expected.plans:
            if isinstance(plan, MetricsPlan):
                assert date(2025, 1, 1) <= plan.period.start <= plan.period.end <= TODAY, case.id
            if isinstance(plan, AnalysisPlan) and plan.analysis == "forecast":
                assert plan.period is None or plan.period.end > TODAY, case.id
                assert plan.compare_to is None or plan.compare_to.end < TODAY, case.id
            elif isinstance(plan, AnalysisPlan):
                assert plan.period is None and plan.compare_to is None, case.id


def test_named_periods_resolve_as_the_header_says(cases: tuple[EvalCase, ...]) -> None:
    for case in cases:
        for tag in set(case.tags) & set(TAGGED_PERIODS):
            periods = [plan.period for plan in _metrics(case)]
            assert TAGGED_PERIODS[tag] in periods, (case.id, tag)


def test_each_copy_theme_is_words_from_the_request(cases: tuple[EvalCase, ...]) -> None:
    themes = 0
    for case in cases:
        for plan in case.expected.plans:
            if isinstance(plan, CopyPlan) and plan.theme is not None:
                themes += 1
                assert _words(plan.theme), case.id
                assert theme_matches(plan.theme, case.request), case.id
    assert themes >= 10


def test_every_case_matches_its_own_expected_plans(cases: tuple[EvalCase, ...]) -> None:
    assert all(plans_match(case.expected, case.expected) for case in cases)


def test_a_bad_case_is_refused_with_its_file_and_id(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "today: 2026-11-25\nrequests:\n"
        "  - {id: x-1, request: revenue, lang: en, plans: [{kind: metrics, metrics: [revenue],"
        " period: {start: 2026-11-22, end: 2026-11-16}}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(EvalSetError, match=r"bad\.yaml: x-1: plans\.0\.metrics\.period"):
        load_eval_set(path)
    path.write_text("today: 2026-11-25\nrequests:\n  - {id: x-1, request: r, lang: it}\n")
    with pytest.raises(EvalSetError, match=r"bad\.yaml: requests\.0\.lang"):
        load_eval_set(path)


def _header_conventions(path: Path) -> str:
    # Everything from the request-writing paragraph to the list: what the labels follow.
    header = path.read_text(encoding="utf-8").split("\nrequests:")[0]
    return header[header.index("# Each request is written") :]


@pytest.mark.parametrize("prefix", FURTHER_SETS)
def test_each_further_development_set_numbers_its_requests_and_shares_the_header(
    prefix: str,
) -> None:
    further = load_eval_set(FURTHER_SETS[prefix])
    assert further.today == TODAY
    numbered = [f"{prefix}-{n:03d}" for n in range(1, FURTHER_SIZES[prefix] + 1)]
    assert [case.id for case in further.cases] == numbered
    assert _header_conventions(FURTHER_SETS[prefix]) == _header_conventions(DEV_SET)


def test_no_id_is_used_twice_across_all_the_sets(cases: tuple[EvalCase, ...]) -> None:
    assert [i for i, n in Counter(case.id for case in cases).items() if n > 1] == []


@pytest.mark.parametrize("prefix", FURTHER_SETS)
def test_each_further_development_set_mixes_kinds_and_languages(prefix: str) -> None:
    further = load_eval_set(FURTHER_SETS[prefix]).cases
    least_kinds, least_not_english, least_per_language = FURTHER_LEAST[prefix]
    kinds = Counter(case.kind for case in further)
    least = dict(zip(KINDS, least_kinds, strict=True))
    assert {kind: n for kind, n in least.items() if kinds[kind] < n} == {}
    languages = Counter(case.lang for case in further)
    assert sum(languages[lang] for lang in NOT_ENGLISH) >= least_not_english
    assert min(languages[lang] for lang in NOT_ENGLISH) >= least_per_language
    for lang in NOT_ENGLISH:
        per_lang = {case.kind for case in further if case.lang == lang}
        assert {"metrics", "analysis", "copy", "support", "decline", "multi"} <= per_lang, lang


@pytest.mark.parametrize("prefix", COVERING_SETS)
def test_each_further_development_set_asks_every_metric_breakdown_grain_comparison_and_format(
    prefix: str,
) -> None:
    further = load_eval_set(FURTHER_SETS[prefix]).cases
    plans = [plan for case in further for plan in _metrics(case)]
    assert {metric for plan in plans for metric in plan.metrics} == METRICS
    assert {plan.by for plan in plans} - {None} == set(FILTER_VALUES)
    assert {plan.grain for plan in plans} - {None} == {"day", "week", "month", "quarter", "year"}
    assert {plan.compare for plan in plans} == {
        "previous_period",
        "same_period_last_year",
        "four_week_average",
        None,
    }
    assert {one.dimension for plan in plans for one in plan.filters} == set(FILTER_VALUES)
    every_plan = [plan for case in further for plan in case.expected.plans]
    analyses = {plan.analysis for plan in every_plan if isinstance(plan, AnalysisPlan)}
    assert analyses == {"segments", "churn", "cohorts", "forecast", "lifetime_value"}
    formats = {plan.format for plan in every_plan if isinstance(plan, CopyPlan)}
    assert formats == set(get_args(CopyFormat))


def _plans(*plans: object) -> Plans:
    return Plans.model_validate({"plans": plans})


def _revenue(**fields: object) -> MetricsPlan:
    return MetricsPlan.model_validate(
        {"metrics": ["revenue", "orders"], "period": LAST_WEEK} | fields
    )


def test_plans_match_ignores_order_case_and_wording_but_not_a_field() -> None:
    channels = Filter(dimension="channel", values=("paid_social", "email"))
    same = [
        (
            _plans(_revenue(filters=(channels,)), ClarifyPlan(question="which week?")),
            _plans(
                ClarifyPlan(question="Did you mean last week or this week?"),
                MetricsPlan(
                    metrics=("orders", "revenue"),
                    period=LAST_WEEK,
                    filters=(Filter(dimension="channel", values=("EMAIL", "Paid_Social")),),
                    compare="previous_period",
                ),
            ),
        ),
        (
            _plans(CopyPlan(format="ad", theme="Down Jacket")),
            _plans(CopyPlan(format="ad", theme="cosy down-jackets for winter")),
        ),
        (
            _plans(SupportPlan(question="refund time"), DeclinePlan(reason="x")),
            _plans(DeclinePlan(reason="I can't book rooms"), SupportPlan(question="how long?")),
        ),
        (
            _plans(WinbackWhatIfPlan(discount=0.15, segment="At Risk")),
            _plans(WinbackWhatIfPlan(discount=15 / 100, segment="At Risk")),
        ),
    ]
    for expected, actual in same:
        assert plans_match(expected, actual)


@pytest.mark.parametrize(
    "actual",
    [
        _plans(_revenue(period=OCTOBER)),
        _plans(_revenue(metrics=["revenue"])),
        _plans(_revenue(metrics=["revenue", "orders", "aov"])),
        _plans(_revenue(by="channel")),
        _plans(_revenue(grain="day")),
        _plans(_revenue(compare=None)),
        _plans(_revenue(compare="same_period_last_year")),
        _plans(_revenue(filters=[{"dimension": "channel", "values": ["email"]}])),
        _plans(_revenue(), _revenue()),
        _plans(ClarifyPlan(question="which metrics?")),
    ],
)
def test_plans_match_refuses_metrics_that_differ_in_any_field(actual: Plans) -> None:
    assert not plans_match(_plans(_revenue()), actual)


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        (CopyPlan(format="email", theme="rain shell"), CopyPlan(format="email", theme="rain")),
        (CopyPlan(format="email", theme="rain shell"), CopyPlan(format="email")),
        (CopyPlan(format="email"), CopyPlan(format="email", theme="rain shell")),
        (CopyPlan(format="email"), CopyPlan(format="subject_lines")),
        (WinbackWhatIfPlan(discount=0.2), WinbackWhatIfPlan(discount=0.25)),
        (WinbackWhatIfPlan(discount=0.2), WinbackWhatIfPlan()),
        (WinbackWhatIfPlan(segment="At Risk"), WinbackWhatIfPlan(segment="Lost")),
        (AnalysisPlan(analysis="segments"), AnalysisPlan(analysis="churn")),
        (
            AnalysisPlan(analysis="forecast", period=OCTOBER, compare_to=LAST_WEEK),
            AnalysisPlan(analysis="forecast", period=OCTOBER),
        ),
        (ClarifyPlan(question="which?"), DeclinePlan(reason="out of scope")),
        (SupportPlan(question="refunds"), ClarifyPlan(question="refunds")),
    ],
)
def test_plans_match_refuses_other_actions(expected: object, actual: object) -> None:
    assert not plans_match(_plans(expected), _plans(actual))


def test_score_reports_exact_rates_out_of_scope_handling_and_misses(
    dev: tuple[EvalCase, ...],
) -> None:
    asked: set[date] = set()

    def oracle(request: str, today: date) -> Plans:
        asked.add(today)
        return next(case.expected for case in dev if case.request == request)

    perfect = score(dev, oracle)
    assert perfect.exact.rate == 1.0 and perfect.misses == ()
    assert perfect.out_of_scope is not None and perfect.out_of_scope.rate == 1.0
    assert asked == {TODAY}
    assert set(perfect.by_lang) == {"en", "de", "es", "fr"}

    def always_clarify(request: str, today: date) -> Plans:
        return _plans(ClarifyPlan(question="what do you mean?"))

    cautious = score(dev, always_clarify)
    clarify = [case for case in dev if case.kind == "clarify"]
    assert cautious.exact.hits == len(clarify) == cautious.by_kind["clarify"].hits
    assert cautious.by_kind["metrics"].hits == 0
    assert cautious.out_of_scope is not None and cautious.out_of_scope.rate == 1.0

    def always_revenue(request: str, today: date) -> Plans:
        return _plans(_revenue())

    eager = score(dev, always_revenue)
    assert eager.out_of_scope is not None and eager.out_of_scope.hits == 0
    assert len(eager.misses) == len(dev) - eager.exact.hits
    summary = eager.summary()
    assert "MISS dev-094: update my slack status to OOO" in summary
    assert '  expected [{"kind": "decline"}]' in summary
